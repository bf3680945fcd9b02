"""Admin: withdrawal requests, where the owner follows goods coming back and refunds.

Every change is the orders domain's (eshop/orders/withdrawals.py); this screen
lists, flags the requests still open after 14 days, and maps refusals to messages.
The refund of an order paid by card goes back to the card through Stripe first
(eshop/payments), and is recorded only once Stripe took it.
"""

from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from eshop.clock import utcnow
from eshop.extensions import db
from eshop.money import format_price
from eshop.orders.payments import CARD
from eshop.orders.withdrawal_models import WithdrawalRequest
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
from eshop.payments.errors import PaymentError
from eshop.payments.models import CardRefund
from eshop.payments.refunds import refund_to_card, refunds_of

from .blueprint import bp
from .card_refunds import refusal
from .forms_operations import OrderActionForm, RefundForm

log = logging.getLogger(__name__)

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
    if withdrawal.order.payment_method == CARD.code:
        return refund_to_the_card(withdrawal, form)
    try:
        record_refund(request_id, form.amount.data)
    except AlreadyRefunded:
        return _already_refunded()
    except RefundTooHigh as error:
        return _too_high(form, request_id, error.cap_cents)
    flash(str(_l("Refund recorded.")), "success")
    return _back()


def _already_refunded() -> ResponseReturnValue:
    flash(str(_l("This refund was already recorded.")), "warning")
    return _back()


def _too_high(form: RefundForm, request_id: int, cap_cents: int) -> ResponseReturnValue:
    message = _l("Give an amount above 0 and at most %(amount)s.")
    form.amount.errors = [str(message) % {"amount": format_price(cap_cents)}]
    return render_requests({request_id: form}, 400)


def card_refunds_for(withdrawal: WithdrawalRequest) -> list[CardRefund]:
    """The refunds to the card already made for this request."""
    return [
        refund
        for refund in refunds_of(withdrawal.order_id)
        if refund.withdrawal_request_id == withdrawal.id
    ]


def refund_to_the_card(
    withdrawal: WithdrawalRequest, form: RefundForm
) -> ResponseReturnValue:
    """Send a card order's withdrawal refund back to the card, then record it.

    Everything that can refuse is checked before Stripe is asked: a refund already
    recorded, an amount above what the request is owed. A card refund already made
    for this request (the recording failed after Stripe took it) is recorded
    rather than sent twice. Stripe refusing records nothing.
    """
    request_id, amount = withdrawal.id, form.amount.data
    if withdrawal.refunded_at is not None:
        return _already_refunded()
    if not 0 < amount <= withdrawal.refund_cap_cents:
        return _too_high(form, request_id, withdrawal.refund_cap_cents)
    earlier = card_refunds_for(withdrawal)
    if any(refund.refund_id is None for refund in earlier):
        message = _l(
            "A refund of this request is on its way to Stripe: reload this page in "
            "a moment."
        )
        flash(str(message), "warning")
        return _back()
    if earlier:
        amount = sum(refund.amount_cents for refund in earlier)
        done = _l("The refund of %(amount)s made to the card earlier is now recorded.")
    else:
        done = _l("%(amount)s is refunded to the card and recorded.")
        try:
            refund_to_card(
                withdrawal.order_id, amount, withdrawal_request_id=request_id
            )
        except PaymentError as error:
            refused = refusal(error, withdrawal.order.number)
            form.amount.errors = [refused.message]
            return render_requests({request_id: form}, refused.code)
    try:
        record_refund(request_id, amount)
    except AlreadyRefunded:
        return _already_refunded()  # another tab recorded this very refund
    flash(str(done) % {"amount": format_price(amount)}, "success")
    return _back()
