"""Card payment from placing the order to Stripe's signed word, against localstripe.

The browser's part (Stripe.js taking the card) is played by ``set_up_card``; the
shop's pages and webhook are called through the test client.
"""

from __future__ import annotations

import logging
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from limits import parse_many

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from eshop.orders.services import InvalidTransition, mark_paid
from eshop.orders.withdrawals import ask_to_cancel
from eshop.payments import services, views
from eshop.payments.models import AttemptStatus, CardPayment, StripeEvent
from tests.cart.catalogue import add_product, set_cart, stock_of
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
        f"/orders/{public_id}/pay/{what}?lang=en",
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


def test_a_forged_or_stale_event_is_refused_and_changes_nothing(
    app, client, stripe, api
):
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    intent = intent_of(app, api, order_id)
    paid = event("payment_intent.succeeded", intent)

    forged = deliver(client, paid, secret="whsec_not_ours")
    stale = deliver(client, paid, at=int(time.time()) - 301)
    unsigned = client.post(WEBHOOK, data=b"{}", content_type="application/json")
    garbage = client.post(
        WEBHOOK, data=b"not json", headers={"Stripe-Signature": "t=1,v1=00"}
    )

    assert [r.status_code for r in (forged, stale, unsigned, garbage)] == [400] * 4
    assert order_row(app, order_id).status == "pending_payment"
    with app.app_context():
        assert _db.session.execute(_db.select(StripeEvent)).first() is None
    # The same event, rightly signed and fresh, still counts afterwards.
    assert deliver(client, paid).status_code == 200
    assert order_row(app, order_id).status == "paid"


def test_an_event_for_another_amount_does_not_pay_the_order(app, client, stripe, api):
    """Money taken for another amount is given back, and the order still waits."""
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    intent = {**intent_of(app, api, order_id), "amount": 100}
    assert deliver(client, event("payment_intent.succeeded", intent)).status_code == 200
    assert order_row(app, order_id).status == "pending_payment"
    assert attempts(app, order_id) == [(1, AttemptStatus.RETURNED)]
    refunds = api.v1.refunds.list(params={"payment_intent": intent["id"]}).data
    assert len(refunds) == 1


def test_the_webhook_may_come_before_the_browser(app, client, stripe, api):
    """Stripe's event lands while the shop is still answering the page's charge
    call: the late answer neither unpays the order nor reopens the attempt."""
    order_id, public_id, _ = place_card_order(app)
    token = csrf_of(pay_page(client, public_id).text)
    secret = ask(client, public_id, "setup", token).json["client_secret"]
    setup = set_up_card(stripe, secret, VISA)
    intent_id = intent_of(app, api, order_id)["id"]
    # Stripe takes the payment and tells the webhook before the shop hears back.
    api.v1.payment_intents.update(
        intent_id, params={"payment_method": setup["payment_method"]}
    )
    confirmed = api.v1.payment_intents.confirm(intent_id)
    assert deliver(client, event("payment_intent.succeeded", confirmed.to_dict()))
    assert order_row(app, order_id).status == "paid"

    late = ask(client, public_id, "card", token, {"setup_intent": setup["id"]})
    assert late.status_code == 409  # nothing left to pay: the page goes on
    assert late.json["state"] == "done"
    assert attempts(app, order_id) == [(1, AttemptStatus.SUCCEEDED)]
    back = pay_page(client, public_id)
    assert back.status_code == 303
    page = client.get(back.location)
    assert "Your payment is received" in page.text


def test_a_card_declined_at_charge_lets_the_shopper_try_again(app, client, stripe, api):
    order_id, public_id, _ = place_card_order(app)
    declined = pay_by_card(client, stripe, public_id, DECLINED_AT_CHARGE)
    assert declined.status_code == 402
    assert declined.json["state"] == "declined"
    assert "declined" in declined.json["message"]
    assert attempts(app, order_id) == [(1, AttemptStatus.FAILED)]
    assert "Your last card was declined" in pay_page(client, public_id).text

    accepted = pay_by_card(client, stripe, public_id, VISA)
    assert accepted.json["state"] == "confirming"
    assert attempts(app, order_id) == [
        (1, AttemptStatus.FAILED),
        (2, AttemptStatus.CONFIRMED),
    ]
    assert intent_of(app, api, order_id)["metadata"]["attempt"] == "2"


