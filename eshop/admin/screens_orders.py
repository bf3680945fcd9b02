"""Admin: the orders screens, where the owner follows orders and moves them along.

Reading and listing happen here; every change of state is the orders service's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, Subquery, func, or_, select

from eshop.account.services import is_member
from eshop.catalog.models import VAT_RATES_BP
from eshop.clock import utcnow
from eshop.emails import normalise_email_or_none
from eshop.extensions import db
from eshop.i18n import current_language
from eshop.money import format_price
from eshop.orders.invoices import has_invoice, seller_identity
from eshop.orders.models import Order, OrderLine, OrderStatus
from eshop.orders.payments import CARD, PAYMENT_METHODS
from eshop.orders.services import (
    InvalidDeliveryDate,
    InvalidTransition,
    OrderNotFound,
    confirm_order,
    mark_delivered,
    mark_paid,
    mark_shipped,
)
from eshop.orders.shipping import country_name, method_label
from eshop.orders.withdrawals import requests_of, shop_date
from eshop.payments.errors import PaymentError
from eshop.payments.gateway import CardPaymentUnavailable
from eshop.payments.refunds import payment_summary, refund_to_card
from eshop.payments.services import call_off_order
from eshop.vat import VatLine, vat_breakdown

from .blueprint import bp
from .card_refunds import attempt_label, refusal
from .forms_operations import (
    CardRefundForm,
    DeliverOrderForm,
    OrderActionForm,
    OrderFilterForm,
    ShipOrderForm,
)

ORDERS_PER_PAGE = 50
CSV_BATCH_SIZE = 500

STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: _l("Awaiting payment"),
    OrderStatus.PAID: _l("Paid"),
    OrderStatus.SHIPPED: _l("Shipped"),
    OrderStatus.DELIVERED: _l("Delivered"),
    OrderStatus.CANCELLED: _l("Cancelled"),
}


def payment_label(code: str) -> str:
    """The payment method's name, as the orders domain labels it."""
    method = PAYMENT_METHODS.get(code)
    return str(method.label) if method else code


def country(code: str) -> str:
    """A country code named in the interface's language."""
    return country_name(code, current_language())


def status_label(status: str) -> str:
    """An order state in words."""
    return str(STATUS_LABELS.get(status, status))


def shop_day_start(day: date) -> datetime:
    """Midnight of ``day`` in the shop's time zone, as a UTC datetime."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def filtered_orders(form: OrderFilterForm | None) -> Select:
    """Orders matching the filters of a validated ``form``, newest first."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if form is None:
        return query
    if form.q.data:
        term = form.q.data.strip().lower()
        # A whole address in any spelling (punycode, capitals) finds the stored one.
        address = normalise_email_or_none(term) if "@" in term else None
        query = query.where(
            or_(
                Order.number.startswith(term, autoescape=True),
                func.lower(Order.full_name).contains(term, autoescape=True),
                func.lower(Order.email).contains(address or term, autoescape=True),
            )
        )
    if form.status.data:
        query = query.where(Order.status == form.status.data)
    if form.date_from.data:
        query = query.where(Order.created_at >= shop_day_start(form.date_from.data))
    if form.date_to.data:
        next_day = form.date_to.data + timedelta(days=1)
        query = query.where(Order.created_at < shop_day_start(next_day))
    return query


def filter_form() -> OrderFilterForm:
    """The list's filters read from the query string, with the states to choose."""
    form = OrderFilterForm(formdata=request.args)
    form.status.choices = [("", str(_l("All states")))] + [
        (value, str(label)) for value, label in STATUS_LABELS.items()
    ]
    return form


def filter_args(form: OrderFilterForm) -> dict[str, str]:
    """The valid filters as query-string values, kept by pagination and export."""
    args = {}
    if form.q.data:
        args["q"] = form.q.data
    if form.status.data:
        args["status"] = form.status.data
    for name in ("date_from", "date_to"):
        value = getattr(form, name).data
        if value:
            args[name] = value.isoformat()
    return args


@bp.get("/orders")
def orders() -> ResponseReturnValue:
    """The orders, found by number, name or email, filtered by state and date
    range, fifty a page."""
    form = filter_form()
    valid = form.validate()
    page = db.paginate(
        filtered_orders(form if valid else None),
        page=request.args.get("page", 1, type=int),
        per_page=ORDERS_PER_PAGE,
        error_out=False,
    )
    body = render_template(
        "admin/orders/list.html",
        form=form,
        pager=page,
        orders=page.items,
        args=filter_args(form) if valid else {},
        status_label=status_label,
        payment_label=payment_label,
    )
    return body, 200 if valid else 400


