"""Twenty deliveries of Stripe's word at once, over real HTTP, pay the order once.

Run on both databases; on PostgreSQL the requests truly overlap (the handled event's
primary key and the order's conditional update decide), on SQLite the write lock
takes them one by one.
"""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlsplit

import pytest

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from eshop.payments.models import StripeEvent
from tests.payments.cards import event, place_card_order, signed
from tests.payments.test_card_flow import intent_of, pay_by_card
from tests.stripe_server import WEBHOOK_SECRET


def deliver_at_once(live_server: str, bodies: list[tuple[bytes, str]]) -> list[int]:
    host = urlsplit(live_server).netloc
    start = threading.Barrier(len(bodies))
    statuses: list[int] = []

    def stripe_sends(body: bytes, header: str) -> None:
        connection = http.client.HTTPConnection(host, timeout=60)
        start.wait()
        connection.request(
            "POST",
            "/payments/stripe/webhook",
            body=body,
            headers={"Stripe-Signature": header, "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        response.read()
        statuses.append(response.status)
        connection.close()

    threads = [threading.Thread(target=stripe_sends, args=pair) for pair in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.mark.parametrize("same_event", [True, False], ids=["one event", "twenty ids"])
def test_twenty_concurrent_webhooks_pay_the_order_once(
    app, client, stripe, live_server, same_event
):
    import stripe as stripe_library

    api = stripe_library.StripeClient(
        stripe.settings()["STRIPE_SECRET_KEY"], base_addresses={"api": stripe.base_url}
    )
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    intent = intent_of(app, api, order_id)
    bodies = [
        signed(
            event(
                "payment_intent.succeeded",
                intent,
                "evt_same" if same_event else f"evt_{n}",
            ),
            WEBHOOK_SECRET,
        )
        for n in range(20)
    ]

    statuses = deliver_at_once(live_server, bodies)

    assert statuses == [200] * 20
    with app.app_context():
        order = _db.session.get(Order, order_id)
        assert order.status == "paid"
        assert order.invoice_number is not None
        mails = _db.session.execute(
            _db.select(_db.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key == f"order-status-{order.number}-paid")
        ).scalar_one()
        handled = _db.session.execute(
            _db.select(_db.func.count()).select_from(StripeEvent)
        ).scalar_one()
    assert mails == 1
    assert handled == (1 if same_event else 20)
