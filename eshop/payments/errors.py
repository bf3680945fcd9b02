"""What card payments refuse, in the shopper's and the owner's terms."""

from __future__ import annotations


class PaymentError(Exception):
    """Base class of what a card payment refuses."""


class NotPayable(PaymentError):
    """No such card order, or it is no longer waiting for payment."""


class TooManyAttempts(PaymentError):
    """Too many cards were declined for this order (card testing, say)."""


class SetupRefused(PaymentError):
    """The card set-up sent back is unknown, not this order's, or did not succeed."""


class CardDeclined(PaymentError):
    """The bank or Stripe refused the card."""


class NothingToRefund(PaymentError):
    """The order has no card payment that went through."""


class RefundTooHigh(PaymentError):
    """More than what may still go back to the card (``cap_cents``)."""

    def __init__(self, cap_cents: int) -> None:
        super().__init__(cap_cents)
        self.cap_cents = cap_cents


class RefundPending(PaymentError):
    """A refund to the card for this withdrawal is still waiting for Stripe's
    answer (``payments reconcile`` settles it)."""


class AlreadyRefundedToCard(PaymentError):
    """This withdrawal request already has its refund to the card."""


class RefundFailed(PaymentError):
    """The refund did not go through as asked.

    ``unreachable``: Stripe could not be asked (no keys, its rate limit: try later).
    ``unknown``: Stripe did not answer once asked; the refund may have been made, and
    stays recorded as pending until ``payments reconcile`` finds it or drops it.
    Otherwise Stripe refused it, saying ``reason`` when it said something; nothing
    was recorded.
    """

    def __init__(
        self,
        order_id: int,
        *,
        unreachable: bool = False,
        unknown: bool = False,
        reason: str | None = None,
    ) -> None:
        super().__init__(order_id)
        self.unreachable = unreachable
        self.unknown = unknown
        self.reason = reason
