"""The rules of card payment: one open PaymentIntent per order at a time, paid only
on Stripe's word, expired and restocked once, refunded within what was paid.

Calls to Stripe happen outside database transactions (a slow answer must not hold
SQLite's write lock); each change of state afterwards is a conditional update, so
the browser, the webhook and ``payments reconcile`` may race without harm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import stripe
from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from eshop.clock import utcnow
from eshop.extensions import db
from eshop.orders.models import Order, OrderStatus
from eshop.orders.payments import CARD
from eshop.orders.services import (
    InvalidTransition,
    cancel_order,
    cancel_unpaid_order,
    get_order,
    order_by_public_id,
    record_payment,
    write_transaction,
)

from .gateway import CURRENCY, CardPaymentUnavailable, client
from .models import AttemptStatus, CardPayment, CardRefund, StripeEvent

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_FAILED_ATTEMPTS = 5  # declined cards per order; then the shopper writes to us
SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"


class PaymentError(Exception):
    """Base class of what a card payment refuses."""


class NotPayable(PaymentError):
    """No such card order, or it is no longer waiting for payment."""


class TooManyAttempts(PaymentError):
    """Too many cards were declined for this order (card testing, say)."""


class SetupRefused(PaymentError):
    """The card set-up sent back is not this order's, or did not succeed."""


class CardDeclined(PaymentError):
    """The bank or Stripe refused the card."""


class NothingToRefund(PaymentError):
    """The order has no card payment that went through."""


class RefundTooHigh(PaymentError):
    def __init__(self, cap_cents: int) -> None:
        super().__init__(cap_cents)
        self.cap_cents = cap_cents


class RefundFailed(PaymentError):
    """The refund did not go through; nothing was recorded. ``unreachable``: Stripe
    could not be asked (no keys, no answer, its error or rate limit: try later);
    otherwise Stripe refused it, saying ``reason`` when it said something."""

    def __init__(
        self, order_id: int, *, unreachable: bool, reason: str | None = None
    ) -> None:
        super().__init__(order_id)
        self.unreachable = unreachable
        self.reason = reason


class AlreadyRefundedToCard(PaymentError):
    """This withdrawal request already has its refund to the card."""


# Stripe errors that mean "ask again later", not "no".
STRIPE_UNREACHABLE = (
    stripe.APIConnectionError,
    stripe.APIError,
    stripe.AuthenticationError,
    stripe.RateLimitError,
)
PENDING_REFUND_MINUTES = 10  # a refund row still without Stripe's id after this...


def call_stripe(ask: Callable[[stripe.StripeClient], T]) -> T:
    """Ask Stripe something; a network or API failure becomes CardPaymentUnavailable
    (the shopper or cron tries again) except a declined card, which callers handle."""
    try:
        return ask(client())
    except stripe.CardError:
        raise
    except stripe.StripeError as error:
        log.warning("Stripe call failed: %s", type(error).__name__)
        raise CardPaymentUnavailable(type(error).__name__) from error


# --- reading ----------------------------------------------------------------------


def payable_order(public_id: str) -> Order:
    """The card order with this id, still waiting for its payment."""
    order = order_by_public_id(public_id)
    if (
        order is None
        or order.payment_method != CARD.code
        or order.status != OrderStatus.PENDING_PAYMENT
    ):
        raise NotPayable(public_id)
    return order


def attempts_of(order_id: int) -> list[CardPayment]:
    return list(
        db.session.execute(
            db.select(CardPayment)
            .where(CardPayment.order_id == order_id)
            .order_by(CardPayment.attempt)
        ).scalars()
    )


def latest_attempt(order_id: int) -> CardPayment | None:
    attempts = attempts_of(order_id)
    return attempts[-1] if attempts else None


def succeeded_attempt(order_id: int) -> CardPayment | None:
    return next(
        (a for a in attempts_of(order_id) if a.status == AttemptStatus.SUCCEEDED),
        None,
    )


def refunds_of(order_id: int) -> list[CardRefund]:
    return list(
        db.session.execute(
            db.select(CardRefund)
            .where(CardRefund.order_id == order_id)
            .order_by(CardRefund.id)
        ).scalars()
    )


