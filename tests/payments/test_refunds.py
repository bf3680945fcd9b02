"""Refunds to the card, at the service: within what was paid, once, on Stripe's word.

Every test pays a card order end to end against localstripe (set-up, charge, signed
event), then refunds it through ``refund_to_card`` and asks localstripe which
refunds it holds.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from stripe import StripeClient

from eshop.extensions import db as _db
from eshop.orders.models import Order
from eshop.orders.services import cancel_unpaid_order
from eshop.orders.withdrawals import ask_to_cancel
from eshop.payments import gateway, refunds
from eshop.payments.errors import (
    AlreadyRefundedToCard,
    NothingToRefund,
    RefundFailed,
    RefundTooHigh,
)
from eshop.payments.models import AttemptStatus, CardPayment, CardRefund
from eshop.payments.refunds import payment_summary, refund_to_card, refundable_cents
from tests.cart.catalogue import add_product
from tests.orders.test_withdrawal import place
from tests.payments.cards import event, place_card_order
from tests.payments.test_card_flow import deliver, pay_by_card, pay_page
from tests.stripe_server import SECRET_KEY, LocalStripe, any_free_port


@dataclass(frozen=True)
class PaidOrder:
    id: int
    public_id: str
    intent_id: str
    total_cents: int


def stripe_api(stripe: LocalStripe) -> StripeClient:
    """A client of localstripe of the test's own, to see what the shop asked."""
    return StripeClient(SECRET_KEY, base_addresses={"api": stripe.base_url})


def card_order_paid(app, client, stripe: LocalStripe, *, cancel_first=False):
    """A card order paid end to end; with ``cancel_first``, the order was called
    off before Stripe's word arrived (paid after it expired)."""
    order_id, public_id, _ = place_card_order(app)
    answer = pay_by_card(client, stripe, public_id)
    assert answer.json["state"] == "confirming", answer.json
    with app.app_context():
        attempt = _db.session.execute(
            _db.select(CardPayment).where(CardPayment.order_id == order_id)
        ).scalar_one()
        intent_id = attempt.intent_id
        total = _db.session.get(Order, order_id).total_cents
        if cancel_first:
            cancel_unpaid_order(order_id)
    intent = stripe_api(stripe).v1.payment_intents.retrieve(intent_id).to_dict()
    assert deliver(client, event("payment_intent.succeeded", intent)).status_code == 200
    return PaidOrder(order_id, public_id, intent_id, total)


def refunds_at_stripe(stripe: LocalStripe, intent_id: str) -> list[tuple[str, int]]:
    """(refund id, amount) of every refund localstripe holds for the payment."""
    listed = stripe_api(stripe).v1.refunds.list(params={"payment_intent": intent_id})
    return sorted((refund.id, refund.amount) for refund in listed.data)


def recorded(app, order_id: int) -> list[tuple[str | None, int]]:
    with app.app_context():
        rows = _db.session.execute(
            _db.select(CardRefund.refund_id, CardRefund.amount_cents)
            .where(CardRefund.order_id == order_id)
            .order_by(CardRefund.id)
        ).all()
        return [tuple(row) for row in rows]


def left_to_refund(app, order_id: int) -> int:
    with app.app_context():
        return refundable_cents(order_id)


@dataclass(frozen=True)
class Refunded:
    id: int
    refund_id: str | None


def refund(app, order_id: int, amount_cents: int, **kwargs: Any) -> Refunded:
    with app.app_context():
        done = refund_to_card(order_id, amount_cents, **kwargs)
        return Refunded(done.id, done.refund_id)


@pytest.fixture
def paid(app, client, stripe) -> PaidOrder:
    return card_order_paid(app, client, stripe)


# --- within what was paid -----------------------------------------------------------


