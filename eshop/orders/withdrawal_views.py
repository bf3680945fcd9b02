"""The shopper's withdrawal pages, reached from the order's private link.

``/orders/<public id>/withdrawal`` shows the form: after delivery, the lines and
units to send back; before delivery, the same button asks to cancel the order.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from eshop.cart.codec import MAX_QUANTITY  # an order line never holds more

from .models import Order, OrderStatus
from .services import InvalidTransition, order_by_public_id
from .withdrawals import (
    NothingToWithdraw,
    WithdrawalClosed,
    ask_to_cancel,
    declare_withdrawal,
    withdrawable_lines,
    withdrawal_summary,
)

bp = Blueprint("withdrawals", __name__)

QUANTITY_FIELD = "quantity-"


class WithdrawalForm(FlaskForm):
    """The withdrawal or cancellation button: the CSRF token travels with it; the
    units per line are read as ``quantity-<line id>``."""


def _order_or_404(public_id: str) -> Order:
    return order_by_public_id(public_id) or abort(404)


def _page(order: Order, *, status: int = 200, error: str | None = None):
    response = make_response(
        render_template(
            "orders/withdrawal.html",
            order=order,
            form=WithdrawalForm(),
            summary=withdrawal_summary(order),
            lines=withdrawable_lines(order),
            error=error,
        ),
        status,
    )
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _back_to_order(order: Order) -> ResponseReturnValue:
    return redirect(url_for("orders.status", public_id=order.public_id), 303)


@bp.get("/orders/<public_id>/withdrawal")
def form(public_id: str) -> ResponseReturnValue:
    """The withdrawal form, or the cancellation button before delivery."""
    return _page(_order_or_404(public_id))


def _quantities() -> dict[int, int] | None:
    """The units asked per line; None when a value is not a whole number 0-99."""
    quantities = {}
    for name, value in request.form.items():
        if not name.startswith(QUANTITY_FIELD):
            continue
        line_id, units = name.removeprefix(QUANTITY_FIELD), value.strip() or "0"
        if not (line_id.isdigit() and units.isdigit()) or int(units) > MAX_QUANTITY:
            return None
        quantities[int(line_id)] = int(units)
    return quantities


@bp.post("/orders/<public_id>/withdrawal")
def withdraw(public_id: str) -> ResponseReturnValue:
    """Declare a withdrawal of the whole order (``scope=all``) or of the units typed
    per line; the acknowledgement is queued in the same transaction."""
    order = _order_or_404(public_id)
    if not WithdrawalForm().validate_on_submit():
        abort(400)
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID):
        error = _("Your order has not been delivered yet: you may cancel it instead.")
        return _page(order, status=409, error=error)
    if order.status != OrderStatus.DELIVERED:
        return _page(order, status=409, error=_closed_message(order))
    quantities = None if request.form.get("scope") == "all" else _quantities()
    if quantities is None and request.form.get("scope") != "all":
        error = _("Enter a whole number of units for each product.")
        return _page(order, status=400, error=error)
    try:
        declare_withdrawal(order.id, quantities)
    except WithdrawalClosed:
        return _page(order, status=409, error=_closed_message(order))
    except NothingToWithdraw:
        error = _(
            "Choose at least one unit to send back, and no more than you received."
        )
        return _page(order, status=400, error=error)
    flash(
        _("Your withdrawal is recorded. We have sent you an acknowledgement by email."),
        "success",
    )
    return _back_to_order(order)


@bp.post("/orders/<public_id>/cancellation")
def cancel(public_id: str) -> ResponseReturnValue:
    """Before delivery, ask to cancel the order."""
    order = _order_or_404(public_id)
    if not WithdrawalForm().validate_on_submit():
        abort(400)
    try:
        outcome = ask_to_cancel(order.id)
    except (WithdrawalClosed, InvalidTransition):
        return _page(order, status=409, error=_closed_message(order))
    if outcome.order.status == OrderStatus.CANCELLED:
        flash(_("Your order is cancelled."), "success")
    else:
        flash(
            _(
                "Your request to cancel is recorded. Your parcel has already left: "
                "refuse it or send it back, and we will refund you."
            ),
            "success",
        )
    return _back_to_order(order)


def _closed_message(order: Order) -> str:
    if order.status == OrderStatus.CANCELLED:
        return _("This order is cancelled.")
    if order.status == OrderStatus.DELIVERED:
        return _(
            "The 14 days to withdraw from this order are over, or every product "
            "that can be sent back was declared already."
        )
    return _("A request for this order is already recorded.")
