"""Order rules: placing an order in one transaction, and moving it through its states.

Every function takes plain values, commits once, and raises an ``OrderError`` when
the shop refuses; nothing is half-written then.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from eshop.cart.services import max_order_cents, max_units_per_line
from eshop.catalog.models import Product
from eshop.clock import utcnow
from eshop.emails import normalise_email
from eshop.extensions import db
from eshop.mail import enqueue
from eshop.money import vat_included_split
from eshop.newsletter.services import NewsletterError, request_subscription

from .models import (
    InvoiceNumberCounter,
    Order,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
)
from .payments import CARD, offered_payment_methods, payment_method
from .shipping import shipping_cost
from .terms import (
    terms_of_sale,
    terms_version,
    withdrawal_form,
    withdrawal_information,
)


class OrderError(Exception):
    """The shop refuses this order or this change of state."""


class EmptyOrder(OrderError):
    """Nothing left to buy."""


class UnknownChoice(OrderError):
    """A shipping or payment method the shop does not offer."""


class OutOfStock(OrderError):
    """A product sold out, went off sale or has fewer units than asked."""

    def __init__(self, product_id: int, available: int) -> None:
        super().__init__(product_id, available)
        self.product_id = product_id
        self.available = available


class TooManyUnits(OrderError):
    """More units of one product than an order may hold (``MAX_UNITS_PER_LINE``)."""

    def __init__(self, product_id: int, max_units: int) -> None:
        super().__init__(product_id, max_units)
        self.product_id = product_id
        self.max_units = max_units


class OrderTooLarge(OrderError):
    """The order's total is above ``MAX_ORDER_CENTS``."""

    def __init__(self, total_cents: int, max_cents: int) -> None:
        super().__init__(total_cents, max_cents)
        self.total_cents = total_cents
        self.max_cents = max_cents


class PriceRose(OrderError):
    """Prices went up since the shopper saw the total: they must confirm again."""

    def __init__(self, subtotal_cents: int) -> None:
        super().__init__(subtotal_cents)
        self.subtotal_cents = subtotal_cents


class OrderNotFound(OrderError):
    """No order has this id."""


class InvalidTransition(OrderError):
    """The order's state does not allow this change."""


class InvalidDeliveryDate(OrderError):
    """A delivery day in the future, or before the parcel left."""


@dataclass(frozen=True)
class Customer:
    email: str
    full_name: str
    street: str
    postal_code: str
    city: str
    country: str
    phone: str | None = None


@dataclass(frozen=True)
class CheckoutRequest:
    """Everything a validated checkout form says, as plain values."""

    checkout_token: str
    customer: Customer
    items: tuple[tuple[int, int], ...]  # (product id, quantity)
    shipping_method: str
    payment_method: str
    accepted_subtotal_cents: int
    locale: str = "fr"
    subscribe_newsletter: bool = False


# --- transactions -----------------------------------------------------------------


