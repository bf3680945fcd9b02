"""The card payment page, the two calls its script makes, and Stripe's webhook.

The page loads Stripe.js only when the shopper asks for the card field, under a
policy that admits Stripe's hosts on this response alone. The card travels from the
browser to Stripe; this server receives ids (a SetupIntent's) and answers states.
"""

from __future__ import annotations

import logging
import re

import stripe
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from eshop.extensions import csrf, limiter
from eshop.orders.models import Order, OrderStatus
from eshop.orders.payments import CARD
from eshop.orders.services import order_by_public_id
from eshop.personal_data import register_purge
from eshop.security import allow_csp_source

from . import gateway, services
from .attempts import attempts_of, latest_attempt
from .errors import (
    CardDeclined,
    NotPayable,
    PaymentError,
    SetupRefused,
    TooManyAttempts,
)
from .gateway import CardPaymentUnavailable, StripeRefused
from .models import AttemptStatus

bp = Blueprint("payments", __name__)
log = logging.getLogger(__name__)

STRIPE_ID = re.compile(r"[A-Za-z0-9_]{3,255}")
# What Stripe.js loads beyond its own address, per Stripe's CSP guide: its card
# fields' frames and the banks' 3-D Secure pages. Added only when the configured
# script is Stripe's own (localstripe, in tests and development, needs none).
STRIPE_JS_ORIGIN = "https://js.stripe.com"
STRIPE_JS_EXTRA = (
    ("script-src", "https://*.js.stripe.com"),
    ("frame-src", "https://*.js.stripe.com"),
    ("frame-src", "https://hooks.stripe.com"),
)
WEBHOOK_MAX_BYTES = 512 * 1024  # Stripe's events weigh a few kilobytes
CARD_CALL_MAX_BYTES = 4096  # the charge call sends an id, nothing more
PAYMENT_CALLS = "20 per hour"  # per client: card testing is what this limits
# Per client, the loads of the payment page that ask Stripe about the order, so a
# link scanner does not turn into Stripe calls. The confirming page, which reloads
# every second while Stripe's word is awaited, asks nothing and counts nothing.
PAGE_LOADS = parse_many("300 per hour")

UNAVAILABLE = _l("Card payment is not available at the moment. Please try again.")
TOO_MANY = _l("Several cards were declined for this order. Please write to us.")
TOO_MANY_LOADS = _l(
    "This payment page was opened too often from your connection. "
    "Please try again later."
)
UNREADABLE = _l("This payment could not be read. Please try again.")
DECLINED = _l("Your card was declined. Please check its details or try another card.")


@bp.record_once
def _set_up(state: BlueprintSetupState) -> None:
    gateway.init_app(state.app)
    register_purge(
        state.app,
        "payments: handled webhook event ids deleted",
        services.purge_old_events,
    )


def _order_or_404(public_id: str) -> Order:
    return order_by_public_id(public_id) or abort(404)


def _allow_stripe() -> None:
    """Admit Stripe.js, its API and its frames on this response's policy only."""
    config = current_app.config
    js = gateway.origin(config["STRIPE_JS_URL"])
    allow_csp_source("script-src", js)
    allow_csp_source("connect-src", js)
    allow_csp_source("connect-src", gateway.origin(config["STRIPE_API_BASE"]))
    allow_csp_source("frame-src", js)
    if js == STRIPE_JS_ORIGIN:
        for directive, source in STRIPE_JS_EXTRA:
            allow_csp_source(directive, source)


def _private(response: ResponseReturnValue) -> ResponseReturnValue:
    response = make_response(response)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _unavailable(order: Order, message: str, status: int) -> ResponseReturnValue:
    page = render_template("payments/unavailable.html", order=order, message=message)
    return _private((page, status))


