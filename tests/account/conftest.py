"""Member-area helpers: orders placed through the real service, and a member signed
in through the real pages with the link read from the queued email."""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eshop.extensions import db
from eshop.mail.models import OutboxMessage
from eshop.orders.services import CheckoutRequest, Customer, mark_paid, place_order
from tests.cart.catalogue import add_product

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
LINK = re.compile(r"https?://[^\s]+/account/sign-in/([A-Za-z0-9_-]+)\?lang=(fr|en)")
MEMBER_EMAIL = "claire@example.org"
ADDRESS_FIELDS_SAMPLE = {
    "full_name": "Claire Martin",
    "street": "3 rue des Lilas",
    "postal_code": "84000",
    "city": "Avignon",
    "country": "FR",
    "phone": "",
}
_tokens = itertools.count(1)


def csrf_in(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token on the page"
    return match.group(1)


def place_test_order(
    app: Flask,
    email: str = MEMBER_EMAIL,
    items: list[tuple[int, int]] | None = None,
    *,
    paid: bool = False,
) -> str:
    """Place an order through ``place_order`` (as checkout does); its public id."""
    if items is None:
        items = [(add_product(app, price_cents=1200, stock=20), 2)]
    with app.test_request_context("/"):
        placement = place_order(
            CheckoutRequest(
                checkout_token=f"test-{next(_tokens)}-{secrets.token_hex(4)}",
                customer=Customer(
                    email=email,
                    full_name="Claire Martin",
                    street="3 rue des Lilas",
                    postal_code="84000",
                    city="Avignon",
                    country="FR",
                ),
                items=tuple(items),
                shipping_method="standard",
                payment_method="bank_transfer",
                accepted_subtotal_cents=10**8,
            )
        )
        if paid:
            mark_paid(placement.order.id)
        return placement.order.public_id


def last_link_to(app: Flask, email: str) -> str | None:
    """The sign-in token of the latest email queued for the address, if any."""
    with app.app_context():
        message = db.session.execute(
            db.select(OutboxMessage)
            .where(OutboxMessage.recipient == email)
            .where(OutboxMessage.text_body.contains("/account/sign-in/"))
            .order_by(OutboxMessage.id.desc())
        ).scalar()
        if message is None:
            return None
        match = LINK.search(message.text_body)
        assert match, message.text_body
        return match.group(1)


def sign_in_links_queued(app: Flask) -> int:
    with app.app_context():
        return len(
            db.session.execute(
                db.select(OutboxMessage.id).where(
                    OutboxMessage.text_body.contains("/account/sign-in/")
                )
            ).all()
        )


@dataclass
class Member:
    """A browser (test client) acting as a shopper in the member area."""

    client: FlaskClient
    app: Flask
    email: str = MEMBER_EMAIL

    def ask_link(self, email: str | None = None, lang: str = "en") -> TestResponse:
        page = self.client.get(f"/account?lang={lang}")
        return self.client.post(
            f"/account/sign-in?lang={lang}",
            data={"email": email or self.email, "csrf_token": csrf_in(page.text)},
        )

    def use(self, token: str, lang: str = "en") -> TestResponse:
        page = self.client.get(f"/account/sign-in/{token}?lang={lang}")
        assert page.status_code == 200, page.text
        return self.client.post(
            f"/account/sign-in/{token}?lang={lang}",
            data={"csrf_token": csrf_in(page.text)},
        )

    def sign_in(self) -> TestResponse:
        assert self.ask_link().status_code == 200
        token = last_link_to(self.app, self.email)
        assert token, "no sign-in link was queued"
        response = self.use(token)
        assert response.status_code == 303, response.text
        return response

    def post(self, url: str, data: dict | None = None) -> TestResponse:
        """Post a member-area form with the CSRF token of the account page."""
        page = self.client.get("/account?lang=en")
        return self.client.post(
            url + "?lang=en", data={"csrf_token": csrf_in(page.text), **(data or {})}
        )

    def home(self) -> TestResponse:
        return self.client.get("/account?lang=en")

    def signed_in(self) -> bool:
        return "Signed in as" in self.home().text


@pytest.fixture
def app_config() -> dict:
    return {}


@pytest.fixture
def shopper(app: Flask) -> Member:
    """A customer with one order, not signed in yet."""
    place_test_order(app)
    return Member(app.test_client(), app)


@pytest.fixture
def member(shopper: Member) -> Member:
    """A customer with one order, signed in through the emailed link."""
    shopper.sign_in()
    return shopper
