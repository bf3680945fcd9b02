"""Admin: withdrawal requests, where the owner follows goods coming back and refunds.

Every change is the orders domain's (eshop/orders/withdrawals.py); this screen
lists, flags the requests still open after 14 days, and maps refusals to messages.
The refund of an order paid by card goes back to the card through Stripe first
(eshop/payments), and is recorded only once Stripe took it.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from eshop.clock import utcnow
from eshop.extensions import db
from eshop.money import format_price
from eshop.orders.payments import CARD
from eshop.orders.withdrawals import (
    AlreadyRefunded,
    RefundTooHigh,
    RequestNotFound,
    get_request,
    is_overdue,
    mark_goods_received,
    record_refund,
    requests_query,
)
from eshop.payments.errors import PaymentError, RefundPending
from eshop.payments.refunds import refund_withdrawal_to_card

from .blueprint import bp
from .card_refunds import refusal
from .forms_operations import OrderActionForm, RefundForm

REQUESTS_PER_PAGE = 50


def refund_prefix(request_id: int) -> str:
    """Each row's refund form has its own field names, so labels and errors stay
    tied to their row."""
    return f"r{request_id}"


def render_requests(
    forms: dict[int, RefundForm] | None = None, code: int = 200
) -> ResponseReturnValue:
    """The list, with a refund form's errors when one was refused."""
    page = db.paginate(
        requests_query(),
        page=request.args.get("page", 1, type=int),
        per_page=REQUESTS_PER_PAGE,
        error_out=False,
    )
    now = utcnow()
    body = render_template(
        "admin/withdrawals/list.html",
        pager=page,
        requests=page.items,
        overdue={item.id for item in page.items if is_overdue(item, now)},
        action_form=OrderActionForm(),
        card=CARD.code,
        refund_forms=forms or {},
        new_refund_form=lambda request_id: RefundForm(
            formdata=None, prefix=refund_prefix(request_id)
        ),
    )
    return body, code


@bp.get("/withdrawals")
def withdrawals() -> ResponseReturnValue:
    """Withdrawal and cancellation requests: the open ones first, flagged after 14
    days without a refund."""
    return render_requests()


def _back() -> ResponseReturnValue:
    return redirect(url_for("admin.withdrawals"), 303)


@bp.post("/withdrawals/<int:request_id>/received")
def withdrawal_received(request_id: int) -> ResponseReturnValue:
    """The goods came back: into stock, exactly once."""
    if not OrderActionForm().validate():
        abort(400)
    try:
        done = mark_goods_received(request_id)
    except RequestNotFound:
        abort(404)
    if done:
        flash(str(_l("Goods received: they are back in stock.")), "success")
    else:
        message = _l("These goods were already received; the stock was put back once.")
        flash(str(message), "warning")
    return _back()


REFUNDED_TO_CARD = _l("%(amount)s is refunded to the card and recorded.")
REFUNDED_EARLIER = _l(
    "The refund of %(amount)s made to the card earlier is now recorded."
)
ON_ITS_WAY = _l(
    "A refund of this request is on its way to Stripe: reload this page in a moment."
)


@bp.post("/withdrawals/<int:request_id>/refund")
def withdrawal_refund(request_id: int) -> ResponseReturnValue:
    """Record the amount paid back: at most what was paid for the units returned
    (and the shipping when the whole order came back)."""
    form = RefundForm(prefix=refund_prefix(request_id))
    if not form.validate():
        if form.csrf_token.errors:
            abort(400)
        return render_requests({request_id: form}, 400)
    try:
        withdrawal = get_request(request_id)
    except RequestNotFound:
        abort(404)
    try:
        if withdrawal.order.payment_method == CARD.code:
            done = refund_withdrawal_to_card(request_id, form.amount.data)
            message = REFUNDED_EARLIER if done.made_earlier else REFUNDED_TO_CARD
            flash(str(message) % {"amount": format_price(done.amount_cents)}, "success")
        else:
            record_refund(request_id, form.amount.data)
            flash(str(_l("Refund recorded.")), "success")
    except AlreadyRefunded:  # a second click, or another tab
        flash(str(_l("This refund was already recorded.")), "warning")
        return _back()
    except RefundTooHigh as error:
        message = _l("Give an amount above 0 and at most %(amount)s.")
        form.amount.errors = [str(message) % {"amount": format_price(error.cap_cents)}]
        return render_requests({request_id: form}, 400)
    except RefundPending:
        flash(str(ON_ITS_WAY), "warning")
    except PaymentError as error:
        refused = refusal(error, withdrawal.order.number)
        form.amount.errors = [refused.message]
        return render_requests({request_id: form}, refused.code)
    return _back()
