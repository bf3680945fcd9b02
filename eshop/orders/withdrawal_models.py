"""Withdrawal requests: what a shopper sends back, or asks to cancel, after ordering.

They hold no personal data of their own: who withdrew is the order's customer, and
a request goes with its order (deleted with it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db

from .models import Order, OrderLine


class WithdrawalKind:
    WITHDRAWAL = "withdrawal"  # declared within 14 days of delivery
    CANCELLATION = "cancellation"  # asked before delivery: a paid or shipped order

    ALL = (WITHDRAWAL, CANCELLATION)


class WithdrawalRequest(db.Model):
    """One declaration: its lines, when the goods came back, what was refunded.

    ``refund_cap_cents`` is fixed when it is declared: what was paid for its units,
    plus the shipping when it completes the withdrawal of the whole order.
    """

    __tablename__ = "withdrawal_request"
    __table_args__ = (
        CheckConstraint("kind IN ('withdrawal', 'cancellation')", name="kind"),
        CheckConstraint("refund_cap_cents >= 0", name="cap_not_negative"),
        CheckConstraint(
            "refund_cents IS NULL OR (refund_cents >= 0 "
            "AND refund_cents <= refund_cap_cents)",
            name="refund_within_cap",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default=WithdrawalKind.WITHDRAWAL)
    includes_shipping: Mapped[bool] = mapped_column(default=False)
    refund_cap_cents: Mapped[int]
    declared_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, index=True
    )
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_cents: Mapped[int | None]

    order: Mapped[Order] = relationship()
    lines: Mapped[list[WithdrawalLine]] = relationship(
        back_populates="request",
        order_by="WithdrawalLine.id",
        cascade="all, delete-orphan",
    )


class WithdrawalLine(db.Model):
    """So many units of one order line, sent back."""

    __tablename__ = "withdrawal_line"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("withdrawal_request.id", ondelete="CASCADE"), index=True
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_line.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]

    request: Mapped[WithdrawalRequest] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()
