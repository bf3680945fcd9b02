"""Order mails reach a real SMTP server through the outbox worker."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header

import pytest
import time_machine

from eshop.clock import utcnow
from eshop.extensions import db as _db
from eshop.mail import worker
from eshop.orders.models import Order
from eshop.orders.services import mark_shipped
from tests.cart.catalogue import add_product
from tests.conftest import free_port
from tests.orders.checkout import open_checkout, submit


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False, "MAIL_OWNER_ADDRESS": "owner@lavande.example"}


def the_order(app) -> Order:
    with app.app_context():
        order = _db.session.execute(_db.select(Order)).scalar_one()
        _db.session.expunge(order)
        return order


def text_of(message) -> str:
    """The plain-text part of a received message, decoded."""
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            charset = part.get_content_charset() or "utf-8"
            return part.get_payload(decode=True).decode(charset)
    raise AssertionError("no text/plain part")


def subject_of(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def flush(app) -> worker.FlushReport:
    with app.app_context():
        return worker.flush()


def test_the_customer_and_the_owner_receive_their_mails(app, client, smtp):
    soap = add_product(app, price_cents=1250, stock=5, name="Savon lavande")
    response = submit(client, open_checkout(app, client, f"{soap}.2.1250"))
    assert response.status_code == 303
    order = the_order(app)

    report = flush(app)

    assert report.sent == 2
    [confirmation] = smtp.to("claire@example.org")
    assert order.number in subject_of(confirmation)
    body = text_of(confirmation)
    assert f"http://localhost/orders/{order.public_id}" in body
    assert "FR76 3000 6000 0112 3456 7890 189" in body
    assert "Savon lavande (en)" in body
    [owner] = smtp.to("owner@lavande.example")
    assert order.number in subject_of(owner)
    assert "Claire Martin" in text_of(owner)
    assert smtp.connections == 1


def test_a_status_change_mails_the_customer(app, client, smtp):
    soap = add_product(app, stock=5)
    submit(
        client,
        open_checkout(app, client, f"{soap}.1.1250"),
        payment_method="cash_on_delivery",
    )
    order = the_order(app)
    with app.app_context():
        mark_shipped(order.id, tracking_number="6A0001")
    flush(app)
    mails = smtp.to("claire@example.org")
    assert len(mails) == 2
    assert any("6A0001" in text_of(m) for m in mails)


def test_with_the_smtp_server_down_the_order_is_placed_and_mailed_later(
    app, client, smtp
):
    soap = add_product(app, stock=5)
    live_port = app.config["MAIL_PORT"]
    app.config["MAIL_PORT"] = free_port()  # nothing listens there
    app.extensions["mail"].port = app.config["MAIL_PORT"]

    response = submit(client, open_checkout(app, client, f"{soap}.1.1250"))
    assert response.status_code == 303
    order = the_order(app)
    down = flush(app)
    assert down.sent == 0 and down.retried == 2
    assert smtp.envelopes == []

    app.config["MAIL_PORT"] = live_port
    app.extensions["mail"].port = live_port
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        back = flush(app)
    assert back.sent == 2
    assert order.number in subject_of(smtp.to("claire@example.org")[0])