@contextmanager
def write_transaction() -> Iterator[None]:
    """One all-or-nothing unit of work that takes the write lock up front on SQLite.

    SQLite would otherwise let two checkouts read, then fail to upgrade to a write
    lock ("database is locked"); BEGIN IMMEDIATE makes the second one wait instead.
    PostgreSQL needs nothing more: row locks of the conditional updates serialise.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        driver_connection = connection.connection.driver_connection
        if not driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def order_for_token(checkout_token: str) -> Order | None:
    """The order a checkout form already placed, if any."""
    return db.session.execute(
        db.select(Order).where(Order.checkout_token == checkout_token)
    ).scalar_one_or_none()


# The unguessable id in an order's links: anything else is no order, unread.
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{16,43}")


def order_by_public_id(public_id: str) -> Order | None:
    """The order its link names, or None (unknown, or not even shaped like an id)."""
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    return db.session.execute(
        db.select(Order).where(Order.public_id == public_id)
    ).scalar_one_or_none()


def product_was_ordered(product_id: int) -> bool:
    """Whether any order holds a line of this product (the catalogue then keeps it,
    off sale, rather than deleting it)."""
    line = db.session.execute(
        db.select(OrderLine.id).filter_by(product_id=product_id).limit(1)
    ).first()
    return line is not None


def get_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order


# --- placing an order -------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """The order a checkout form placed, and whether this call placed it (False
    when a repeated submit found the first one)."""

    order: Order
    is_new: bool
    product_ids: tuple[int, ...] = ()


def place_order(request: CheckoutRequest) -> Placement:
    """Sell the items in one transaction: stock, order, lines, mails, all or nothing.

    The same checkout token always returns the first order it placed.
    """
    if request.shipping_method not in current_app.config["SHIPPING_RATES"]:
        raise UnknownChoice(request.shipping_method)
    if request.payment_method not in {m.code for m in offered_payment_methods()}:
        raise UnknownChoice(request.payment_method)
    items = _merge_items(request.items)
    if not items:
        raise EmptyOrder()
    try:
        with write_transaction():
            existing = order_for_token(request.checkout_token)
            if existing is not None:
                return Placement(existing, is_new=False)
            order = _create_order(request, items)
            product_ids = tuple(line.product_id for line in order.lines)
    except IntegrityError:
        # Two submits of one form raced on PostgreSQL: the first one won.
        existing = order_for_token(request.checkout_token)
        if existing is None:
            raise
        return Placement(existing, is_new=False)
    return Placement(order, is_new=True, product_ids=product_ids)


def _merge_items(items: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    merged: dict[int, int] = {}
    cap = max_units_per_line()
    for product_id, quantity in items:
        if quantity < 1:
            raise OutOfStock(product_id, 0)
        merged[product_id] = merged.get(product_id, 0) + quantity
        if merged[product_id] > cap:
            raise TooManyUnits(product_id, cap)
    # Locking rows in id order keeps concurrent checkouts from deadlocking.
    return sorted(merged.items())


def _create_order(request: CheckoutRequest, items: list[tuple[int, int]]) -> Order:
    lines = [
        _take_from_stock(product_id, qty, request.locale) for product_id, qty in items
    ]
    subtotal = sum(line.gross_cents for line in lines)
    if subtotal > request.accepted_subtotal_cents:
        raise PriceRose(subtotal)
    shipping = shipping_cost(request.shipping_method, subtotal)
    if subtotal + shipping > max_order_cents():
        raise OrderTooLarge(subtotal + shipping, max_order_cents())
    customer = request.customer
    order = Order(
        number=_next_order_number(),
        public_id=secrets.token_urlsafe(24),
        checkout_token=request.checkout_token,
        status=OrderStatus.PENDING_PAYMENT,
        payment_method=request.payment_method,
        shipping_method=request.shipping_method,
        locale=request.locale,
        subtotal_cents=subtotal,
        shipping_cents=shipping,
        total_cents=subtotal + shipping,
        email=normalise_email(customer.email),
        full_name=customer.full_name,
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        country=customer.country,
        phone=customer.phone or None,
        terms_version=terms_version(),
        lines=lines,
    )
    db.session.add(order)
    db.session.flush()
    _enqueue_order_mails(order)
    if request.subscribe_newsletter:
        try:
            request_subscription(
                customer.email, source="checkout", language=request.locale
            )
        except NewsletterError:
            pass  # an address the newsletter refuses must not cost the order
    return order


def _take_from_stock(product_id: int, quantity: int, locale: str) -> OrderLine:
    """Decrement stock only if enough is left, and snapshot the product as sold."""
    sold = db.session.execute(
        update(Product)
        .where(
            Product.id == product_id,
            Product.active.is_(True),
            Product.stock >= quantity,
        )
        .values(stock=Product.stock - quantity)
        .returning(
            Product.price_cents, Product.vat_rate_bp, Product.name_fr, Product.name_en
        )
        .execution_options(synchronize_session=False)
    ).first()
    if sold is None:
        product = db.session.get(Product, product_id)
        available = product.stock if product is not None and product.active else 0
        raise OutOfStock(product_id, available)
    price, vat_rate, name_fr, name_en = sold
    gross = price * quantity
    net, tax = vat_included_split(gross, vat_rate)
    return OrderLine(
        product_id=product_id,
        product_name=name_en if locale == "en" else name_fr,
        quantity=quantity,
        unit_price_cents=price,
        vat_rate_bp=vat_rate,
        net_cents=net,
        tax_cents=tax,
        gross_cents=gross,
    )


def _next_order_number() -> str:
    """The next number of the year, like 2026-000042; the counter row's lock makes
    concurrent checkouts take turns, so no number is given twice."""
    year = utcnow().year
    return f"{year}-{_count(OrderNumberCounter, year):06d}"


def _next_invoice_number(paid_at: datetime) -> str:
    """The next invoice number of the payment's year in the shop's time zone, like
    F2026-000001. Taken inside the transaction that marks the order paid: the
    counter row stays locked until it commits (UPDATE ... RETURNING locks the row
    on PostgreSQL, SQLite has one writer), and a rollback gives the number back, so
    the numbers run with no gap and none is given twice."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    year = paid_at.astimezone(zone).year
    return f"F{year}-{_count(InvoiceNumberCounter, year):06d}"


