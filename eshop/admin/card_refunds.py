"""Admin: what the back office says about card payments and refunds to the card.

Shared by the order page (refund any amount) and the withdrawal list (refund what a
withdrawal is owed). Sending the money is the payments domain's ``refund_to_card``;
this module turns what it refuses into the owner's words and a page status.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from eshop.money import format_price
from eshop.payments.errors import (
    AlreadyRefundedToCard,
    NothingToRefund,
    PaymentError,
    RefundFailed,
    RefundTooHigh,
)
from eshop.payments.gateway import CardPaymentUnavailable
from eshop.payments.models import AttemptStatus

ATTEMPT_LABELS = {
    AttemptStatus.OPEN: _l("Waiting for the card"),
    AttemptStatus.CONFIRMED: _l("Confirmed, waiting for Stripe’s word"),
    AttemptStatus.SUCCEEDED: _l("Succeeded"),
    AttemptStatus.FAILED: _l("Declined or failed"),
    AttemptStatus.CANCELED: _l("Called off (order expired)"),
    AttemptStatus.RETURN_DUE: _l("Not usable by the order: to be given back"),
    AttemptStatus.RETURNED: _l("Not usable by the order: given back in full"),
}

NOTHING_PAID = _l(
    "Order %(number)s has no card payment that went through: there is nothing to "
    "refund to a card."
)
ALL_REFUNDED = _l("The card payment of order %(number)s is already refunded in full.")
TOO_HIGH = _l(
    "Give an amount above 0 and at most %(amount)s, what can still go back to the card."
)
UNREACHABLE = _l(
    "Stripe could not be reached: nothing was refunded or recorded. Try again in a "
    "few minutes."
)
UNANSWERED = _l(
    "Stripe did not answer: the refund may have been made. It shows as on its way "
    "to Stripe until the next reconcile (within minutes) records it or drops it."
)
NOT_SET_UP = _l(
    "Card payment is not set up on this shop (no Stripe keys): nothing was refunded."
)
ALREADY_SENT = _l(
    "This request's refund was already sent to the card (another tab, say): see "
    "the order's refunds to the card."
)
REFUSED = _l(
    "Stripe refused this refund: nothing was recorded. Look at the payment in "
    "Stripe’s dashboard."
)
REFUSED_SAYING = _l(
    "Stripe refused this refund: nothing was recorded. Stripe says: %(reason)s"
)


def attempt_label(status: str) -> str:
    """A card payment attempt's state in words."""
    return str(ATTEMPT_LABELS.get(status, status))


@dataclass(frozen=True)
class Refusal:
    """Why a refund to the card did not happen, and the status of the page that
    says so: 400 for an amount the owner may correct, 409 for what the order or
    Stripe refuses, 503 while Stripe cannot be asked."""

    message: str
    code: int
    nothing_left: bool = False  # no refund form to show the message beside


def refusal(error: PaymentError, order_number: str) -> Refusal:
    """The owner's words for what ``refund_to_card`` refused."""
    number = {"number": order_number}
    if isinstance(error, NothingToRefund):
        return Refusal(str(NOTHING_PAID) % number, 409, nothing_left=True)
    if isinstance(error, RefundTooHigh):
        if error.cap_cents <= 0:
            return Refusal(str(ALL_REFUNDED) % number, 409, nothing_left=True)
        amount = format_price(error.cap_cents)
        return Refusal(str(TOO_HIGH) % {"amount": amount}, 400)
    if isinstance(error, AlreadyRefundedToCard):
        return Refusal(str(ALREADY_SENT), 409, nothing_left=True)
    if isinstance(error, RefundFailed):
        return stripe_refusal(error)
    raise error


def stripe_refusal(error: RefundFailed) -> Refusal:
    """Tell "Stripe said no" (its reason shown) from "Stripe could not be asked"
    and from "Stripe did not answer" (the refund may be made: reconcile tells)."""
    if error.unknown:
        return Refusal(str(UNANSWERED), 503)
    if error.unreachable:
        cause = error.__cause__
        if isinstance(cause, CardPaymentUnavailable):
            return Refusal(str(NOT_SET_UP), 503)
        return Refusal(str(UNREACHABLE), 503)
    if error.reason:
        return Refusal(str(REFUSED_SAYING) % {"reason": error.reason}, 409)
    return Refusal(str(REFUSED), 409)