@bp.get("/orders/<int:order_id>")
def order_detail(order_id: int) -> ResponseReturnValue:
    """One order: its lines, customer, address, payment, and the next steps."""
    return render_detail(db.get_or_404(Order, order_id))


def render_detail(
    order: Order,
    ship_form: ShipOrderForm | None = None,
    code: int = 200,
    deliver_form: DeliverOrderForm | None = None,
    refund_form: CardRefundForm | None = None,
) -> ResponseReturnValue:
    """The order page, with the shipping, delivery or refund form's errors when it
    was refused."""
    if deliver_form is None:
        deliver_form = DeliverOrderForm(formdata=None)
        deliver_form.delivered_on.data = shop_date(utcnow())
    method = PAYMENT_METHODS.get(order.payment_method)
    card = payment_summary(order.id) if order.payment_method == CARD.code else None
    if card is not None and refund_form is None:
        refund_form = CardRefundForm(formdata=None)
        refund_form.amount.data = card["refundable_cents"]
    body = render_template(
        "admin/orders/detail.html",
        order=order,
        is_member=is_member(order.email),
        action_form=OrderActionForm(),
        ship_form=ship_form or ShipOrderForm(),
        deliver_form=deliver_form,
        withdrawals=requests_of(order.id),
        card=card,
        refund_form=refund_form,
        attempt_label=attempt_label,
        ships_before_payment=bool(method and method.ships_before_payment),
        status_label=status_label,
        payment_label=payment_label,
        shipping_label=method_label,
        country=country,
        status=OrderStatus,
        expire_days=current_app.config["ORDERS_EXPIRE_DAYS"],
    )
    return body, code


@bp.get("/orders/<int:order_id>/invoice")
def order_invoice(order_id: int) -> ResponseReturnValue:
    """The printable invoice of a paid order (404 before payment: no invoice yet)."""
    order = db.get_or_404(Order, order_id)
    if not has_invoice(order):
        abort(404)
    return render_template(
        "admin/orders/invoice.html",
        order=order,
        seller=seller_identity(),
        payment_label=payment_label(order.payment_method),
        shipping_label=method_label(order.shipping_method),
        country=country(order.country),
    )


# --- state changes: each calls the orders service, which emails the customer -------

DONE_MESSAGES = {
    "paid": _l("Order %(number)s is marked paid; the customer is told."),
    "shipped": _l("Order %(number)s is marked shipped; the customer is told."),
    "delivered": _l("Order %(number)s is marked delivered; the customer is told."),
    "cancel": _l("Order %(number)s is cancelled and its items are back in stock."),
}
STEP_TARGETS = {
    "paid": OrderStatus.PAID,
    "shipped": OrderStatus.SHIPPED,
    "delivered": OrderStatus.DELIVERED,
    "cancel": OrderStatus.CANCELLED,
}
ALREADY_MESSAGES = {
    "paid": _l("Order %(number)s was already marked paid."),
    "shipped": _l("Order %(number)s was already marked shipped."),
    "delivered": _l("Order %(number)s was already marked delivered."),
    "cancel": _l(
        "Order %(number)s was already cancelled; its stock was put back once."
    ),
}
REFUSED_MESSAGES = {
    "paid": _l("Order %(number)s cannot be marked paid: it is %(state)s."),
    "shipped": _l("Order %(number)s cannot be marked shipped: it is %(state)s."),
    "delivered": _l("Order %(number)s cannot be marked delivered: it is %(state)s."),
    "cancel": _l("Order %(number)s cannot be cancelled: it is %(state)s."),
}


def change_state(order_id: int, step: str, move: Callable[[], object]) -> Response:
    """Run one state change and say how it went; a refused change (a second click,
    a bank transfer not paid yet) becomes a message, never an error page."""
    order = db.get_or_404(Order, order_id)
    if not OrderActionForm().validate():
        abort(400)
    try:
        move()
    except InvalidTransition:
        db.session.rollback()
        db.session.refresh(order)
        if order.status == STEP_TARGETS[step]:  # a second click, or another tab
            flash(str(ALREADY_MESSAGES[step]) % {"number": order.number}, "warning")
        else:
            state = status_label(order.status).lower()
            values = {"number": order.number, "state": state}
            flash(str(REFUSED_MESSAGES[step]) % values, "error")
    except OrderNotFound:
        abort(404)
    else:
        flash(str(DONE_MESSAGES[step]) % {"number": order.number}, "success")
    return redirect(url_for("admin.order_detail", order_id=order_id))


