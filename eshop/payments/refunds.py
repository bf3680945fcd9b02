"""Money back to the card: the owner's refunds (full or partial, withdrawals
included) and the return of a payment the order cannot use.

A refund is written before Stripe is asked (under the paid attempt's lock, so two
clicks cannot both pass the cap) with a random token that is its idempotency key
and its metadata at Stripe; if Stripe does not answer, the row stays pending and
``payments reconcile`` records what Stripe made or drops the row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import stripe
from sqlalchemy import func

from eshop.extensions import db
from eshop.orders.services import write_transaction
from eshop.orders.withdrawals import (
    AlreadyRefunded,
    get_request,
    record_refund,
)
from eshop.orders.withdrawals import RefundTooHigh as OverWithdrawalCap

from .attempts import attempts_of, lock_attempt, move_attempt, succeeded_attempt
from .errors import (
    AlreadyRefundedToCard,
    NothingToRefund,
    RefundFailed,
    RefundPending,
    RefundTooHigh,
)
from .gateway import (
    CardPaymentUnavailable,
    StripeRefused,
    call_stripe,
    client,
    metadata_value,
)
from .models import AttemptStatus, CardPayment, CardRefund

log = logging.getLogger(__name__)

# A refund still without Stripe's id after this long is looked up at Stripe.
PENDING_REFUND_MINUTES = 10
# Stripe may have made the refund before the answer was lost: keep it pending.
OUTCOME_UNKNOWN = (stripe.APIConnectionError, stripe.APIError)


def refunds_of(order_id: int) -> list[CardRefund]:
    """Every refund to the card of the order, oldest first."""
    return list(
        db.session.execute(
            db.select(CardRefund)
            .where(CardRefund.order_id == order_id)
            .order_by(CardRefund.id)
        ).scalars()
    )


def refundable_cents(order_id: int) -> int:
    """What may still go back to the card: the payment less its refunds."""
    attempt = succeeded_attempt(order_id)
    if attempt is None:
        return 0
    refunded = db.session.execute(
        db.select(func.coalesce(func.sum(CardRefund.amount_cents), 0)).where(
            CardRefund.card_payment_id == attempt.id
        )
    ).scalar_one()
    return attempt.amount_cents - refunded


def refund_to_card(
    order_id: int, amount_cents: int, *, withdrawal_request_id: int | None = None
) -> CardRefund:
    """Send ``amount_cents`` back to the card the order was paid with, once per
    withdrawal request when it settles one."""
    with write_transaction():
        attempt = succeeded_attempt(order_id)
        if attempt is None or attempt.intent_id is None:
            raise NothingToRefund(order_id)
        lock_attempt(attempt.id)
        if withdrawal_request_id is not None and _refund_for(withdrawal_request_id):
            raise AlreadyRefundedToCard(withdrawal_request_id)
        cap = refundable_cents(order_id)
        if not 0 < amount_cents <= cap:
            raise RefundTooHigh(cap)
        refund = CardRefund(
            order_id=order_id,
            card_payment_id=attempt.id,
            amount_cents=amount_cents,
            withdrawal_request_id=withdrawal_request_id,
        )
        db.session.add(refund)
    intent_id = attempt.intent_id
    try:
        answer = client().v1.refunds.create(
            params={
                "payment_intent": intent_id,
                "amount": amount_cents,
                "metadata": {"card_refund": refund.token},
            },
            options={"idempotency_key": f"refund-{refund.token}"},
        )
    except OUTCOME_UNKNOWN as error:
        log.warning("refund on %s unanswered: %s", intent_id, type(error).__name__)
        raise RefundFailed(order_id, unknown=True) from error
    except (CardPaymentUnavailable, stripe.StripeError) as error:
        _forget(refund)
        log.warning("refund on %s not made: %s", intent_id, type(error).__name__)
        if isinstance(error, CardPaymentUnavailable | stripe.RateLimitError):
            raise RefundFailed(order_id, unreachable=True) from error
        raise RefundFailed(order_id, reason=error.user_message) from error
    if answer.status in ("failed", "canceled"):
        _forget(refund)
        reason = getattr(answer, "failure_reason", None)
        raise RefundFailed(order_id, reason=reason)
    with write_transaction():
        refund.refund_id = answer.id
    log.info("refund %s of %d cents on %s", answer.id, amount_cents, intent_id)
    return refund


@dataclass(frozen=True)
class WithdrawalRefund:
    """What a withdrawal's refund to the card did: ``amount_cents`` recorded, sent
    now or found made earlier (Stripe took it, the recording had failed)."""

    amount_cents: int
    made_earlier: bool


def refund_withdrawal_to_card(request_id: int, amount_cents: int) -> WithdrawalRefund:
    """A card order's withdrawal (or cancellation) refund: sent to the card first,
    then recorded on the request, once.

    Everything that can refuse is checked before Stripe is asked: AlreadyRefunded,
    the request's cap (orders' RefundTooHigh), a refund still waiting for Stripe
    (RefundPending). A refund made earlier for the request is recorded rather than
    sent again; Stripe refusing (a PaymentError) records nothing.
    """
    withdrawal = get_request(request_id)
    if withdrawal.refunded_at is not None:
        raise AlreadyRefunded(request_id)
    if not 0 < amount_cents <= withdrawal.refund_cap_cents:
        raise OverWithdrawalCap(withdrawal.refund_cap_cents)
    earlier = [
        refund
        for refund in refunds_of(withdrawal.order_id)
        if refund.withdrawal_request_id == request_id
    ]
    if any(refund.refund_id is None for refund in earlier):
        raise RefundPending(request_id)
    if earlier:
        amount_cents = sum(refund.amount_cents for refund in earlier)
    else:
        refund_to_card(
            withdrawal.order_id, amount_cents, withdrawal_request_id=request_id
        )
    record_refund(request_id, amount_cents)
    return WithdrawalRefund(amount_cents, made_earlier=bool(earlier))


def _refund_for(withdrawal_request_id: int) -> bool:
    found = db.session.execute(
        db.select(CardRefund.id).where(
            CardRefund.withdrawal_request_id == withdrawal_request_id
        )
    ).first()
    return found is not None


def _forget(refund: CardRefund) -> None:
    with write_transaction():
        db.session.delete(refund)


def return_payment(attempt: CardPayment) -> bool:
    """Give back in full a payment the order cannot use (a second payment, one for
    a cancelled order, or for another amount); False if Stripe could not be asked,
    and reconcile tries again."""
    intent_id = attempt.intent_id
    try:
        answer = call_stripe(
            lambda c: c.v1.refunds.create(
                params={"payment_intent": intent_id, "metadata": {"returned": "1"}},
                options={"idempotency_key": f"return-{intent_id}"},
            )
        )
    except (CardPaymentUnavailable, StripeRefused, stripe.CardError) as error:
        log.warning("payment %s not returned yet: %s", intent_id, error)
        return False
    with write_transaction():
        if move_attempt(
            attempt.id, AttemptStatus.RETURNED, only_from=(AttemptStatus.RETURN_DUE,)
        ):
            db.session.add(
                CardRefund(
                    order_id=attempt.order_id,
                    card_payment_id=attempt.id,
                    refund_id=answer.id,
                    amount_cents=answer.amount,
                )
            )
    log.warning("payment %s returned in full (refund %s)", intent_id, answer.id)
    return True


def return_due_payments() -> int:
    """Return every payment still due back (Stripe unreachable the first time)."""
    due = db.session.execute(
        db.select(CardPayment).where(CardPayment.status == AttemptStatus.RETURN_DUE)
    ).scalars()
    return sum(1 for attempt in list(due) if return_payment(attempt))


def settle_pending_refunds(now: datetime) -> tuple[int, int]:
    """Refunds left without Stripe's id (no answer, or the process stopped): record
    those Stripe made, drop the others, which frees their amount; (found, dropped)."""
    stale = db.session.execute(
        db.select(CardRefund, CardPayment.intent_id)
        .join(CardPayment, CardRefund.card_payment_id == CardPayment.id)
        .where(
            CardRefund.refund_id.is_(None),
            CardRefund.created_at < now - timedelta(minutes=PENDING_REFUND_MINUTES),
        )
    ).all()
    found = dropped = 0
    for refund, intent_id in stale:
        try:
            made = call_stripe(
                lambda c, i=intent_id: c.v1.refunds.list(params={"payment_intent": i})
            )
        except (CardPaymentUnavailable, StripeRefused):
            continue  # next run
        match = next(
            (r for r in made.data if metadata_value(r, "card_refund") == refund.token),
            None,
        )
        with write_transaction():
            if match is not None:
                refund.refund_id = match.id
                found += 1
            else:
                db.session.delete(refund)
                dropped += 1
    return found, dropped


def payment_summary(order_id: int) -> dict[str, object]:
    """What the back office shows of an order's card payment."""
    return {
        "attempts": attempts_of(order_id),
        "refunds": refunds_of(order_id),
        "refundable_cents": refundable_cents(order_id),
    }