def _move_attempt(attempt_id: int, to: str, *, only_from: tuple[str, ...]) -> bool:
    """Change an attempt's status if it is still one of ``only_from``."""
    moved = db.session.execute(
        update(CardPayment)
        .where(CardPayment.id == attempt_id, CardPayment.status.in_(only_from))
        .values(status=to, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1


def _set_attempt(attempt: CardPayment, to: str, *, only_from: tuple[str, ...]) -> None:
    with write_transaction():
        _move_attempt(attempt.id, to, only_from=only_from)
    db.session.refresh(attempt)


# --- paying -----------------------------------------------------------------------


def open_attempt(order: Order) -> CardPayment:
    """The order's PaymentIntent waiting for a card, made on first need.

    Its idempotency key is the order's public id (``-2``, ``-3``... for the attempts
    after a declined card), so a retried call cannot charge twice at Stripe.
    """
    latest = latest_attempt(order.id)
    if latest is not None and latest.status in AttemptStatus.UNSETTLED:
        return latest
    failed = sum(1 for a in attempts_of(order.id) if a.status == AttemptStatus.FAILED)
    if failed >= MAX_FAILED_ATTEMPTS:
        raise TooManyAttempts(order.public_id)
    number = latest.attempt + 1 if latest is not None else 1
    key = order.public_id if number == 1 else f"{order.public_id}-{number}"
    intent = call_stripe(
        lambda c: c.v1.payment_intents.create(
            params={
                "amount": order.total_cents,
                "currency": CURRENCY,
                "payment_method_types": ["card"],
                "metadata": {"order": order.public_id, "attempt": str(number)},
            },
            options={"idempotency_key": key},
        )
    )
    attempt = CardPayment(
        order_id=order.id,
        attempt=number,
        intent_id=intent.id,
        amount_cents=order.total_cents,
    )
    try:
        with write_transaction():
            db.session.add(attempt)
    except IntegrityError:
        # Two tabs opened the page at once: the other one's attempt is the one.
        log.info("payment intent %s not kept: another attempt won", intent.id)
        winner = latest_attempt(order.id)
        if winner is None:
            raise
        return winner
    log.info("payment intent %s created (attempt %d)", intent.id, number)
    return attempt


def start_card_entry(order: Order) -> str:
    """A SetupIntent's client secret, for Stripe.js to take the card with
    (``confirmCardSetup``): the card goes from the browser to Stripe only."""
    open_attempt(order)  # refuses early after too many declined cards
    setup = call_stripe(
        lambda c: c.v1.setup_intents.create(
            params={
                "payment_method_types": ["card"],
                "usage": "on_session",
                "metadata": {"order": order.public_id},
            }
        )
    )
    return setup.client_secret


@dataclass(frozen=True)
class CardOutcome:
    """What the payment page does next: wait for Stripe's word (``confirming``),
    let the bank authenticate the shopper (``requires_action``, with the secret
    Stripe.js needs), or say the card was declined."""

    state: str
    client_secret: str | None = None


def pay_with_card(order: Order, setup_intent_id: str) -> CardOutcome:
    """Put the card the shopper set up on the order's PaymentIntent and confirm it."""
    setup = call_stripe(lambda c: c.v1.setup_intents.retrieve(setup_intent_id))
    if (
        _order_in(setup) != order.public_id
        or setup.status != "succeeded"
        or not setup.payment_method
    ):
        raise SetupRefused(setup_intent_id)
    payment_method = _id_of(setup.payment_method)
    attempt = open_attempt(order)
    intent_id = attempt.intent_id
    try:
        call_stripe(
            lambda c: c.v1.payment_intents.update(
                intent_id, params={"payment_method": payment_method}
            )
        )
        intent = call_stripe(lambda c: c.v1.payment_intents.confirm(intent_id))
    except stripe.CardError as error:
        log.info("payment intent %s declined (%s)", intent_id, error.code)
        _set_attempt(attempt, AttemptStatus.FAILED, only_from=AttemptStatus.UNSETTLED)
        raise CardDeclined(intent_id) from error
    return _outcome(attempt, intent)


def _outcome(attempt: CardPayment, intent: Any) -> CardOutcome:
    """Record what a PaymentIntent's status means for the attempt (never "paid":
    only the signed event or reconcile says that)."""
    status = intent.status
    log.info("payment intent %s is %s", intent.id, status)
    if status == "requires_action":
        return CardOutcome("requires_action", intent.client_secret)
    if status in ("succeeded", "processing", "requires_capture"):
        _set_attempt(attempt, AttemptStatus.CONFIRMED, only_from=(AttemptStatus.OPEN,))
        return CardOutcome("confirming")
    if status == "requires_payment_method" and intent.last_payment_error:
        _set_attempt(attempt, AttemptStatus.FAILED, only_from=AttemptStatus.UNSETTLED)
        return CardOutcome("declined")
    return CardOutcome("open")


def refresh_attempt(order: Order) -> CardPayment | None:
    """Ask Stripe where the order's open attempt stands (after 3-D Secure, say)."""
    attempt = latest_attempt(order.id)
    if attempt is None or attempt.status != AttemptStatus.OPEN:
        return attempt
    _outcome(attempt, _retrieve_intent(attempt.intent_id))
    return attempt


def _retrieve_intent(intent_id: str) -> Any:
    return call_stripe(lambda c: c.v1.payment_intents.retrieve(intent_id))


def _metadata(stripe_object: Any, key: str) -> str | None:
    """A value the shop put in a Stripe object's metadata, if there."""
    metadata = stripe_object.metadata
    return metadata[key] if metadata and key in metadata else None


def _order_in(stripe_object: Any) -> str | None:
    """The order's public id the shop put in a Stripe object's metadata."""
    return _metadata(stripe_object, "order")


def _id_of(value: Any) -> str:
    """An id Stripe gave either bare or as an expanded object."""
    return value if isinstance(value, str) else value["id"]


# --- Stripe's word: webhooks and reconcile --------------------------------------------


def handle_event(event: Any) -> bool:
    """Apply a verified webhook event once; False for a replay (already handled)."""
    if event.type not in (SUCCEEDED, FAILED):
        return True
    intent = event.data.object
    try:
        with write_transaction():
            db.session.add(StripeEvent(id=event.id, type=event.type))
            db.session.flush()
            attempt = _attempt_for(intent.id)
            if attempt is None:
                log.info("event %s for unknown intent %s ignored", event.id, intent.id)
            elif event.type == SUCCEEDED:
                _settle(attempt, intent)
            else:
                _move_attempt(
                    attempt.id, AttemptStatus.FAILED, only_from=AttemptStatus.UNSETTLED
                )
                log.info("payment intent %s failed", intent.id)
    except IntegrityError:
        db.session.rollback()
        log.info("event %s replayed: nothing done", event.id)
        return False
    return True


def _attempt_for(intent_id: str) -> CardPayment | None:
    query = db.select(CardPayment).where(CardPayment.intent_id == intent_id)
    return db.session.execute(query.with_for_update()).scalar_one_or_none()


def _settle(attempt: CardPayment, intent: Any) -> None:
    """Stripe says the money was taken: the attempt succeeded and, if the amount,
    currency and order match, the order becomes paid (once), in the caller's
    transaction."""
    order = db.session.get(Order, attempt.order_id)
    matches = (
        intent.amount == attempt.amount_cents == order.total_cents
        and intent.currency == CURRENCY
        and _order_in(intent) == order.public_id
    )
    if not matches:
        _move_attempt(
            attempt.id,
            AttemptStatus.MISMATCH,
            only_from=(*AttemptStatus.UNSETTLED, AttemptStatus.FAILED),
        )
        log.warning("payment intent %s does not match order %s", intent.id, order.id)
        return
    settled = _move_attempt(
        attempt.id,
        AttemptStatus.SUCCEEDED,
        only_from=(*AttemptStatus.UNSETTLED, AttemptStatus.FAILED),
    )
    if not settled:
        return  # already settled by another event or by reconcile
    if order.status != OrderStatus.PENDING_PAYMENT:
        # Paid after the order was called off: the owner refunds it (back office).
        log.warning("payment intent %s succeeded for %s order", intent.id, order.status)
        return
    record_payment(order.id)
    log.info("order %s paid by payment intent %s", order.number, intent.id)


@dataclass
class Reconciliation:
    """What ``payments reconcile`` did, order numbers by outcome."""

    paid: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    refunds_found: int = 0  # refunds Stripe made whose id had not been recorded
    refunds_dropped: int = 0  # refund rows whose call never reached Stripe


def reconcile(now: datetime | None = None) -> Reconciliation:
    """Ask Stripe about every card order still waiting for payment: mark paid those
    whose payment went through (webhooks lost while the shop was down), then cancel
    at Stripe, cancel and restock those older than CARD_PAYMENT_EXPIRE_MINUTES."""
    now = now or utcnow()
    minutes = current_app.config["CARD_PAYMENT_EXPIRE_MINUTES"]
    cutoff = now - timedelta(minutes=minutes)
    report = Reconciliation()
    pending = db.session.execute(
        db.select(Order)
        .where(
            Order.payment_method == CARD.code,
            Order.status == OrderStatus.PENDING_PAYMENT,
        )
        .order_by(Order.id)
    ).scalars()
    for order in list(pending):
        try:
            _reconcile_order(order, cutoff, report)
        except CardPaymentUnavailable:
            report.unreachable.append(order.number)
    _settle_pending_refunds(now, report)
    return report


def _settle_pending_refunds(now: datetime, report: Reconciliation) -> None:
    """Refund rows left without Stripe's id (the process stopped during the call):
    record the refund if Stripe made it, or drop the row, which frees the cap."""
    stale = db.session.execute(
        db.select(CardRefund, CardPayment.intent_id)
        .join(CardPayment, CardRefund.card_payment_id == CardPayment.id)
        .where(
            CardRefund.refund_id.is_(None),
            CardRefund.created_at < now - timedelta(minutes=PENDING_REFUND_MINUTES),
        )
    ).all()
    for refund, intent_id in stale:
        try:
            made = call_stripe(
                lambda c, i=intent_id: c.v1.refunds.list(params={"payment_intent": i})
            )
        except CardPaymentUnavailable:
            continue  # next run
        found = next(
            (r for r in made.data if _metadata(r, "card_refund") == str(refund.id)),
            None,
        )
        with write_transaction():
            if found is not None:
                refund.refund_id = found.id
                report.refunds_found += 1
            else:
                db.session.delete(refund)
                report.refunds_dropped += 1


def _reconcile_order(order: Order, cutoff: datetime, report: Reconciliation) -> None:
    for attempt in attempts_of(order.id):
        if attempt.status not in AttemptStatus.UNSETTLED or attempt.intent_id is None:
            continue
        intent = _retrieve_intent(attempt.intent_id)
        if intent.status == "succeeded":
            with write_transaction():
                _settle(attempt, intent)
            report.paid.append(order.number)
            return
        if intent.status == "requires_payment_method" and intent.last_payment_error:
            _set_attempt(
                attempt, AttemptStatus.FAILED, only_from=AttemptStatus.UNSETTLED
            )
            report.failed.append(order.number)
    if order.created_at >= cutoff:
        return
    for attempt in attempts_of(order.id):
        if attempt.status in AttemptStatus.UNSETTLED and not _called_off(attempt):
            return  # it went through while we looked: settled, or next run
    try:
        cancel_unpaid_order(order.id)
    except InvalidTransition:
        return  # paid or cancelled in the meantime
    report.expired.append(order.number)


def _called_off(attempt: CardPayment) -> bool:
    """Cancel an attempt's PaymentIntent at Stripe; False (and settled, if so) when
    it can no longer be cancelled because the money went through."""
    intent_id = attempt.intent_id
    try:
        call_stripe(lambda c: c.v1.payment_intents.cancel(intent_id))
    except CardPaymentUnavailable:
        intent = _retrieve_intent(intent_id)
        if intent.status == "succeeded":
            with write_transaction():
                _settle(attempt, intent)
            return False
        if intent.status != "canceled":
            raise
    _set_attempt(attempt, AttemptStatus.CANCELED, only_from=AttemptStatus.UNSETTLED)
    log.info("payment intent %s canceled: order expired", intent_id)
    return True


def call_off_order(order_id: int) -> Order:
    """Cancel an order (the owner's button), its card payment first: an unpaid card
    order's PaymentIntents are cancelled at Stripe so none can succeed afterwards.
    One that went through meanwhile is settled, which makes the order paid, and the
    cancel is refused (InvalidTransition); CardPaymentUnavailable if Stripe cannot
    be asked. A paid order is cancelled like any other; its refund is separate."""
    order = get_order(order_id)
    if (
        order.payment_method == CARD.code
        and order.status == OrderStatus.PENDING_PAYMENT
    ):
        for attempt in attempts_of(order_id):
            if attempt.status not in AttemptStatus.UNSETTLED or not attempt.intent_id:
                continue
            if not _called_off(attempt):
                raise InvalidTransition(order_id)
    return cancel_order(order_id)


# --- refunds ----------------------------------------------------------------------


def refundable_cents(order_id: int) -> int:
    """What may still go back to the card: the payment less earlier refunds."""
    attempt = succeeded_attempt(order_id)
    if attempt is None:
        return 0
    refunded = db.session.execute(
        db.select(func.coalesce(func.sum(CardRefund.amount_cents), 0)).where(
            CardRefund.order_id == order_id
        )
    ).scalar_one()
    return attempt.amount_cents - refunded


def refund_to_card(
    order_id: int, amount_cents: int, *, withdrawal_request_id: int | None = None
) -> CardRefund:
    """Send ``amount_cents`` back to the card the order was paid with.

    The refund is written first (under the write lock, so two clicks cannot both
    pass the cap), then asked of Stripe with an idempotency key of its own, and
    removed again if Stripe refuses it.
    """
    with write_transaction():
        attempt = succeeded_attempt(order_id)
        if attempt is None or attempt.intent_id is None:
            raise NothingToRefund(order_id)
        _lock_payment(attempt.id)
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
                # Lets reconcile find it if this process dies before recording it.
                "metadata": {"card_refund": str(refund.id)},
            },
            options={"idempotency_key": f"refund-{refund.id}-{intent_id}"},
        )
    except (CardPaymentUnavailable, *STRIPE_UNREACHABLE) as error:
        _forget_refund(refund)
        log.warning("refund on %s not sent: %s", intent_id, type(error).__name__)
        raise RefundFailed(order_id, unreachable=True) from error
    except stripe.StripeError as error:
        _forget_refund(refund)
        log.warning("refund on %s refused: %s", intent_id, type(error).__name__)
        raise RefundFailed(
            order_id, unreachable=False, reason=error.user_message
        ) from error
    if answer.status in ("failed", "canceled"):
        _forget_refund(refund)
        raise RefundFailed(
            order_id,
            unreachable=False,
            reason=getattr(answer, "failure_reason", None),
        )
    with write_transaction():
        refund.refund_id = answer.id
    log.info(
        "refund %s of %d cents on %s (%s)",
        answer.id,
        amount_cents,
        intent_id,
        answer.status,
    )
    return refund


