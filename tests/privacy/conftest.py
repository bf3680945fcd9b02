"""Helpers for the privacy tests: consent set the way the shop sets it, and data."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from flask import Blueprint, g, make_response, request

from eshop import consent
from eshop.catalog.models import Category, Product
from eshop.consent.registry import Category as CookieCategory
from eshop.extensions import db as _db

_numbers = itertools.count(1)


def add_privacy_test_routes(app: Any) -> None:
    """Routes standing in for the consent banner and for what the catalogue and
    checkout views leave in ``g`` for audience measurement."""
    bp = Blueprint("privacy_tests", __name__)

    @bp.get("/_test/consent")
    def decide():
        accepted = {
            CookieCategory(name)
            for name in request.args.get("accept", "").split(",")
            if name
        }
        response = make_response("decided")
        response.mimetype = "text/plain"
        consent.record_decision(response, accepted, source="preferences")
        return response

    @bp.get("/_test/search")
    def search():
        g.search_query = request.args.get("q", "")
        g.search_results_count = int(request.args.get("n", "0"))
        return "<p>results</p>"

    @bp.get("/_test/product/<int:product_id>")
    def product(product_id: int):
        g.viewed_product = _db.session.get(Product, product_id)
        return "<p>product</p>"

    @bp.post("/_test/checkout")
    def checkout():
        ids = [int(i) for i in request.form.getlist("product_id")]
        g.placed_order_product_ids = ids
        return "placed", 303, {"Location": "/"}

    app.register_blueprint(bp)


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"WTF_CSRF_ENABLED": False}


@pytest.fixture
def client(app):
    add_privacy_test_routes(app)
    return app.test_client()


def decide(client, *categories: str) -> None:
    """Record a cookie decision accepting exactly these optional categories."""
    response = client.get("/_test/consent?accept=" + ",".join(categories))
    assert response.status_code == 200


TECHNICAL_COOKIES = {"session", "consent", "cart", "details"}


def optional_cookies_set(response) -> list[str]:
    """Names of the non-technical cookies a response sets (deletions excluded)."""
    names = []
    for header in response.headers.getlist("Set-Cookie"):
        name = header.split("=", 1)[0]
        if name not in TECHNICAL_COOKIES and "Max-Age=0" not in header:
            names.append(name)
    return names


def make_category(slug: str = "huiles") -> Category:
    category = Category(slug=slug, name_fr=slug.title(), name_en=slug.title())
    _db.session.add(category)
    _db.session.flush()
    return category


def make_product(category: Category, *, sponsored: bool = False, **fields) -> Product:
    n = next(_numbers)
    product = Product(
        slug=fields.pop("slug", f"produit-{n}"),
        category_id=category.id,
        name_fr=fields.pop("name_fr", f"Produit {n}"),
        name_en=fields.pop("name_en", f"Product {n}"),
        price_cents=fields.pop("price_cents", 1250),
        stock=fields.pop("stock", 10),
        sponsored=sponsored,
        **fields,
    )
    _db.session.add(product)
    _db.session.flush()
    return product