def test_a_card_refused_at_set_up_never_reaches_the_shop(app, client, stripe):
    order_id, public_id, _ = place_card_order(app)
    token = csrf_of(pay_page(client, public_id).text)
    secret = ask(client, public_id, "setup", token).json["client_secret"]
    refused = set_up_card(stripe, secret, DECLINED_AT_SETUP)
    assert refused["error"]["code"] == "card_declined"
    assert attempts(app, order_id) == [(1, AttemptStatus.OPEN)]
    assert order_row(app, order_id).status == "pending_payment"


def test_a_set_up_of_another_order_is_refused(app, client, stripe):
    _, first, _ = place_card_order(app)
    second_id, second, _ = place_card_order(app)
    token = csrf_of(pay_page(client, first).text)
    secret = ask(client, first, "setup", token).json["client_secret"]
    setup = set_up_card(stripe, secret, VISA)
    pay_page(client, second)
    answer = ask(client, second, "card", token, {"setup_intent": setup["id"]})
    assert answer.status_code == 400
    assert attempts(app, second_id) == [(1, AttemptStatus.OPEN)]


@pytest.mark.parametrize("body", [{}, {"setup_intent": 3}, {"setup_intent": "a b"}])
def test_a_garbled_charge_call_is_a_400(app, client, stripe, body):
    _, public_id, _ = place_card_order(app)
    token = csrf_of(pay_page(client, public_id).text)
    assert ask(client, public_id, "card", token, body).status_code == 400


def test_payment_calls_need_the_csrf_token(app, client, stripe):
    _, public_id, _ = place_card_order(app)
    pay_page(client, public_id)
    assert client.post(f"/orders/{public_id}/pay/setup", json={}).status_code == 400


def test_an_unknown_or_not_card_order_has_no_payment_page(app, client):
    assert client.get("/orders/" + "x" * 32 + "/pay").status_code == 404
    assert client.get("/orders/bad!/pay").status_code == 404


def test_payment_page_loads_that_ask_stripe_are_limited(
    app, client, stripe, monkeypatch
):
    """Each load of an open payment asks Stripe about it: past the limit (here 2
    an hour) a client gets a 429 in its language, private, with a way back."""
    monkeypatch.setattr(views, "PAGE_LOADS", parse_many("2 per hour"))
    _, public_id, _ = place_card_order(app)
    assert [pay_page(client, public_id).status_code for _ in range(2)] == [200, 200]
    refused = pay_page(client, public_id)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["Cache-Control"] == "private, no-store"
    assert "opened too often" in refused.text
    assert f"/orders/{public_id}" in refused.text  # back to the order


def test_the_confirming_page_reloads_without_counting(
    app, client, stripe, api, monkeypatch
):
    """Waiting for Stripe's word, the page reloads every second and asks Stripe
    nothing: however long the wait, it is never refused."""
    monkeypatch.setattr(views, "PAGE_LOADS", parse_many("2 per hour"))
    _, public_id, _ = place_card_order(app)
    assert pay_by_card(client, stripe, public_id).json["state"] == "confirming"
    reloads = [pay_page(client, public_id) for _ in range(5)]
    assert [page.status_code for page in reloads] == [200] * 5
    assert all(page.headers["Refresh"] == "1" for page in reloads)


def test_reconcile_pays_orders_whose_webhooks_were_lost(app, client, stripe, runner):
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)  # no webhook is registered: it is lost
    assert order_row(app, order_id).status == "pending_payment"

    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    order = order_row(app, order_id)
    assert order.status == "paid"
    assert f"paid {order.number}" in result.output
    assert attempts(app, order_id) == [(1, AttemptStatus.SUCCEEDED)]
    # A late webhook for it changes nothing more.
    again = runner.invoke(args=["payments", "reconcile"])
    assert "0 paid" in again.output
    assert status_mails(app, order.number) == 1


def test_an_unpaid_card_order_expires_once_and_restocks(
    app, client, stripe, runner, api
):
    order_id, public_id, product_id = place_card_order(app, stock=5, quantity=2)
    pay_page(client, public_id)  # an intent waits for a card that never comes
    assert stock_of(app, product_id) == 3

    early = runner.invoke(args=["payments", "reconcile"])
    assert "0 expired" in early.output
    later = datetime.now(UTC) + timedelta(minutes=31)
    with time_machine.travel(later, tick=False):
        result = runner.invoke(args=["payments", "reconcile"])
        again = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "1 expired" in result.output
    assert "0 expired" in again.output
    assert order_row(app, order_id).status == "cancelled"
    assert stock_of(app, product_id) == 5
    assert intent_of(app, api, order_id)["status"] == "canceled"
    assert attempts(app, order_id) == [(1, AttemptStatus.CANCELED)]


