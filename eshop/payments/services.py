"""The rules of card payment: one open PaymentIntent per order at a time, paid only
on Stripe's word, expired and restocked once, money the order cannot use returned.

Calls to Stripe happen outside database transactions (a slow answer must not hold
SQLite's write lock); each change of state afterwards is a conditional update, so
the browser, the webhook, the owner and ``payments reconcile`` may race without harm.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import stripe
from flask import current_app
from limits import parse
from limits.errors import StorageError
from sqlalchemy.exc import IntegrityError

from eshop.clock import utcnow
from eshop.extensions import db, limiter
from eshop.orders.models import Order, OrderStatus
from eshop.orders.payments import CARD
from eshop.orders.services import (
    InvalidTransition,
    cancel_order,
    cancel_unpaid_order,
    get_order,
    record_payment,
    write_transaction,
)

from .attempts import (
    attempt_for_intent,
    attempts_of,
    latest_attempt,
    move_attempt,
    set_attempt,
    unsettled_attempts,
)
from .errors import CardDeclined, NotPayable, SetupRefused, TooManyAttempts
from .gateway import (
    CURRENCY,
    CardPaymentUnavailable,
    StripeRefused,
    call_stripe,
    id_of,
    metadata_value,
)
from .models import AttemptStatus, CardPayment, StripeEvent
from .refunds import return_due_payments, return_payment, settle_pending_refunds

log = logging.getLogger(__name__)

MAX_FAILED_ATTEMPTS = 5  # declined cards per order; then the shopper writes to us
SET_UPS_PER_ORDER = parse("10 per hour")  # cards entered for one order
SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"


def ensure_payable(order: Order) -> None:
    """NotPayable unless it is a card order still waiting for its payment."""
    if order.payment_method != CARD.code or order.status != OrderStatus.PENDING_PAYMENT:
        raise NotPayable(order.public_id)


def _retrieve_intent(intent_id: str) -> Any:
    return call_stripe(lambda c: c.v1.payment_intents.retrieve(intent_id))


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
            if not _still_pending(order.id):
                raise NotPayable(order.public_id)
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


def _still_pending(order_id: int) -> bool:
    """Read the order's state under its row lock (PostgreSQL; SQLite's write lock
    serialises), so an attempt is never added to an order being cancelled."""
    status = db.session.execute(
        db.select(Order.status).where(Order.id == order_id).with_for_update()
    ).scalar_one()
    return status == OrderStatus.PENDING_PAYMENT


def start_card_entry(order: Order) -> str:
    """A SetupIntent's client secret, for Stripe.js to take the card with
    (``confirmCardSetup``): the card goes from the browser to Stripe only.

    Set-ups are counted per order as well as per client: each lets a script try
    cards against Stripe directly, which is what card testers do."""
    open_attempt(order)  # refuses early after too many declined cards
    if not _may_set_up(order.public_id):
        raise TooManyAttempts(order.public_id)
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


def _may_set_up(public_id: str) -> bool:
    if not limiter.enabled:
        return True
    try:
        return limiter.limiter.hit(SET_UPS_PER_ORDER, "payments.setup", public_id)
    except StorageError:
        log.warning("card set-ups of an order could not be counted")
        return True  # like every view's limit: the count fails open


@dataclass(frozen=True)
class CardOutcome:
    """What the payment page does next: wait for Stripe's word (``confirming``),
    let the bank authenticate the shopper (``requires_action``, with the secret
    Stripe.js needs), or say the card was declined."""

    state: str
    client_secret: str | None = None


def pay_with_card(order: Order, setup_intent_id: str) -> CardOutcome:
    """Put the card the shopper set up on the order's PaymentIntent and confirm it."""
    try:
        setup = call_stripe(lambda c: c.v1.setup_intents.retrieve(setup_intent_id))
    except StripeRefused as error:
        raise SetupRefused(setup_intent_id) from error
    if (
        metadata_value(setup, "order") != order.public_id
        or setup.status != "succeeded"
        or not setup.payment_method
    ):
        raise SetupRefused(setup_intent_id)
    payment_method = id_of(setup.payment_method)
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
        set_attempt(attempt, AttemptStatus.FAILED, only_from=AttemptStatus.UNSETTLED)
        raise CardDeclined(intent_id) from error
    except StripeRefused:
        # Already confirmed (a second click, another tab): go by where it stands.
        intent = _retrieve_intent(intent_id)
    return _outcome(attempt, intent)


