"""The right of withdrawal: the shopper's declaration and the owner's follow-up.

A consumer may withdraw from a distance purchase until 14 days after delivery
(French consumer code, L221-18 and following): the period starts the day after the
parcel arrived and ends at the end of the 14th day, in the shop's time zone. Before
delivery, the same request cancels the order: at once while it has not left, as a
request the owner handles once it is on its way. The shop refunds what was paid for
the units sent back, and the standard shipping when the whole order comes back.

Every function takes plain values, commits once, and raises a ``WithdrawalError``
when the shop refuses; nothing is half-written then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, case, func, update
from sqlalchemy.orm import joinedload, selectinload

from eshop.catalog.models import Product
from eshop.clock import utcnow
from eshop.extensions import db
from eshop.mail import enqueue

from .models import Order, OrderLine, OrderStatus
from .services import (
    OrderError,
    _enqueue_status_mail,
    _move,
    cancel_order,
    get_order,
    status_url,
    write_transaction,
)
from .terms import WITHDRAWAL_DAYS  # the legal period, from the day after delivery
from .withdrawal_models import WithdrawalKind, WithdrawalLine, WithdrawalRequest

REFUND_DAYS = 14  # the shop must refund within 14 days of the declaration


class WithdrawalError(OrderError):
    """The shop refuses this withdrawal or this step of its follow-up."""


class WithdrawalClosed(WithdrawalError):
    """The order is not delivered, or its 14 days are over."""


class NothingToWithdraw(WithdrawalError):
    """No unit chosen, or more units than are left to send back, or an excluded
    product."""


class RequestNotFound(WithdrawalError):
    """No withdrawal request has this id."""


class AlreadyRefunded(WithdrawalError):
    """The refund of this request was recorded already."""


class RefundTooHigh(WithdrawalError):
    """More than what was paid for the units sent back (and the shipping, when the
    whole order came back)."""

    def __init__(self, cap_cents: int) -> None:
        super().__init__(cap_cents)
        self.cap_cents = cap_cents


# --- the period ---------------------------------------------------------------------


def shop_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in the shop's time zone."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return moment.astimezone(zone).date()


def withdrawal_last_day(order: Order) -> date | None:
    """The last day a withdrawal may be declared, or None before delivery."""
    if order.status != OrderStatus.DELIVERED or order.delivered_at is None:
        return None
    return shop_date(order.delivered_at) + timedelta(days=WITHDRAWAL_DAYS)


def withdrawal_open(order: Order, now: datetime | None = None) -> bool:
    """Whether the shopper may still declare a withdrawal today."""
    last_day = withdrawal_last_day(order)
    return last_day is not None and shop_date(now or utcnow()) <= last_day


# --- what can be sent back ----------------------------------------------------------


@dataclass(frozen=True)
class WithdrawableLine:
    """An order line as the withdrawal form shows it."""

    line: OrderLine
    remaining: int  # units not yet declared in an earlier request
    excluded: bool  # the product is sold without the right of withdrawal


# What a list of requests shows with each: its order and its lines, loaded with the
# requests rather than one query per row.
WITH_ORDER_AND_LINES = (
    joinedload(WithdrawalRequest.order),
    selectinload(WithdrawalRequest.lines).joinedload(WithdrawalLine.order_line),
)


def requests_of(order_id: int) -> list[WithdrawalRequest]:
    """The order's requests, oldest first."""
    return list(
        db.session.execute(
            db.select(WithdrawalRequest)
            .options(*WITH_ORDER_AND_LINES)
            .where(WithdrawalRequest.order_id == order_id)
            .order_by(WithdrawalRequest.id)
        ).scalars()
    )


def _declared_units(order_id: int) -> dict[int, int]:
    rows = db.session.execute(
        db.select(WithdrawalLine.order_line_id, func.sum(WithdrawalLine.quantity))
        .join(WithdrawalRequest)
        .where(WithdrawalRequest.order_id == order_id)
        .group_by(WithdrawalLine.order_line_id)
    )
    return {line_id: int(units) for line_id, units in rows}


def _excluded_products(order: Order) -> set[int]:
    ids = [line.product_id for line in order.lines if line.product_id is not None]
    if not ids:
        return set()
    return set(
        db.session.execute(
            db.select(Product.id).where(
                Product.id.in_(ids), Product.excluded_from_withdrawal.is_(True)
            )
        ).scalars()
    )


def withdrawable_lines(order: Order) -> list[WithdrawableLine]:
    """Each line of the order, with the units left to send back."""
    declared = _declared_units(order.id)
    excluded = _excluded_products(order)
    return [
        WithdrawableLine(
            line,
            remaining=line.quantity - declared.get(line.id, 0),
            excluded=line.product_id in excluded,
        )
        for line in order.lines
    ]