def _refund_for(withdrawal_request_id: int) -> bool:
    return (
        db.session.execute(
            db.select(CardRefund.id).where(
                CardRefund.withdrawal_request_id == withdrawal_request_id
            )
        ).first()
        is not None
    )


def _lock_payment(attempt_id: int) -> None:
    """Hold the paid attempt's row until commit: on PostgreSQL a second refund then
    waits, and reads the first one's row before checking its cap (SQLite's write
    lock already does this)."""
    db.session.execute(
        db.select(CardPayment.id).where(CardPayment.id == attempt_id).with_for_update()
    )


def _forget_refund(refund: CardRefund) -> None:
    with write_transaction():
        db.session.delete(refund)


def payment_summary(order: Order) -> dict[str, Any]:
    """What the back office shows of an order's card payment."""
    return {
        "attempts": attempts_of(order.id),
        "refunds": refunds_of(order.id),
        "refundable_cents": refundable_cents(order.id),
    }


def purge_old_events(now: datetime) -> int:
    """Forget handled event ids after 30 days: Stripe retries for 3 days at most and
    a signed event older than the tolerance is refused anyway."""
    deleted = db.session.execute(
        db.delete(StripeEvent).where(StripeEvent.received_at < now - timedelta(days=30))
    )
    return deleted.rowcount