def _outcome(attempt: CardPayment, intent: Any) -> CardOutcome:
    """Record what a PaymentIntent's status means for the attempt (never "paid":
    only the signed event or reconcile says that)."""
    status = intent.status
    log.info("payment intent %s is %s", intent.id, status)
    if status == "requires_action":
        return CardOutcome("requires_action", intent.client_secret)
    if status in ("succeeded", "processing", "requires_capture"):
        set_attempt(attempt, AttemptStatus.CONFIRMED, only_from=(AttemptStatus.OPEN,))
        return CardOutcome("confirming")
    if status == "requires_payment_method" and intent.last_payment_error:
        set_attempt(attempt, AttemptStatus.FAILED, only_from=AttemptStatus.UNSETTLED)
        return CardOutcome("declined")
    if status == "canceled":
        set_attempt(attempt, AttemptStatus.CANCELED, only_from=AttemptStatus.UNSETTLED)
    return CardOutcome("open")


def refresh_attempt(attempt: CardPayment | None) -> CardPayment | None:
    """Ask Stripe where an order's latest attempt stands if it is still open (after
    3-D Secure, say)."""
    if attempt is None or attempt.status != AttemptStatus.OPEN:
        return attempt
    try:
        _outcome(attempt, _retrieve_intent(attempt.intent_id))
    except StripeRefused:  # unknown at Stripe (other keys): the next one is made
        set_attempt(attempt, AttemptStatus.CANCELED, only_from=(AttemptStatus.OPEN,))
    return attempt


# --- Stripe's word: webhooks and reconcile --------------------------------------------


def handle_event(event: Any) -> bool:
    """Apply a verified webhook event once; False for a replay (already handled)."""
    if event.type not in (SUCCEEDED, FAILED):
        return True
    intent = event.data.object
    to_return = None
    with write_transaction():
        if not _first_delivery(event):
            log.info("event %s replayed: nothing done", event.id)
            return False
        attempt = attempt_for_intent(intent.id)
        if attempt is None:
            log.info("event %s for unknown intent %s ignored", event.id, intent.id)
        elif event.type == SUCCEEDED:
            to_return = _settle(attempt, intent)
        elif intent.status == "requires_payment_method":
            # Only a failure Stripe still stands by: a late event does not undo a
            # confirmation made since.
            move_attempt(
                attempt.id, AttemptStatus.FAILED, only_from=AttemptStatus.UNSETTLED
            )
            log.info("payment intent %s failed", intent.id)
    if to_return is not None:
        return_payment(to_return)
    return True


def _first_delivery(event: Any) -> bool:
    """Store the event's id; False if it is already there (a replay, or the same
    event delivered twice at once: the other delivery's insert wins)."""
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event.id, type=event.type))
    except IntegrityError:
        return False
    return True


def _settle(attempt: CardPayment, intent: Any) -> CardPayment | None:
    """Stripe says money was taken on this attempt, in the caller's transaction.

    If the amount, currency and order match and the order still waits, it becomes
    paid (once). Money the order cannot use (another amount, a cancelled order, an
    order another attempt paid) is due back: the attempt is returned to the caller,
    who gives it back after committing. None otherwise.
    """
    order = db.session.get(Order, attempt.order_id)
    matches = (
        intent.amount == attempt.amount_cents == order.total_cents
        and intent.currency == CURRENCY
        and metadata_value(intent, "order") == order.public_id
    )
    due = AttemptStatus.RETURN_DUE
    if not matches:
        if move_attempt(attempt.id, due, only_from=AttemptStatus.TAKEABLE):
            log.warning("payment intent %s does not match its order", intent.id)
            return attempt
        return None
    if not move_attempt(
        attempt.id, AttemptStatus.SUCCEEDED, only_from=AttemptStatus.TAKEABLE
    ):
        return None  # already settled by another event or by reconcile
    try:
        with db.session.begin_nested():
            record_payment(order.id)
    except InvalidTransition:
        move_attempt(attempt.id, due, only_from=(AttemptStatus.SUCCEEDED,))
        log.warning("payment intent %s came for a %s order", intent.id, order.status)
        return attempt
    log.info("order %s paid by payment intent %s", order.number, intent.id)
    return None


