"""Orders: what a shopper bought, snapshotted at the moment of the checkout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db
from eshop.personal_data import personal
from eshop.vat import VatBreakdown, VatLine, vat_breakdown


class OrderStatus:
    PENDING_PAYMENT = "pending_payment"  # placed; waiting for the transfer or delivery
    PAID = "paid"  # the owner saw the money arrive
    SHIPPED = "shipped"  # handed to the carrier
    DELIVERED = "delivered"  # the customer has it: nothing left to do
    CANCELLED = "cancelled"  # called off before shipping; its stock was put back

    ALL = (PENDING_PAYMENT, PAID, SHIPPED, DELIVERED, CANCELLED)


def _order_personal(description: str) -> dict:
    return personal("order_processing", "order_legal", description=description)


class Order(db.Model):
    """A placed order; amounts are integer cents, VAT included."""

    __tablename__ = "customer_order"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending_payment', 'paid', 'shipped', 'delivered', "
            "'cancelled')",
            name="status",
        ),
        CheckConstraint("subtotal_cents >= 0", name="subtotal_not_negative"),
        CheckConstraint("shipping_cents >= 0", name="shipping_not_negative"),
        CheckConstraint("total_cents = subtotal_cents + shipping_cents", name="total"),
        Index("ix_customer_order_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    checkout_token: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING_PAYMENT)
    payment_method: Mapped[str] = mapped_column(String(30))
    shipping_method: Mapped[str] = mapped_column(String(30))
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    subtotal_cents: Mapped[int]
    shipping_cents: Mapped[int]
    total_cents: Mapped[int]
    email: Mapped[str] = mapped_column(
        String(320), info=_order_personal("email address for order messages")
    )
    full_name: Mapped[str] = mapped_column(
        String(120), info=_order_personal("name of the person the parcel is for")
    )
    street: Mapped[str] = mapped_column(
        String(200), info=_order_personal("shipping address: street")
    )
    postal_code: Mapped[str] = mapped_column(
        String(12), info=_order_personal("shipping address: postal code")
    )
    city: Mapped[str] = mapped_column(
        String(100), info=_order_personal("shipping address: city")
    )
    country: Mapped[str] = mapped_column(
        String(2), info=_order_personal("shipping address: country")
    )
    phone: Mapped[str | None] = mapped_column(
        String(30), info=_order_personal("optional phone number for the carrier")
    )
    tracking_number: Mapped[str | None] = mapped_column(String(60))
    # Given when the order becomes paid, like F2026-000001; never given twice.
    invoice_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    # The version of the terms of sale accepted at checkout (eshop.orders.terms);
    # none for orders placed before the shop recorded it.
    terms_version: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner confirmed a cash-on-delivery order; unconfirmed, it expires.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )

    @property
    def vat_breakdown(self) -> VatBreakdown:
        """The VAT per rate, shipping shared over the goods' rates pro rata."""
        return vat_breakdown(
            (
                VatLine(ln.vat_rate_bp, ln.gross_cents, ln.tax_cents)
                for ln in self.lines
            ),
            self.shipping_cents,
        )

    @property
    def tax_cents(self) -> int:
        """All the VAT of the order, its shipping's included."""
        return self.vat_breakdown.tax_cents


class OrderLine(db.Model):
    """One product of an order, with its name and prices as they were when bought."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity >= 1 AND quantity <= 99", name="quantity"),
        CheckConstraint("unit_price_cents >= 0", name="unit_price_not_negative"),
        CheckConstraint("net_cents + tax_cents = gross_cents", name="split"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("customer_order.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("product.id", ondelete="SET NULL"), index=True
    )
    product_name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price_cents: Mapped[int]
    vat_rate_bp: Mapped[int]
    net_cents: Mapped[int]
    tax_cents: Mapped[int]
    gross_cents: Mapped[int]

    order: Mapped[Order] = relationship(back_populates="lines")


class OrderNumberCounter(db.Model):
    """The last order number given in a year; its row lock serialises numbering."""

    __tablename__ = "order_number_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)


class InvoiceNumberCounter(db.Model):
    """The last invoice number given in a year; its row lock serialises numbering,
    and it moves only in the transaction that marks an order paid, so numbers run
    without gaps."""

    __tablename__ = "invoice_number_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