CARD_PAID_BY_STRIPE = _l(
    "Order %(number)s is to be paid by card: only Stripe’s confirmation marks it paid."
)


@bp.post("/orders/<int:order_id>/paid")
def order_mark_paid(order_id: int) -> ResponseReturnValue:
    """The payment arrived (a bank transfer, cash on delivery: never a card, whose
    payment only Stripe's signed word records)."""
    order = db.get_or_404(Order, order_id)
    if order.payment_method == CARD.code:
        if not OrderActionForm().validate():
            abort(400)
        flash(str(CARD_PAID_BY_STRIPE) % {"number": order.number}, "error")
        return redirect(url_for("admin.order_detail", order_id=order_id))
    return change_state(order_id, "paid", lambda: mark_paid(order_id))


REFUND_SENT = _l(
    "%(amount)s is refunded to the card of order %(number)s (Stripe refund %(refund)s)."
)


@bp.post("/orders/<int:order_id>/refund")
def order_card_refund(order_id: int) -> ResponseReturnValue:
    """Send an amount back to the card the order was paid with, through Stripe: at
    most what was paid less the refunds already made."""
    order = db.get_or_404(Order, order_id)
    form = CardRefundForm()
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return render_detail(order, code=400, refund_form=form)
    back = redirect(url_for("admin.order_detail", order_id=order_id), 303)
    try:
        refund = refund_to_card(order_id, form.amount.data)
    except PaymentError as error:
        refused = refusal(error, order.number)
        if refused.nothing_left:
            flash(refused.message, "error")
            return back
        form.amount.errors = [refused.message]
        return render_detail(order, code=refused.code, refund_form=form)
    values = {
        "amount": format_price(refund.amount_cents),
        "number": order.number,
        "refund": refund.refund_id,
    }
    flash(str(REFUND_SENT) % values, "success")
    return back


@bp.post("/orders/<int:order_id>/shipped")
def order_mark_shipped(order_id: int) -> ResponseReturnValue:
    """The parcel left, with its tracking number when there is one."""
    order = db.get_or_404(Order, order_id)
    form = ShipOrderForm()
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return render_detail(order, form, 400)
    tracking_number = form.tracking_number.data or None
    return change_state(
        order_id, "shipped", lambda: mark_shipped(order_id, tracking_number)
    )


@bp.post("/orders/<int:order_id>/confirm")
def order_confirm(order_id: int) -> ResponseReturnValue:
    """Confirm a cash-on-delivery order, so that it no longer expires unpaid."""
    order = db.get_or_404(Order, order_id)
    if not OrderActionForm().validate():
        abort(400)
    try:
        confirm_order(order_id)
    except InvalidTransition:
        db.session.rollback()
        db.session.refresh(order)
        if order.confirmed_at is not None:
            message = _l("Order %(number)s was already confirmed.")
            flash(str(message) % {"number": order.number}, "warning")
        else:
            message = _l("Order %(number)s cannot be confirmed: it is %(state)s.")
            state = status_label(order.status).lower()
            flash(str(message) % {"number": order.number, "state": state}, "error")
    else:
        message = _l("Order %(number)s is confirmed: it will not expire unpaid.")
        flash(str(message) % {"number": order.number}, "success")
    return redirect(url_for("admin.order_detail", order_id=order_id))


def delivery_moment(day: date, order: Order) -> datetime:
    """When a parcel delivered on ``day`` counts as delivered: now for today, else
    noon that day (never before it left, on the day it left)."""
    now = utcnow()
    if day == shop_date(now):
        return now
    moment = shop_day_start(day) + timedelta(hours=12)
    if order.shipped_at and shop_date(order.shipped_at) == day:
        moment = max(moment, order.shipped_at)
    return moment


@bp.post("/orders/<int:order_id>/delivered")
def order_mark_delivered(order_id: int) -> ResponseReturnValue:
    """The customer has the parcel, since the day the owner gives."""
    order = db.get_or_404(Order, order_id)
    form = DeliverOrderForm()
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return render_detail(order, code=400, deliver_form=form)
    day = form.delivered_on.data
    delivered_at = delivery_moment(day, order) if day else None
    try:
        return change_state(
            order_id, "delivered", lambda: mark_delivered(order_id, delivered_at)
        )
    except InvalidDeliveryDate:
        db.session.rollback()
        form.delivered_on.errors = [
            str(_l("The delivery day cannot be in the future or before shipping."))
        ]
        return render_detail(order, code=400, deliver_form=form)


