"""Products for cart and order tests, created straight in the database.

Each helper pushes its own app context: a test that keeps one pushed (the ``db``
fixture) would share ``g`` with every request of the test client.
"""

from __future__ import annotations

import itertools
import re

from eshop.catalog.models import Category, Product
from eshop.extensions import db

_counter = itertools.count(1)


def add_product(
    app,
    *,
    price_cents: int = 1250,
    stock: int = 10,
    vat_rate_bp: int = 2000,
    active: bool = True,
    name: str | None = None,
) -> int:
    """Add a product (and its category when needed); return its id."""
    with app.app_context():
        return _add_product(price_cents, stock, vat_rate_bp, active, name)


def _add_product(price_cents, stock, vat_rate_bp, active, name) -> int:
    category = db.session.execute(db.select(Category)).scalars().first()
    if category is None:
        category = Category(slug="savons", name_fr="Savons", name_en="Soaps")
        db.session.add(category)
    number = next(_counter)
    name = name or f"Savon {number}"
    product = Product(
        slug=f"p-{number}",
        category=category,
        name_fr=name,
        name_en=name + " (en)",
        price_cents=price_cents,
        vat_rate_bp=vat_rate_bp,
        stock=stock,
        active=active,
    )
    db.session.add(product)
    db.session.commit()
    return product.id


def stock_of(app, product_id: int) -> int:
    with app.app_context():
        return db.session.get(Product, product_id).stock


def change_product(app, product_id: int, **values) -> None:
    """Change a product as the owner would (None deletes it)."""
    with app.app_context():
        product = db.session.get(Product, product_id)
        if values.get("delete"):
            db.session.delete(product)
        for name, value in values.items():
            if name != "delete":
                setattr(product, name, value)
        db.session.commit()


def csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    if match is None:
        match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def signed_cookie(app, name: str, value) -> str:
    """The cookie text the consent service would write for this value."""
    from flask import make_response

    from eshop import consent
    from eshop.consent.guard import parse_set_cookie

    with app.test_request_context("/"):
        response = make_response("")
        assert consent.set_cookie(response, name, value)
        return parse_set_cookie(response.headers["Set-Cookie"])[1]


def set_cart(app, client, text: str) -> None:
    """Give the test browser a cart cookie holding this encoded cart."""
    client.set_cookie("cart", signed_cookie(app, "cart", text))


def cart_header(response) -> str | None:
    """The Set-Cookie header the response sends for the cart, if any."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("cart="):
            return header
    return None