# --- the shopper's side -------------------------------------------------------------


def _lock_order(order_id: int) -> Order:
    """The order, its row locked until commit on PostgreSQL (SQLite's write lock is
    already held), so two declarations cannot both take the last units."""
    order = db.session.execute(
        db.select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if order is None:
        raise WithdrawalClosed(order_id)
    return order


def declare_withdrawal(
    order_id: int, quantities: Mapping[int, int] | None = None
) -> WithdrawalRequest:
    """Record a withdrawal of ``quantities`` (order line id → units; None for every
    unit left) and queue its acknowledgement, in one transaction."""
    get_order(order_id)
    with write_transaction():
        order = _lock_order(order_id)
        if not withdrawal_open(order):
            raise WithdrawalClosed(order_id)
        lines = withdrawable_lines(order)
        chosen = _chosen_units(lines, quantities)
        units_left_after = sum(
            item.remaining - chosen.get(item.line.id, 0) for item in lines
        )
        whole_order_back = units_left_after == 0
        request = _new_request(
            order, WithdrawalKind.WITHDRAWAL, chosen, whole_order_back
        )
        _enqueue_acknowledgement(order, request)
    return request


def _chosen_units(
    lines: list[WithdrawableLine], quantities: Mapping[int, int] | None
) -> dict[int, int]:
    """Check the units asked for against what is left; None asks for all of it."""
    by_id = {item.line.id: item for item in lines}
    if quantities is None:
        quantities = {
            item.line.id: item.remaining
            for item in lines
            if not item.excluded and item.remaining > 0
        }
    chosen = {}
    for line_id, units in quantities.items():
        if units == 0:
            continue
        item = by_id.get(line_id)
        if item is None or item.excluded or not 0 < units <= item.remaining:
            raise NothingToWithdraw(line_id)
        chosen[line_id] = units
    if not chosen:
        raise NothingToWithdraw(None)
    return chosen


def _new_request(
    order: Order, kind: str, units: dict[int, int], includes_shipping: bool
) -> WithdrawalRequest:
    prices = {line.id: line.unit_price_cents for line in order.lines}
    goods = sum(prices[line_id] * count for line_id, count in units.items())
    request = WithdrawalRequest(
        order_id=order.id,
        kind=kind,
        includes_shipping=includes_shipping,
        refund_cap_cents=goods + (order.shipping_cents if includes_shipping else 0),
        declared_at=utcnow(),
        lines=[
            WithdrawalLine(order_line_id=line_id, quantity=count)
            for line_id, count in sorted(units.items())
        ],
    )
    db.session.add(request)
    db.session.flush()
    return request


def _enqueue_acknowledgement(order: Order, request: WithdrawalRequest) -> None:
    """The shopper's receipt on a durable medium, in the order's language; and a word
    to the owner, who has goods to expect and money to refund."""
    context = {
        "order": order,
        "withdrawal": request,
        "status_url": status_url(order),
        "refund_days": REFUND_DAYS,
    }
    with force_locale(order.locale):
        enqueue(
            to=order.email,
            subject=_(
                "Your withdrawal from order %(number)s is received",
                number=order.number,
            )
            if request.kind == WithdrawalKind.WITHDRAWAL
            else _(
                "Your cancellation of order %(number)s is received",
                number=order.number,
            ),
            template="mail/withdrawal_received",
            context=context,
            purpose="order",
            dedupe_key=f"withdrawal-received-{request.id}",
        )
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        enqueue(
            to=current_app.config["MAIL_OWNER_ADDRESS"],
            subject=_("Withdrawal request for order %(number)s", number=order.number),
            template="mail/withdrawal_owner",
            context=context,
            purpose="order",
            dedupe_key=f"withdrawal-owner-{request.id}",
        )


@dataclass(frozen=True)
class Cancellation:
    """What asking to cancel did: the order cancelled at once, or a request the owner
    handles (a parcel already on its way, or money to refund)."""

    order: Order
    request: WithdrawalRequest | None


def ask_to_cancel(order_id: int) -> Cancellation:
    """Before delivery, the withdrawal button cancels: an unpaid order at once; a paid
    one at once too, with a request so the owner refunds it; a shipped one becomes a
    request the owner follows until the parcel comes back."""
    order = get_order(order_id)
    if order.status == OrderStatus.PENDING_PAYMENT:
        return Cancellation(cancel_order(order_id), None)
    if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED):
        raise WithdrawalClosed(order_id)
    with write_transaction():
        order = _lock_order(order_id)
        if requests_of(order_id):
            raise WithdrawalClosed(order_id)  # asked already
        if order.status == OrderStatus.PAID:
            order = _move(
                order_id,
                (OrderStatus.PAID,),
                OrderStatus.CANCELLED,
                cancelled_at=utcnow(),
            )
            _restock({line.id: line.quantity for line in order.lines}, order)
            _enqueue_status_mail(order)
        elif order.status != OrderStatus.SHIPPED:
            raise WithdrawalClosed(order_id)
        every_unit = {line.id: line.quantity for line in order.lines}
        request = _new_request(order, WithdrawalKind.CANCELLATION, every_unit, True)
        if order.status == OrderStatus.CANCELLED:
            request.received_at = request.declared_at  # the goods never left
        _enqueue_acknowledgement(order, request)
    return Cancellation(order, request)