def test_orders_expire_leaves_card_orders_to_reconcile(app, runner):
    order_id, _, _ = place_card_order(app)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=30), tick=False):
        runner.invoke(args=["orders", "expire"])
    assert order_row(app, order_id).status == "pending_payment"


def test_the_owner_cannot_mark_a_card_order_paid(app):
    order_id, _, _ = place_card_order(app)
    with app.app_context(), pytest.raises(InvalidTransition):
        mark_paid(order_id)


def test_card_is_not_offered_without_keys(app, client):
    product_id = add_product(app, stock=3)
    set_cart(app, client, f"{product_id}.1.1250")
    app.config["STRIPE_WEBHOOK_SECRET"] = None
    page = client.get("/checkout?lang=en")
    assert 'value="bank_transfer"' in page.text
    assert 'value="card"' not in page.text
    assert client.post(WEBHOOK, data=b"{}").status_code == 404


def test_no_card_data_or_secret_reaches_the_logs(app, client, stripe, api, caplog):
    caplog.set_level(logging.DEBUG)
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    deliver(client, event("payment_intent.succeeded", intent_of(app, api, order_id)))
    text = caplog.text
    assert "4242" not in text
    assert "_secret_" not in text
    assert "claire@example.org" not in text
    assert "payment intent pi_" in text  # ids and statuses are what it says


def test_the_data_map_declares_the_stripe_references(app):
    from eshop.privacy import datamap

    with app.app_context():
        fields = {f.key: f for f in datamap.personal_fields()}
    for key in ("card_payment.intent_id", "card_refund.refund_id"):
        assert fields[key].purpose == "order_processing"