def _count(counter: type[OrderNumberCounter | InvoiceNumberCounter], year: int) -> int:
    """Add one to the year's counter and return it, creating the year's row first."""
    number = _increment_counter(counter, year)
    if number is None:  # the year's first number: create its counter, then count
        dialect = db.session.connection().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(counter)
            .values(year=year, last_number=0)
            .on_conflict_do_nothing(index_elements=["year"])
        )
        number = _increment_counter(counter, year)
    return number


def _increment_counter(
    counter: type[OrderNumberCounter | InvoiceNumberCounter], year: int
) -> int | None:
    return db.session.execute(
        update(counter)
        .where(counter.year == year)
        .values(last_number=counter.last_number + 1)
        .returning(counter.last_number)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()


# --- mails ------------------------------------------------------------------------


def status_url(order: Order) -> str:
    """The order's page, as linked from its emails."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/orders/{order.public_id}"


def _mail_context(order: Order) -> dict:
    return {
        "order": order,
        "payment": payment_method(order.payment_method),
        "status_url": status_url(order),
    }


def _agreed_texts(order: Order) -> dict:
    """What the shopper agreed to, for the confirmation email (a durable medium,
    consumer code L221-13): the withdrawal information, the model withdrawal form
    and the terms of sale, in the order's language."""
    return {
        "withdrawal": withdrawal_information(order.locale),
        "withdrawal_form": withdrawal_form(order.locale),
        "terms": terms_of_sale(order.locale),
    }


def _enqueue_order_mails(order: Order) -> None:
    with force_locale(order.locale):
        enqueue(
            to=order.email,
            subject=_("Your order %(number)s", number=order.number),
            template="mail/order_confirmation",
            context={**_mail_context(order), **_agreed_texts(order)},
            purpose="order",
            dedupe_key=f"order-confirmation-{order.number}",
        )
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        enqueue(
            to=current_app.config["MAIL_OWNER_ADDRESS"],
            subject=_("New order %(number)s", number=order.number),
            template="mail/order_owner",
            context=_mail_context(order),
            purpose="order",
            dedupe_key=f"order-owner-{order.number}",
        )


def _enqueue_status_mail(order: Order) -> None:
    with force_locale(order.locale):
        enqueue(
            to=order.email,
            subject=_("Your order %(number)s", number=order.number),
            template="mail/order_status",
            context=_mail_context(order),
            purpose="order",
            dedupe_key=f"order-status-{order.number}-{order.status}",
        )


# --- states -----------------------------------------------------------------------


def _move(
    order_id: int,
    allowed_from: tuple[str, ...],
    to: str,
    *conditions: ColumnElement[bool],
    **values,
) -> Order:
    """Change the state only if it is still one of ``allowed_from`` (a conditional
    update, so two clicks or two admins cannot both succeed), and ``conditions``
    still hold."""
    moved = db.session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(allowed_from), *conditions)
        .values(status=to, **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        raise InvalidTransition(order_id)
    order = get_order(order_id)
    db.session.refresh(order)
    return order


def mark_paid(order_id: int) -> Order:
    """The owner saw the payment arrive: the order gets its invoice number. Not for
    a card order: only Stripe's signed word makes it paid (``eshop.payments``)."""
    if get_order(order_id).payment_method == CARD.code:
        raise InvalidTransition(order_id)
    with write_transaction():
        return record_payment(order_id)


def record_payment(order_id: int) -> Order:
    """Make a pending order paid, number its invoice and queue the customer's mail,
    inside the caller's ``write_transaction`` (the card payment's webhook stores the
    event it came from in the same one). InvalidTransition if it was not pending."""
    paid_at = utcnow()
    order = _move(
        order_id, (OrderStatus.PENDING_PAYMENT,), OrderStatus.PAID, paid_at=paid_at
    )
    _give_invoice_number(order, paid_at)
    _enqueue_status_mail(order)
    return order


def _give_invoice_number(order: Order, paid_at: datetime) -> None:
    """Number the invoice of an order that just became paid (once: the state change
    before it succeeds only once)."""
    order.invoice_number = _next_invoice_number(paid_at)
    db.session.flush()


def mark_shipped(order_id: int, tracking_number: str | None = None) -> Order:
    """The parcel left; a bank transfer must be paid first, cash on delivery not."""
    order = get_order(order_id)
    allowed = (OrderStatus.PAID,)
    if payment_method(order.payment_method).ships_before_payment:
        allowed = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID)
    tracking = (tracking_number or "").strip()[:60] or None
    with write_transaction():
        order = _move(
            order_id,
            allowed,
            OrderStatus.SHIPPED,
            shipped_at=utcnow(),
            tracking_number=tracking,
        )
        _enqueue_status_mail(order)
    return order