# --- the owner's side ---------------------------------------------------------------


def get_request(request_id: int) -> WithdrawalRequest:
    request = db.session.get(WithdrawalRequest, request_id)
    if request is None:
        raise RequestNotFound(request_id)
    return request


def requests_query() -> Select:
    """Every request, the ones not refunded yet first, oldest first among them, the
    refunded ones newest first (a select, for the back office to paginate)."""
    refunded = WithdrawalRequest.refunded_at.is_not(None)
    return (
        db.select(WithdrawalRequest)
        .options(*WITH_ORDER_AND_LINES)
        .order_by(
            refunded,
            case((refunded, None), else_=WithdrawalRequest.declared_at),
            WithdrawalRequest.refunded_at.desc(),
            WithdrawalRequest.id,
        )
    )


def is_overdue(request: WithdrawalRequest, now: datetime | None = None) -> bool:
    """Still open (not refunded) more than 14 days after it was declared."""
    now = now or utcnow()
    return request.refunded_at is None and now - request.declared_at > timedelta(
        days=REFUND_DAYS
    )


def _restock(units: Mapping[int, int], order: Order) -> None:
    product_of = {line.id: line.product_id for line in order.lines}
    for line_id, count in units.items():
        product_id = product_of.get(line_id)
        if product_id is not None:  # a product deleted since has no stock to fill
            db.session.execute(
                update(Product)
                .where(Product.id == product_id)
                .values(stock=Product.stock + count)
                .execution_options(synchronize_session=False)
            )


def mark_goods_received(request_id: int) -> bool:
    """The parcel came back: its units go back in stock exactly once. Returns False
    when they already had (a second click, another tab)."""
    request = get_request(request_id)
    with write_transaction():
        received = db.session.execute(
            update(WithdrawalRequest)
            .where(
                WithdrawalRequest.id == request_id,
                WithdrawalRequest.received_at.is_(None),
            )
            .values(received_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if received.rowcount != 1:
            return False
        units = {line.order_line_id: line.quantity for line in request.lines}
        _restock(units, request.order)
    db.session.refresh(request)
    return True


def record_refund(request_id: int, refund_cents: int) -> WithdrawalRequest:
    """The owner paid the money back: at most the request's cap, recorded once."""
    request = get_request(request_id)
    if not 0 < refund_cents <= request.refund_cap_cents:
        raise RefundTooHigh(request.refund_cap_cents)
    with write_transaction():
        refunded = db.session.execute(
            update(WithdrawalRequest)
            .where(
                WithdrawalRequest.id == request_id,
                WithdrawalRequest.refunded_at.is_(None),
            )
            .values(refunded_at=utcnow(), refund_cents=refund_cents)
            .execution_options(synchronize_session=False)
        )
        if refunded.rowcount != 1:
            raise AlreadyRefunded(request_id)
    db.session.refresh(request)
    return request


# --- what the order page shows ------------------------------------------------------


@dataclass(frozen=True)
class WithdrawalSummary:
    """The withdrawal part of an order's page: what the shopper may still ask, and
    what they asked already."""

    can_cancel: bool  # before delivery: the button asks to cancel
    can_withdraw: bool  # delivered, within the period, with units left to send back
    last_day: date | None
    requests: tuple[WithdrawalRequest, ...]


def withdrawal_summary(order: Order) -> WithdrawalSummary:
    """What the order page says about withdrawing from ``order`` today."""
    requests = tuple(requests_of(order.id))
    can_cancel = order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID) or (
        order.status == OrderStatus.SHIPPED and not requests
    )
    can_withdraw = withdrawal_open(order) and any(
        item.remaining > 0 and not item.excluded for item in withdrawable_lines(order)
    )
    return WithdrawalSummary(
        can_cancel, can_withdraw, withdrawal_last_day(order), requests
    )