def _settle_now(attempt: CardPayment, intent: Any) -> None:
    """``_settle`` in a transaction of its own, and the return if one is due."""
    with write_transaction():
        to_return = _settle(attempt, intent)
    if to_return is not None:
        return_payment(to_return)


@dataclass
class Reconciliation:
    """What ``payments reconcile`` did, order numbers by outcome."""

    paid: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    returned: int = 0  # payments the orders could not use, given back
    refunds_found: int = 0  # refunds Stripe made whose id had not been recorded
    refunds_dropped: int = 0  # refund rows Stripe never made


def reconcile(now: datetime | None = None) -> Reconciliation:
    """Ask Stripe about every card order still waiting for payment: mark paid those
    whose payment went through (webhooks lost while the shop was down), then cancel
    at Stripe, cancel and restock those older than CARD_PAYMENT_EXPIRE_MINUTES.
    Then give back payments still due back, and settle refunds left pending."""
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
    report.returned = return_due_payments()
    report.refunds_found, report.refunds_dropped = settle_pending_refunds(now)
    return report


def _reconcile_order(order: Order, cutoff: datetime, report: Reconciliation) -> None:
    for attempt in unsettled_attempts(order.id):
        try:
            intent = _retrieve_intent(attempt.intent_id)
        except StripeRefused:  # Stripe does not know it (other keys): it is gone
            set_attempt(attempt, AttemptStatus.CANCELED, only_from=(attempt.status,))
            continue
        if intent.status == "succeeded":
            _settle_now(attempt, intent)
            db.session.refresh(order)
            if order.status == OrderStatus.PAID:
                report.paid.append(order.number)
                return
        else:
            _outcome(attempt, intent)
            if attempt.status == AttemptStatus.FAILED:
                report.failed.append(order.number)
    if order.created_at >= cutoff:
        return
    for attempt in unsettled_attempts(order.id):
        if not _called_off(attempt):
            return  # it went through while we looked: settled
    try:
        cancel_unpaid_order(order.id)
    except InvalidTransition:
        return  # paid or cancelled in the meantime
    report.expired.append(order.number)


def _called_off(attempt: CardPayment) -> bool:
    """Cancel an attempt's PaymentIntent at Stripe; False (and settled) when it can
    no longer be cancelled because the money went through. CardPaymentUnavailable
    when Stripe cannot be asked or the payment is still being processed."""
    intent_id = attempt.intent_id
    try:
        call_stripe(lambda c: c.v1.payment_intents.cancel(intent_id))
    except StripeRefused:  # not cancellable: see why
        try:
            intent = _retrieve_intent(intent_id)
        except StripeRefused:
            intent = None  # unknown at Stripe: nothing can be taken on it
        if intent is not None and intent.status == "succeeded":
            _settle_now(attempt, intent)
            return False
        if intent is not None and intent.status != "canceled":
            raise CardPaymentUnavailable(f"payment {intent.status}") from None
    set_attempt(attempt, AttemptStatus.CANCELED, only_from=AttemptStatus.UNSETTLED)
    log.info("payment intent %s canceled", intent_id)
    return True


def call_off_order(order_id: int) -> Order:
    """Cancel an order (the owner's button), its card payment first: an unpaid card
    order's PaymentIntents are cancelled at Stripe so none can succeed afterwards.
    One that went through meanwhile is settled, which makes the order paid, and the
    cancel is refused (InvalidTransition); CardPaymentUnavailable if Stripe cannot
    be asked. A paid order is cancelled like any other; its refund is separate."""
    order = get_order(order_id)
    pending = order.status == OrderStatus.PENDING_PAYMENT
    if order.payment_method == CARD.code and pending:
        for attempt in unsettled_attempts(order_id):
            if not _called_off(attempt):
                raise InvalidTransition(order_id)
    return cancel_order(order_id)


def purge_old_events(now: datetime) -> int:
    """Forget handled event ids after 30 days: Stripe retries for 3 days at most and
    a signed event older than the tolerance is refused anyway."""
    deleted = db.session.execute(
        db.delete(StripeEvent).where(StripeEvent.received_at < now - timedelta(days=30))
    )
    return deleted.rowcount