def mark_delivered(order_id: int, delivered_at: datetime | None = None) -> Order:
    """The customer received the parcel (and paid the carrier, for cash on
    delivery). ``delivered_at`` (now when not given) starts the 14 days of
    withdrawal: it can be neither in the future nor before the parcel left."""
    order = get_order(order_id)
    now = utcnow()
    delivered_at = delivered_at or now
    if delivered_at > now or (order.shipped_at and delivered_at < order.shipped_at):
        raise InvalidDeliveryDate(order_id)
    values = {"delivered_at": delivered_at}
    becomes_paid = order.paid_at is None
    if becomes_paid:
        values["paid_at"] = now
    with write_transaction():
        moved = (Order.paid_at.is_(None),) if becomes_paid else ()
        order = _move(
            order_id, (OrderStatus.SHIPPED,), OrderStatus.DELIVERED, *moved, **values
        )
        if becomes_paid:
            _give_invoice_number(order, values["paid_at"])
        _enqueue_status_mail(order)
    return order


def cancel_order(order_id: int) -> Order:
    """Call the order off before it ships and put its stock back, exactly once."""
    return _cancel(order_id, (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID))


def cancel_unpaid_order(order_id: int) -> Order:
    """Cancel an order still awaiting payment and restock it, once (an unpaid card
    order past its time: the payment was called off at Stripe first).
    InvalidTransition if it was paid or cancelled in the meantime."""
    return _cancel(order_id, (OrderStatus.PENDING_PAYMENT,))


def _cancel(
    order_id: int, allowed_from: tuple[str, ...], *conditions: ColumnElement[bool]
) -> Order:
    get_order(order_id)
    with write_transaction():
        order = _move(
            order_id,
            allowed_from,
            OrderStatus.CANCELLED,
            *conditions,
            cancelled_at=utcnow(),
        )
        for line in order.lines:
            if line.product_id is not None:
                db.session.execute(
                    update(Product)
                    .where(Product.id == line.product_id)
                    .values(stock=Product.stock + line.quantity)
                    .execution_options(synchronize_session=False)
                )
        _enqueue_status_mail(order)
    return order


def confirm_order(order_id: int) -> Order:
    """The owner confirms a cash-on-delivery order (a call to the customer, say):
    it will ship before payment and no longer expires. Only once, and only for a
    method that ships before payment and an order still awaiting payment."""
    order = get_order(order_id)
    if not payment_method(order.payment_method).ships_before_payment:
        raise InvalidTransition(order_id)
    with write_transaction():
        confirmed = db.session.execute(
            update(Order)
            .where(
                Order.id == order_id,
                Order.status == OrderStatus.PENDING_PAYMENT,
                Order.confirmed_at.is_(None),
            )
            .values(confirmed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if confirmed.rowcount != 1:
            raise InvalidTransition(order_id)
    db.session.refresh(order)
    return order


def expire_unpaid_orders(days: int) -> list[str]:
    """Cancel orders still awaiting payment after ``days`` that the owner has not
    confirmed, whatever the payment method, and restock them; return their numbers.

    A bank transfer is never "confirmed": it is paid or it expires. A cash-on-
    delivery order is kept once the owner confirmed it, so no unpaid order holds
    stock for good. Running it twice restocks nothing more: cancelling is a
    conditional change of state. Card orders are left to ``flask payments
    reconcile``, which expires them within the hour, once Stripe has called their
    payment off (so none is cancelled here while its payment goes through).
    """
    cutoff = utcnow() - timedelta(days=days)
    stale = db.session.execute(
        db.select(Order.id)
        .where(
            Order.status == OrderStatus.PENDING_PAYMENT,
            Order.confirmed_at.is_(None),
            Order.created_at < cutoff,
            Order.payment_method != CARD.code,
        )
        .order_by(Order.id)
    ).scalars()
    cancelled = []
    for order_id in list(stale):
        try:
            # Still unpaid and unconfirmed when cancelled, not only when listed.
            order = _cancel(
                order_id, (OrderStatus.PENDING_PAYMENT,), Order.confirmed_at.is_(None)
            )
        except InvalidTransition:
            continue  # paid, confirmed, shipped or cancelled in the meantime
        cancelled.append(order.number)
    return cancelled