def test_a_partial_refund_then_the_rest(app, stripe, paid):
    first = refund(app, paid.id, 500)
    assert first.refund_id.startswith("re_")
    assert left_to_refund(app, paid.id) == paid.total_cents - 500

    rest = refund(app, paid.id, paid.total_cents - 500)

    assert left_to_refund(app, paid.id) == 0
    assert recorded(app, paid.id) == [
        (first.refund_id, 500),
        (rest.refund_id, paid.total_cents - 500),
    ]
    assert refunds_at_stripe(stripe, paid.intent_id) == sorted(
        [(first.refund_id, 500), (rest.refund_id, paid.total_cents - 500)]
    )
    with app.app_context():
        summary = payment_summary(paid.id)
    assert summary["refundable_cents"] == 0
    assert [r.amount_cents for r in summary["refunds"]] == [500, paid.total_cents - 500]


@pytest.mark.parametrize("over", [1, 10_000])
def test_more_than_what_is_left_is_refused_and_stripe_never_asked(
    app, stripe, paid, over
):
    with pytest.raises(RefundTooHigh) as refused:
        refund(app, paid.id, paid.total_cents + over)
    assert refused.value.cap_cents == paid.total_cents

    refund(app, paid.id, 700)
    with pytest.raises(RefundTooHigh) as again:
        refund(app, paid.id, paid.total_cents - 700 + over)
    assert again.value.cap_cents == paid.total_cents - 700

    assert [amount for _, amount in recorded(app, paid.id)] == [700]
    assert [amount for _, amount in refunds_at_stripe(stripe, paid.intent_id)] == [700]


@pytest.mark.parametrize("amount", [0, -100])
def test_nothing_or_less_than_nothing_is_refused(app, stripe, paid, amount):
    with pytest.raises(RefundTooHigh):
        refund(app, paid.id, amount)
    assert recorded(app, paid.id) == []
    assert refunds_at_stripe(stripe, paid.intent_id) == []


def test_a_full_refund_leaves_nothing_to_refund(app, stripe, paid):
    refund(app, paid.id, paid.total_cents)
    with pytest.raises(RefundTooHigh) as refused:
        refund(app, paid.id, 1)
    assert refused.value.cap_cents == 0
    assert len(refunds_at_stripe(stripe, paid.intent_id)) == 1


def test_an_unpaid_card_order_has_nothing_to_refund(app, client, stripe):
    order_id, public_id, _ = place_card_order(app)
    pay_page(client, public_id)  # a PaymentIntent waits for a card
    with pytest.raises(NothingToRefund):
        refund(app, order_id, 100)
    assert left_to_refund(app, order_id) == 0
    assert recorded(app, order_id) == []


def test_an_order_paid_another_way_has_nothing_to_refund(app):
    order_id = place(app, [(add_product(app), 1)])
    with pytest.raises(NothingToRefund):
        refund(app, order_id, 100)


def test_a_payment_for_a_cancelled_order_goes_back_by_itself(app, client, stripe):
    late = card_order_paid(app, client, stripe, cancel_first=True)
    with app.app_context():
        assert _db.session.get(Order, late.id).status == "cancelled"
        status = _db.session.execute(
            _db.select(CardPayment.status).where(CardPayment.order_id == late.id)
        ).scalar_one()
    assert status == AttemptStatus.RETURNED
    assert [a for _, a in refunds_at_stripe(stripe, late.intent_id)] == [
        late.total_cents
    ]
    assert [a for _, a in recorded(app, late.id)] == [late.total_cents]
    assert left_to_refund(app, late.id) == 0


def test_a_refund_keeps_the_withdrawal_it_settles(app, paid):
    with app.app_context():
        request_id = ask_to_cancel(paid.id).request.id
    done = refund(app, paid.id, 300, withdrawal_request_id=request_id)
    with app.app_context():
        assert _db.session.get(CardRefund, done.id).withdrawal_request_id == request_id


# --- when Stripe says no, or says nothing -------------------------------------------


def test_a_refund_stripe_refuses_is_not_recorded(app, client, stripe):
    """Given a payment the shop believes succeeded but Stripe never charged, when
    the owner refunds it, then Stripe refuses and nothing stays recorded."""
    order_id, public_id, _ = place_card_order(app)
    pay_page(client, public_id)
    with app.app_context():
        attempt = _db.session.execute(
            _db.select(CardPayment).where(CardPayment.order_id == order_id)
        ).scalar_one()
        attempt.status = AttemptStatus.SUCCEEDED
        _db.session.commit()
    with pytest.raises(RefundFailed):
        refund(app, order_id, 100)
    assert recorded(app, order_id) == []
    assert stripe_api(stripe).v1.refunds.list().data == []
    assert left_to_refund(app, order_id) > 0


