"""What the shop keeps of card payments: Stripe's ids and statuses, never a card."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db
from eshop.orders.models import Order
from eshop.personal_data import personal


class AttemptStatus:
    """Where one PaymentIntent stands, as last heard from Stripe."""

    OPEN = "open"  # waiting for a card, a confirmation or 3-D Secure
    CONFIRMED = "confirmed"  # confirmed; Stripe's succeeded event not yet received
    SUCCEEDED = "succeeded"  # Stripe said so (signed event or reconcile)
    FAILED = "failed"  # declined or failed: a new attempt starts on the next card
    CANCELED = "canceled"  # called off at Stripe (the order expired or was cancelled)
    # Money taken that the order cannot use: a second payment, one for a cancelled
    # order, or for another amount or currency. It goes back to the card in full.
    RETURN_DUE = "return_due"
    RETURNED = "returned"

    ALL = (OPEN, CONFIRMED, SUCCEEDED, FAILED, CANCELED, RETURN_DUE, RETURNED)
    UNSETTLED = (OPEN, CONFIRMED)
    # Stripe's word that money was taken may still come for these.
    TAKEABLE = (OPEN, CONFIRMED, FAILED)


def _payment_reference(description: str) -> dict:
    return personal("order_processing", "order_legal", description=description)


class CardPayment(db.Model):
    """One PaymentIntent of an order; a declined card closes it and the next card
    opens another, so an order may have a few (``attempt`` 1, 2...)."""

    __tablename__ = "card_payment"
    __table_args__ = (
        UniqueConstraint("order_id", "attempt", name="uq_card_payment_attempt"),
        CheckConstraint(
            "status IN ('open', 'confirmed', 'succeeded', 'failed', 'canceled', "
            "'return_due', 'returned')",
            name="status",
        ),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int]
    # Nullable: erasing an order kept for accounting blanks it (privacy domain).
    intent_id: Mapped[str | None] = mapped_column(
        String(255),
        unique=True,
        info=_payment_reference("Stripe's id of a card payment (no card data)"),
    )
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.OPEN)
    amount_cents: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )

    order: Mapped[Order] = relationship()


class CardRefund(db.Model):
    """Money sent back to the card through Stripe, in full or in part."""

    __tablename__ = "card_refund"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    card_payment_id: Mapped[int] = mapped_column(
        ForeignKey("card_payment.id", ondelete="CASCADE"), index=True
    )
    refund_id: Mapped[str | None] = mapped_column(
        String(255),
        unique=True,
        info=_payment_reference("Stripe's id of a refund to the card"),
    )
    # Random: the refund's idempotency key and its mark in Stripe's metadata, by
    # which reconcile finds a refund whose answer was lost.
    token: Mapped[str] = mapped_column(
        String(32), unique=True, default=lambda: secrets.token_hex(16)
    )
    amount_cents: Mapped[int]
    # The withdrawal (or cancellation) request this refund settles, if any.
    withdrawal_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("withdrawal_request.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StripeEvent(db.Model):
    """A webhook event already handled: its id makes a replay change nothing."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, index=True
    )