def test_an_oversized_webhook_is_refused_unread(app, client):
    response = client.post(
        WEBHOOK,
        data=b"x" * (600 * 1024),
        headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_the_terms_of_sale_name_card_payment_only_when_offered(app, client):
    offered = client.get("/terms?lang=en").text
    app.config["STRIPE_SECRET_KEY"] = None
    without = client.get("/terms?lang=en").text
    assert "Card" in offered and "Stripe" in offered
    assert "Stripe" not in without


def test_a_failed_payment_event_lets_the_shopper_try_again(app, client, stripe, api):
    order_id, public_id, _ = place_card_order(app)
    pay_page(client, public_id)
    intent = {**intent_of(app, api, order_id), "status": "requires_payment_method"}
    response = deliver(client, event("payment_intent.payment_failed", intent))
    assert response.status_code == 200
    assert attempts(app, order_id) == [(1, AttemptStatus.FAILED)]
    assert "Your last card was declined" in pay_page(client, public_id).text
    assert attempts(app, order_id)[-1] == (2, AttemptStatus.OPEN)


def test_a_stale_failure_event_does_not_undo_a_confirmation(app, client, stripe, api):
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    intent = intent_of(app, api, order_id)  # succeeded at Stripe
    deliver(client, event("payment_intent.payment_failed", intent, "evt_late"))
    assert attempts(app, order_id) == [(1, AttemptStatus.CONFIRMED)]


def test_a_late_answer_does_not_reopen_a_settled_attempt(app, client, stripe, api):
    """The event is handled while the charge call is still on its way back: its
    answer ('confirmed') must not move the settled attempt back."""
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    intent = intent_of(app, api, order_id)
    deliver(client, event("payment_intent.succeeded", intent))
    with app.app_context():
        attempt = _db.session.execute(
            _db.select(CardPayment).where(CardPayment.order_id == order_id)
        ).scalar_one()
        with app.test_request_context():
            outcome = services._outcome(
                attempt, api.v1.payment_intents.retrieve(intent["id"])
            )
    assert outcome.state == "confirming"
    assert attempts(app, order_id) == [(1, AttemptStatus.SUCCEEDED)]


def test_a_webhook_after_reconcile_changes_nothing(app, client, stripe, api, runner):
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    runner.invoke(args=["payments", "reconcile"])
    order = order_row(app, order_id)
    assert order.status == "paid"
    deliver(client, event("payment_intent.succeeded", intent_of(app, api, order_id)))
    assert order_row(app, order_id).invoice_number == order.invoice_number
    assert status_mails(app, order.number) == 1
    assert attempts(app, order_id) == [(1, AttemptStatus.SUCCEEDED)]


def test_an_unknown_set_up_is_a_400(app, client, stripe):
    _, public_id, _ = place_card_order(app)
    token = csrf_of(pay_page(client, public_id).text)
    answer = ask(client, public_id, "card", token, {"setup_intent": "seti_unknown1"})
    assert answer.status_code == 400


def test_an_oversized_charge_call_is_refused_unread(app, client, stripe):
    _, public_id, _ = place_card_order(app)
    token = csrf_of(pay_page(client, public_id).text)
    body = {"setup_intent": "seti_x", "padding": "x" * 300_000}
    assert ask(client, public_id, "card", token, body).status_code == 413


def test_a_second_payment_of_a_paid_order_goes_back(app, client, stripe, api):
    """Two tabs, two cards: the second payment Stripe takes is given back."""
    order_id, public_id, _ = place_card_order(app)
    pay_by_card(client, stripe, public_id)
    deliver(client, event("payment_intent.succeeded", intent_of(app, api, order_id)))
    order = order_row(app, order_id)
    second = api.v1.payment_intents.create(
        params={
            "amount": order.total_cents,
            "currency": "eur",
            "metadata": {"order": public_id},
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    with app.app_context():
        _db.session.add(
            CardPayment(
                order_id=order_id,
                attempt=2,
                intent_id=second.id,
                amount_cents=order.total_cents,
                status=AttemptStatus.CONFIRMED,
            )
        )
        _db.session.commit()
    deliver(client, event("payment_intent.succeeded", second.to_dict(), "evt_2"))
    assert attempts(app, order_id) == [
        (1, AttemptStatus.SUCCEEDED),
        (2, AttemptStatus.RETURNED),
    ]
    assert len(api.v1.refunds.list(params={"payment_intent": second.id}).data) == 1
    assert order_row(app, order_id).status == "paid"


def test_the_shopper_cancelling_during_a_payment_gets_it_back(app, client, stripe, api):
    order_id, public_id, product_id = place_card_order(app, stock=5, quantity=2)
    pay_by_card(client, stripe, public_id)  # confirmed, Stripe's word not in yet
    with app.app_context():
        ask_to_cancel(order_id)
    assert order_row(app, order_id).status == "cancelled"
    intent = intent_of(app, api, order_id)
    deliver(client, event("payment_intent.succeeded", intent))
    assert order_row(app, order_id).status == "cancelled"
    assert attempts(app, order_id) == [(1, AttemptStatus.RETURNED)]
    assert len(api.v1.refunds.list(params={"payment_intent": intent["id"]}).data) == 1
    assert stock_of(app, product_id) == 5


def test_an_intent_stripe_does_not_know_lets_the_order_expire(
    app, client, stripe, runner
):
    """Intents made under other keys (test keys, say, before going live) are gone
    for Stripe: the order expires all the same instead of holding its stock."""
    order_id, public_id, product_id = place_card_order(app, stock=5, quantity=2)
    pay_page(client, public_id)
    stripe.flush()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31), tick=False):
        result = runner.invoke(args=["payments", "reconcile"])
    assert "1 expired" in result.output, result.output
    assert stock_of(app, product_id) == 5


def test_card_set_ups_are_counted_per_order(app, client, stripe):
    """Each set-up lets a script try cards at Stripe: ten an hour per order, from
    any number of clients."""
    _, public_id, _ = place_card_order(app)
    token = csrf_of(pay_page(client, public_id).text)
    answers = [
        ask(
            client,
            public_id,
            "setup",
            token,
        ).status_code
        for _ in range(11)
    ]
    assert answers == [200] * 10 + [409]


def test_the_privacy_page_names_stripe_when_cards_are_taken(app, client):
    assert "Stripe Payments Europe" in client.get("/privacy?lang=en").text
    app.config["STRIPE_SECRET_KEY"] = None
    assert "Stripe Payments Europe" not in client.get("/privacy?lang=en").text