def unreachable_stripe(app) -> None:
    """Point the app's Stripe client at a port where nothing listens."""
    app.extensions[gateway.EXTENSION_KEY] = StripeClient(
        SECRET_KEY,
        base_addresses={"api": f"http://127.0.0.1:{any_free_port()}"},
        max_network_retries=0,
    )


def test_a_refund_stripe_does_not_answer_stays_pending_until_reconcile(
    app, stripe, paid, runner
):
    """No answer: Stripe may have made it, so the amount stays held (no second
    refund on a retry) until reconcile finds Stripe never did, and frees it."""
    unreachable_stripe(app)
    with pytest.raises(RefundFailed) as failed:
        refund(app, paid.id, 500)
    assert failed.value.unknown
    assert recorded(app, paid.id) == [(None, 500)]
    assert left_to_refund(app, paid.id) == paid.total_cents - 500

    gateway.init_app(app)  # Stripe answers again
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=11), tick=False):
        result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert recorded(app, paid.id) == []
    assert left_to_refund(app, paid.id) == paid.total_cents
    assert refunds_at_stripe(stripe, paid.intent_id) == []


def test_a_refund_without_keys_is_not_recorded(app, stripe, paid):
    app.config["STRIPE_SECRET_KEY"] = None
    with pytest.raises(RefundFailed) as failed:
        refund(app, paid.id, 500)
    assert failed.value.unreachable
    assert recorded(app, paid.id) == []
    assert left_to_refund(app, paid.id) == paid.total_cents


# --- at the same moment -------------------------------------------------------------


def test_two_refunds_at_once_cannot_pass_the_cap_together(
    app, stripe, paid, monkeypatch
):
    """Given a paid order, when two owners' tabs refund 60 % each at the same
    moment, then one refund goes through and the other is refused before Stripe.

    Each reads what is left to refund and then waits a little before writing its
    refund, so that without a lock both would read the same amount left.
    """
    read_left = refunds.refundable_cents

    def slow_read(order_id: int) -> int:
        left = read_left(order_id)
        time.sleep(0.3)
        return left

    monkeypatch.setattr(refunds, "refundable_cents", slow_read)
    amount = paid.total_cents * 6 // 10
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def owner_refunds() -> None:
        with app.app_context():
            start.wait()
            try:
                refund_to_card(paid.id, amount)
                outcomes.append("refunded")
            except RefundTooHigh:
                outcomes.append("refused")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=owner_refunds) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["refunded", "refused"]
    assert [a for _, a in recorded(app, paid.id)] == [amount]
    assert [a for _, a in refunds_at_stripe(stripe, paid.intent_id)] == [amount]


def test_a_withdrawal_is_refunded_to_the_card_once(app, stripe, paid):
    with app.app_context():
        request_id = ask_to_cancel(paid.id).request.id
        refund_to_card(paid.id, 300, withdrawal_request_id=request_id)
        with pytest.raises(AlreadyRefundedToCard):
            refund_to_card(paid.id, 300, withdrawal_request_id=request_id)
    assert [amount for _, amount in refunds_at_stripe(stripe, paid.intent_id)] == [300]


def test_reconcile_settles_a_refund_left_without_stripe_s_id(app, stripe, paid, runner):
    """The process stopped between Stripe's answer and recording it: reconcile
    records the refund Stripe made, and drops a row Stripe never heard of."""
    with app.app_context():
        made = refund_to_card(paid.id, 400)
        made_id, stripe_id = made.id, made.refund_id
        made.refund_id = None
        lost = CardRefund(
            order_id=paid.id,
            card_payment_id=made.card_payment_id,
            amount_cents=200,
        )
        _db.session.add(lost)
        _db.session.commit()
        lost_id = lost.id
    later = datetime.now(UTC) + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _db.session.get(CardRefund, made_id).refund_id == stripe_id
        assert _db.session.get(CardRefund, lost_id) is None