STRIPE_UNREACHABLE_FOR_CANCEL = _l(
    "Stripe could not be reached to call off this order's card payment, so the "
    "order was not cancelled. Try again in a few minutes."
)


@bp.post("/orders/<int:order_id>/cancel")
def order_cancel(order_id: int) -> ResponseReturnValue:
    """Call the order off (a card payment at Stripe first); the service puts the
    stock back exactly once."""
    try:
        return change_state(order_id, "cancel", lambda: call_off_order(order_id))
    except CardPaymentUnavailable:
        flash(str(STRIPE_UNREACHABLE_FOR_CANCEL), "error")
        return redirect(url_for("admin.order_detail", order_id=order_id))


# What the accountant needs, and no more personal data than the customer's name;
# then base and VAT at each rate (shipping shared pro rata, see eshop/vat.py).
CSV_HEADER = (
    "number",
    "invoice_number",
    "date",
    "status",
    "customer",
    "net_eur",
    "tax_eur",
    "gross_eur",
    "payment_method",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Keep a customer's text from being run as a formula by a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def euros(cents: int) -> str:
    """Cents as a plain decimal amount, the way accounting software imports it."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def rate_label(basis_points: int) -> str:
    """A VAT rate as a column name's part: ``20``, ``5.5``."""
    return f"{basis_points / 100:g}"


def export_rates(orders_only: Subquery) -> list[int]:
    """The rates with a column of their own: the catalogue's, and any other an
    exported order was sold at; highest first."""
    sold = db.session.execute(
        select(OrderLine.vat_rate_bp)
        .where(OrderLine.order_id.in_(select(orders_only.c.id)))
        .distinct()
    ).scalars()
    return sorted(set(VAT_RATES_BP) | set(sold), reverse=True)


def accounting_rows(query: Select) -> Iterator[str]:
    """The CSV lines of the export, read from the database a batch at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    orders_only = query.order_by(None).subquery()
    rates = export_rates(orders_only)
    writer.writerow(
        (
            *CSV_HEADER,
            *(
                f"{kind}_eur_vat_{rate_label(rate)}"
                for rate in rates
                for kind in ("net", "tax")
            ),
        )
    )
    yield flush()
    per_rate = (
        select(
            OrderLine.order_id,
            OrderLine.vat_rate_bp,
            func.sum(OrderLine.gross_cents).label("gross_cents"),
            func.sum(OrderLine.tax_cents).label("tax_cents"),
        )
        .group_by(OrderLine.order_id, OrderLine.vat_rate_bp)
        .subquery()
    )
    rows = db.session.execute(
        select(
            orders_only,
            per_rate.c.vat_rate_bp.label("line_rate"),
            per_rate.c.gross_cents.label("line_gross"),
            per_rate.c.tax_cents.label("line_tax"),
        )
        .outerjoin(per_rate, per_rate.c.order_id == orders_only.c.id)
        .order_by(orders_only.c.created_at, orders_only.c.id)
        .execution_options(yield_per=CSV_BATCH_SIZE)
    )
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    for _, group in groupby(rows, key=lambda row: row.id):
        order_rows = list(group)
        row = order_rows[0]
        breakdown = vat_breakdown(
            (
                VatLine(r.line_rate, r.line_gross, r.line_tax)
                for r in order_rows
                if r.line_rate is not None
            ),
            row.shipping_cents,
        )
        at_rate = {rate.vat_rate_bp: rate for rate in breakdown.rates}
        writer.writerow(
            (
                row.number,
                row.invoice_number or "",
                row.created_at.astimezone(zone).isoformat(timespec="seconds"),
                row.status,
                spreadsheet_safe(row.full_name),
                euros(breakdown.net_cents),
                euros(breakdown.tax_cents),
                euros(row.total_cents),
                row.payment_method,
                *(
                    euros(getattr(at_rate[rate], kind)) if rate in at_rate else ""
                    for rate in rates
                    for kind in ("net_cents", "tax_cents")
                ),
            )
        )
        yield flush()


@bp.get("/orders/export.csv")
def orders_export() -> ResponseReturnValue:
    """The filtered orders as CSV for the accountant, streamed row by row."""
    form = filter_form()
    if not form.validate():
        return render_template(
            "admin/orders/list.html",
            form=form,
            pager=None,
            orders=[],
            args={},
            status_label=status_label,
            payment_label=payment_label,
        ), 400
    filename = f"orders-{utcnow().date().isoformat()}.csv"
    return Response(
        stream_with_context(accounting_rows(filtered_orders(form))),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
