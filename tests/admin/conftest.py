"""Back-office fixtures: an owner account, a client logged in through the form, and a
row behind every screen that takes one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eshop.catalog.models import Category, Product
from eshop.extensions import db as _db
from eshop.newsletter.models import Campaign
from eshop.orders.models import OrderStatus
from eshop.orders.services import mark_paid

OWNER_EMAIL = "owner@lavande.example"
OWNER_PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class OwnerAccount:
    id: int
    email: str
    password: str


@pytest.fixture
def owner(app: Flask) -> OwnerAccount:
    """An owner account, created the way create-admin does."""
    from eshop.admin.services import create_or_reset_owner

    with app.app_context():
        account, _ = create_or_reset_owner(OWNER_EMAIL, OWNER_PASSWORD)
        return OwnerAccount(account.id, account.email, OWNER_PASSWORD)


def csrf_token_in(html: str) -> str:
    """The CSRF token of the first form on a rendered page."""
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field on the page"
    return match.group(1)


class AdminActions:
    """Action helper: log in through the real form, and post admin forms with CSRF."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(
        self, email: str = OWNER_EMAIL, password: str = OWNER_PASSWORD
    ) -> TestResponse:
        page = self.client.get("/admin/login")
        return self.client.post(
            "/admin/login",
            data={
                "email": email,
                "password": password,
                "csrf_token": csrf_token_in(page.text),
            },
        )

    def logout(self) -> TestResponse:
        page = self.client.get("/admin/")
        return self.client.post(
            "/admin/logout", data={"csrf_token": csrf_token_in(page.text)}
        )

    def csrf_token(self, path: str = "/admin/") -> str:
        """A valid CSRF token, read from the page at ``path``."""
        return csrf_token_in(self.client.get(path).text)

    def post(
        self, path: str, data: dict[str, Any] | None = None, **kwargs: Any
    ) -> TestResponse:
        """POST a form to ``path`` with a CSRF token read from the page at ``path``
        (or from the dashboard when ``path`` has no form to read)."""
        page = self.client.get(path)
        token = (
            csrf_token_in(page.text)
            if page.status_code == 200 and "csrf_token" in page.text
            else self.csrf_token()
        )
        return self.client.post(
            path, data={**(data or {}), "csrf_token": token}, **kwargs
        )


@pytest.fixture
def admin(client: FlaskClient, owner: OwnerAccount) -> AdminActions:
    """A client logged in as the owner through the login form."""
    actions = AdminActions(client)
    response = actions.login()
    assert response.status_code == 302, response.text
    return actions


@pytest.fixture
def logged_in_client(admin: AdminActions) -> FlaskClient:
    """The test client, logged in as the owner."""
    return admin.client


# --- a back office with a row behind every screen ---------------------------------


@dataclass
class Seeded:
    """Ids of the rows the back office's pages with arguments show."""

    product_id: int
    category_id: int
    order_id: int
    campaign_id: int


@pytest.fixture
def seeded(app: Flask) -> Seeded:
    """A category, a product, a paid order (it has an invoice), an order awaiting
    payment and a draft campaign."""
    from .test_orders import make_order  # the order checkout would have written

    with app.app_context():
        category = Category(slug="savons", name_fr="Savons", name_en="Soaps")
        product = Product(
            slug="savon-lavande",
            category=category,
            name_fr="Savon à la lavande",
            name_en="Lavender soap",
            price_cents=1250,
            stock=3,
        )
        campaign = Campaign(subject="Récolte", body_markdown="# La récolte\n")
        _db.session.add_all([category, product, campaign])
        _db.session.commit()
        order_id = make_order(product_id=product.id)
        mark_paid(order_id)
        make_order(status=OrderStatus.PENDING_PAYMENT)
        return Seeded(product.id, category.id, order_id, campaign.id)


def admin_pages(app: Flask, seeded: Seeded) -> list[str]:
    """The URL of every GET screen of the back office, built from the URL map."""
    values = {
        "product_id": seeded.product_id,
        "category_id": seeded.category_id,
        "order_id": seeded.order_id,
        "campaign_id": seeded.campaign_id,
    }
    urls = []
    with app.test_request_context("/"):
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("admin.") or "GET" not in rule.methods:
                continue
            arguments = {name: values[name] for name in rule.arguments}
            urls.append(url_for(rule.endpoint, **arguments))
    return sorted(urls)
