"""Card payment from placing the order to Stripe's signed word, against localstripe.

The browser's part (Stripe.js taking the card) is played by ``set_up_card``; the
shop's pages and webhook are called through the test client.
"""

from __future__ import annotations

import re

import pytest

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from eshop.payments.models import AttemptStatus, CardPayment, StripeEvent
from tests.payments.cards import (
    DECLINED_AT_CHARGE,
    DECLINED_AT_SETUP,
    VISA,
    event,
    place_card_order,
    set_up_card,
    signed,
)
from tests.stripe_server import WEBHOOK_SECRET

WEBHOOK = "/payments/stripe/webhook"


def csrf_of(html: str) -> str:
    return re.search(r'data-csrf-token="([^"]+)"', html).group(1)


def pay_page(client, public_id: str):
    return client.get(f"/orders/{public_id}/pay?lang=en")


def ask(client, public_id: str, what: str, token: str, body: dict | None = None):
    return client.post(
        f"/orders/{public_id}/pay/{what}",
        json=body or {},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def pay_by_card(client, stripe, public_id: str, number: str = VISA):
    """What the page's script does: set-up, card to Stripe, charge; the answer."""
    token = csrf_of(pay_page(client, public_id).text)
    secret = ask(client, public_id, "setup", token).json["client_secret"]
    setup = set_up_card(stripe, secret, number)
    assert "error" not in setup, setup
    return ask(client, public_id, "card", token, {"setup_intent": setup["id"]})


def attempts(app, order_id: int) -> list[tuple[int, str]]:
    with app.app_context():
        rows = _db.session.execute(
            _db.select(CardPayment.attempt, CardPayment.status)
            .where(CardPayment.order_id == order_id)
            .order_by(CardPayment.attempt)
        ).all()
        return [tuple(row) for row in rows]


def order_row(app, order_id: int) -> Order:
    with app.app_context():
        order = _db.session.get(Order, order_id)
        _db.session.expunge(order)
        return order


def intent_of(app, stripe_client, order_id: int) -> dict:
    with app.app_context():
        intent_id = (
            _db.session.execute(
                _db.select(CardPayment.intent_id)
                .where(CardPayment.order_id == order_id)
                .order_by(CardPayment.attempt.desc())
            )
            .scalars()
            .first()
        )
    return stripe_client.v1.payment_intents.retrieve(intent_id).to_dict()


def deliver(client, payload: dict, secret: str = WEBHOOK_SECRET, at: int | None = None):
    body, header = signed(payload, secret, at)
    return client.post(
        WEBHOOK,
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )


def status_mails(app, number: str) -> int:
    with app.app_context():
        return _db.session.execute(
            _db.select(_db.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key == f"order-status-{number}-paid")
        ).scalar_one()


@pytest.fixture
def api(stripe):
    import stripe as stripe_library

    return stripe_library.StripeClient(
        stripe.settings()["STRIPE_SECRET_KEY"],
        base_addresses={"api": stripe.base_url},
    )


def test_placing_a_card_order_leads_to_its_payment_page(app, client):
    from tests.orders.checkout import open_checkout, submit
    from tests.cart.catalogue import add_product

    product_id = add_product(app, price_cents=1250, stock=5)
    form = open_checkout(app, client, f"{product_id}.2.1250")
    assert 'value="card"' in client.get("/checkout?lang=en").text
    response = submit(client, form, payment_method="card")
    assert response.status_code == 303
    assert re.fullmatch(r"/orders/[A-Za-z0-9_-]+/pay(\?lang=en)?", response.location)


def test_the_payment_page_makes_one_intent_for_the_order_amount(
    app, client, stripe, api
):
    order_id, public_id, _ = place_card_order(app)
    first = pay_page(client, public_id)
    pay_page(client, public_id)  # a reload makes no second intent
    assert first.status_code == 200
    assert attempts(app, order_id) == [(1, AttemptStatus.OPEN)]
    intent = intent_of(app, api, order_id)
    order = order_row(app, order_id)
    assert (intent["amount"], intent["currency"]) == (order.total_cents, "eur")
    assert intent["metadata"]["order"] == public_id
    policy = first.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert script_src.split() == ["'self'", stripe.base_url]


def test_paid_only_when_the_signed_event_arrives(app, client, stripe, api):
    order_id, public_id, _ = place_card_order(app)
    answer = pay_by_card(client, stripe, public_id)
    assert answer.status_code == 200
    assert answer.json["state"] == "confirming"
    assert order_row(app, order_id).status == "pending_payment"
    assert attempts(app, order_id) == [(1, AttemptStatus.CONFIRMED)]

    intent = intent_of(app, api, order_id)
    assert intent["status"] == "succeeded"
    response = deliver(client, event("payment_intent.succeeded", intent))
    assert response.status_code == 200
    order = order_row(app, order_id)
    assert order.status == "paid"
    assert order.invoice_number
    assert attempts(app, order_id) == [(1, AttemptStatus.SUCCEEDED)]
    assert status_mails(app, order.number) == 1

    again = deliver(client, event("payment_intent.succeeded", intent))
    assert again.status_code == 200
    assert again.json["replay"] is True
    assert status_mails(app, order.number) == 1
    assert order_row(app, order_id).invoice_number == order.invoice_number

    page = pay_page(client, public_id)
    assert page.status_code == 303
    assert f"/orders/{public_id}?" in page.location + "?"