@bp.get("/orders/<public_id>/pay")
def pay(public_id: str) -> ResponseReturnValue:
    """The order's card payment page; the order's own page once nothing is due."""
    order = _order_or_404(public_id)
    status_url = url_for("orders.status", public_id=public_id)
    if order.status == OrderStatus.PAID and order.payment_method == CARD.code:
        flash(_("Your payment is received. Thank you!"), "success")
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_method != CARD.code:
        return redirect(status_url, 303)  # nothing to pay by card here
    latest = latest_attempt(order.id)
    if latest is None or latest.status != AttemptStatus.CONFIRMED:
        try:
            limiter.count("payments.pay", PAGE_LOADS)
        except TooManyRequests as refused:
            response = _unavailable(order, TOO_MANY_LOADS, 429)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
    try:
        attempt = services.refresh_attempt(latest)
        if attempt is None or attempt.status != AttemptStatus.CONFIRMED:
            attempt = services.open_attempt(order)
    except (CardPaymentUnavailable, StripeRefused, NotPayable):
        return _unavailable(order, UNAVAILABLE, 503)
    except TooManyAttempts:
        return _unavailable(order, TOO_MANY, 409)
    if attempt.status == AttemptStatus.CONFIRMED:
        response = _private(render_template("payments/confirming.html", order=order))
        response.headers["Refresh"] = "1"  # Stripe's word usually comes within seconds
        return response
    declined = any(a.status == AttemptStatus.FAILED for a in attempts_of(order.id))
    _allow_stripe()
    return _private(
        render_template("payments/pay.html", order=order, declined=declined)
    )


def _answer(state: str, status: int = 200, **extra: object) -> ResponseReturnValue:
    """The JSON the page's script reads: a state, and a message or what comes next."""
    return jsonify(state=state, **{k: str(v) for k, v in extra.items()}), status


def _payable(public_id: str) -> Order | ResponseReturnValue:
    order = _order_or_404(public_id)
    try:
        services.ensure_payable(order)
    except NotPayable:
        return _answer("done", 409, next=url_for("orders.status", public_id=public_id))
    return order


# What a payment call's refusal tells the page: its state, status and message.
REFUSALS: tuple[tuple[type[Exception], str, int, object], ...] = (
    (CardDeclined, "declined", 402, DECLINED),
    (SetupRefused, "refused", 400, UNREADABLE),
    (TooManyAttempts, "refused", 409, TOO_MANY),
    (CardPaymentUnavailable, "unavailable", 503, UNAVAILABLE),
    (StripeRefused, "unavailable", 503, UNAVAILABLE),
)


def _refusal(error: Exception) -> ResponseReturnValue:
    for kind, state, status, message in REFUSALS:
        if isinstance(error, kind):
            return _answer(state, status, message=message)
    raise error


@bp.post("/orders/<public_id>/pay/setup")
@limiter.limit(PAYMENT_CALLS)
def setup(public_id: str) -> ResponseReturnValue:
    """Open a card set-up at Stripe; its secret lets Stripe.js take the card."""
    order = _payable(public_id)
    if not isinstance(order, Order):
        return order
    try:
        secret = services.start_card_entry(order)
    except (PaymentError, CardPaymentUnavailable, StripeRefused) as error:
        return _refusal(error)
    return _answer("ready", client_secret=secret)


@bp.post("/orders/<public_id>/pay/card")
@limiter.limit(PAYMENT_CALLS)
def card(public_id: str) -> ResponseReturnValue:
    """Charge the card the shopper just set up with Stripe.js (its SetupIntent id)."""
    if (request.content_length or 0) > CARD_CALL_MAX_BYTES:
        abort(413)  # before anything reads the body
    order = _payable(public_id)
    if not isinstance(order, Order):
        return order
    payload = request.get_json(silent=True)
    setup_intent = payload.get("setup_intent") if isinstance(payload, dict) else None
    if not isinstance(setup_intent, str) or not STRIPE_ID.fullmatch(setup_intent):
        return _answer("refused", 400, message=UNREADABLE)
    pay_url = url_for("payments.pay", public_id=public_id)
    try:
        outcome = services.pay_with_card(order, setup_intent)
    except (PaymentError, CardPaymentUnavailable, StripeRefused) as error:
        return _refusal(error)
    if outcome.state == "declined":
        return _answer("declined", 402, message=DECLINED)
    if outcome.state == "requires_action":
        secret = outcome.client_secret or ""
        return _answer("requires_action", client_secret=secret, next=pay_url)
    return _answer(outcome.state, next=pay_url)


@bp.post("/payments/stripe/webhook")
@csrf.exempt
def webhook() -> ResponseReturnValue:
    """Stripe's signed events: a bad or stale signature changes nothing (400)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        abort(404)
    request.max_content_length = WEBHOOK_MAX_BYTES  # larger: 413, nothing read
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(),
            request.headers.get("Stripe-Signature"),
            secret,
            tolerance=current_app.config["STRIPE_WEBHOOK_TOLERANCE_SECONDS"],
        )
    except (ValueError, stripe.SignatureVerificationError):
        log.warning("webhook refused: bad or stale signature")
        return jsonify(received=False), 400
    first = services.handle_event(event)
    return jsonify(received=True, replay=not first), 200
