"""The member area's pages: sign in with an emailed link, then orders, "order
again", saved addresses, the newsletter and one's data; every page kept out of
caches."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
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
from flask.wrappers import Response
from flask_babel import gettext as _

from eshop import consent
from eshop.cart.storage import load_cart, save_cart
from eshop.emails import InvalidEmailAddress
from eshop.i18n import current_language
from eshop.newsletter.services import CONSENT_WORDING, NewsletterError
from eshop.orders.address_book import SaveResult, register_address_book
from eshop.orders.forms import AddressForm
from eshop.orders.invoices import has_invoice
from eshop.orders.models import Order, OrderStatus
from eshop.orders.payments import payment_method
from eshop.orders.shipping import country_choices, country_name

from . import links, services
from .checkout import MemberAddressBook
from .forms import ButtonForm, EraseForm, SignInForm
from .limits import take_link_request
from .models import MAX_SAVED_ADDRESSES, Member
from .sessions import (
    Ended,
    current_member,
    end_every_session,
    ended_reason,
    forget_member,
    keep_alive,
    start_session,
)
from .settings import link_max_age_minutes, setting

bp = Blueprint("account", __name__, url_prefix="/account")

# Pages anyone may open; every other one needs a signed-in member.
PUBLIC_ENDPOINTS = {
    "account.home",
    "account.request_link",
    "account.open_link",
    "account.use_link",
}


@bp.record_once
def _setup(state: BlueprintSetupState) -> None:
    register_address_book(state.app, MemberAddressBook())
    services.register_purges(state.app)


bp.before_app_request(keep_alive)


@bp.before_request
def require_member() -> ResponseReturnValue | None:
    """Send a visitor who is not (or no longer) signed in to the sign-in page."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_member() is not None:
        return None
    flash_why_signed_out()
    return redirect(url_for("account.home"), 303)


@bp.after_request
def keep_private(response: Response) -> Response:
    """Nobody's orders, addresses or sign-in link may stay in a cache or a
    referrer, nor be indexed."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def flash_why_signed_out() -> None:
    """Tell the visitor why their member session ended, if it just did."""
    reason = ended_reason()
    if reason is Ended.IDLE:
        minutes = int(setting("ACCOUNT_IDLE_TIMEOUT_MINUTES"))
        flash(
            _(
                "You were signed out after %(minutes)s minutes without activity. "
                "Please sign in again.",
                minutes=minutes,
            ),
            "warning",
        )
    elif reason is Ended.EXPIRED:
        hours = int(setting("ACCOUNT_SESSION_MAX_HOURS"))
        flash(
            _(
                "For your safety, a sign-in lasts %(hours)s hours at most. Please "
                "sign in again.",
                hours=hours,
            ),
            "warning",
        )
    elif reason is Ended.SIGNED_OUT:
        flash(_("Your session has ended. Please sign in again."), "warning")


# --- signing in -------------------------------------------------------------------


def _sign_in_page(
    form: SignInForm, *, status: int = 200, error: str | None = None
) -> tuple[str, int]:
    page = render_template(
        "account/sign_in.html",
        form=form,
        error=error,
        minutes=link_max_age_minutes(),
    )
    return page, status


@bp.get("")
def home() -> ResponseReturnValue:
    """The member's page, or the sign-in form for anyone else."""
    member = current_member()
    if member is None:
        flash_why_signed_out()
        return _sign_in_page(SignInForm(formdata=None))
    return _home_page(member)


@bp.post("/sign-in")
def request_link() -> ResponseReturnValue:
    """Send a sign-in link; the answer is the same for any address."""
    form = SignInForm()
    if not form.validate_on_submit():
        return _sign_in_page(form, status=400)
    email = form.email.data or ""
    if not take_link_request(email):
        error = _(
            "You asked for several sign-in links in a short time. Please wait a "
            "little, and check your inbox: a link may be there already."
        )
        body, status = _sign_in_page(form, status=429, error=error)
        return body, status, {"Retry-After": "600"}
    try:
        links.request_link(email, current_language())
    except InvalidEmailAddress:
        form.email.errors = [_("Please enter a valid email address.")]
        return _sign_in_page(form, status=400)
    return render_template(
        "account/link_sent.html", email=email, minutes=link_max_age_minutes()
    )


def _link_refused(error: links.LinkRefused) -> ResponseReturnValue:
    if isinstance(error, links.LinkUsed):
        message = _("This sign-in link has already been used. Ask for a new one.")
        status = 410
    elif isinstance(error, links.LinkExpired):
        message = _(
            "This sign-in link has expired: it is valid for %(minutes)s minutes. Ask "
            "for a new one.",
            minutes=link_max_age_minutes(),
        )
        status = 410
    else:
        message = _(
            "This sign-in link is not valid. Check that you copied all of it, or "
            "ask for a new one."
        )
        status = 400
    return _sign_in_page(SignInForm(formdata=None), status=status, error=message)


@bp.get("/sign-in/<token>")
def open_link(token: str) -> ResponseReturnValue:
    """The emailed link: a button signs in. The link is used up by the button, not
    by opening it, so a mail scanner that opens links does not spend it."""
    try:
        links.check_link(token)
    except links.LinkRefused as error:
        return _link_refused(error)
    return render_template("account/open_link.html", token=token, form=ButtonForm())


@bp.post("/sign-in/<token>")
def use_link(token: str) -> ResponseReturnValue:
    """Use the link up and start the member's session."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        member = links.use_link(token)
    except links.LinkRefused as error:
        return _link_refused(error)
    start_session(member)
    flash(_("You are signed in."), "success")
    return redirect(url_for("account.home"), 303)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """Sign out here and everywhere: every copy of the session stops working."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    end_every_session(_member())
    flash(_("You are signed out."), "success")
    return redirect(url_for("account.home"), 303)


# --- the member's page --------------------------------------------------------------


def _member() -> Member:
    member = current_member()
    if member is None:  # require_member let nobody else in
        abort(403)
    return member


def status_label(order: Order) -> str:
    """The order's state in the shopper's words, as on the order's own page."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        if payment_method(order.payment_method).ships_before_payment:
            return _("Being prepared")
        return _("Waiting for your payment")
    labels = {
        OrderStatus.PAID: _("Paid, being prepared"),
        OrderStatus.SHIPPED: _("Shipped"),
        OrderStatus.DELIVERED: _("Delivered"),
        OrderStatus.CANCELLED: _("Cancelled"),
    }
    return labels.get(order.status, order.status)


def _address_form(formdata: bool = False) -> AddressForm:
    form = AddressForm() if formdata else AddressForm(formdata=None)
    form.set_countries(country_choices(current_language()))
    if not formdata and form.country.choices:
        form.country.data = form.country.choices[0].value
    return form


def _home_page(
    member: Member,
    address_form: AddressForm | None = None,
    erase_form: EraseForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    orders = services.orders_of(member)
    language = current_language()
    page = render_template(
        "account/home.html",
        member=member,
        orders=[(order, status_label(order), has_invoice(order)) for order in orders],
        addresses=[
            (address, country_name(address.country, language))
            for address in services.saved_addresses(member)
        ],
        max_addresses=MAX_SAVED_ADDRESSES,
        address_form=address_form or _address_form(),
        newsletter_status=services.newsletter_status(member),
        consent_wording=CONSENT_WORDING,
        button=ButtonForm(),
        erase_form=erase_form or EraseForm(formdata=None),
        idle_minutes=int(setting("ACCOUNT_IDLE_TIMEOUT_MINUTES")),
    )
    return page, status


@bp.post("/orders/<public_id>/again")
def order_again(public_id: str) -> ResponseReturnValue:
    """Fill the cart with the order's lines still on sale; say which are not."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    order = services.order_of(_member(), public_id) or abort(404)
    result = services.order_again(load_cart(), order)
    if result.added or result.reduced:
        flash(
            _(
                "The products of order %(number)s still on sale are in your cart.",
                number=order.number,
            ),
            "success",
        )
    for name, units in result.reduced:
        flash(
            _("Only %(count)s of %(name)s could be added.", count=units, name=name),
            "warning",
        )
    if result.missing:
        flash(
            _(
                "No longer on sale, so not added: %(names)s.",
                names=", ".join(result.missing),
            ),
            "warning",
        )
    response = redirect(url_for("cart.show"), 303)
    save_cart(response, result.cart)
    return response


@bp.post("/addresses")
def add_address() -> ResponseReturnValue:
    """Keep a new address, up to three."""
    member = _member()
    form = _address_form(formdata=True)
    if not form.validate_on_submit():
        return _home_page(member, address_form=form, status=400)
    result = services.add_address(member, form.values())
    if result == SaveResult.FULL:
        form.full_name.errors = [
            _(
                "You already keep %(count)s addresses, the most we keep. Remove one "
                "first.",
                count=MAX_SAVED_ADDRESSES,
            )
        ]
        return _home_page(member, address_form=form, status=409)
    if result == SaveResult.ALREADY_SAVED:
        flash(_("You already keep this address."), "success")
    else:
        flash(_("The address is saved."), "success")
    return redirect(url_for("account.home") + "#addresses", 303)


@bp.post("/addresses/<int:address_id>/remove")
def remove_address(address_id: int) -> ResponseReturnValue:
    """Forget one saved address."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.remove_address(_member(), address_id)
    except services.UnknownAddress:
        abort(404)
    flash(_("The address is removed."), "success")
    return redirect(url_for("account.home") + "#addresses", 303)


@bp.post("/newsletter/subscribe")
def subscribe() -> ResponseReturnValue:
    """Ask for the newsletter: a confirmation email still comes (double opt-in)."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        services.subscribe(_member(), current_language())
    except NewsletterError:  # a non-ASCII local part: mail to it cannot go out
        flash(_("Sorry, our newsletter cannot be sent to this address."), "error")
    else:
        flash(
            _(
                "We have sent you an email: follow its link to confirm your "
                "subscription."
            ),
            "success",
        )
    return redirect(url_for("account.home") + "#newsletter", 303)


@bp.post("/newsletter/unsubscribe")
def unsubscribe() -> ResponseReturnValue:
    """Leave the newsletter in one click."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    services.unsubscribe(_member())
    flash(_("You are unsubscribed from the newsletter."), "success")
    return redirect(url_for("account.home") + "#newsletter", 303)


@bp.get("/data.json")
def download_data() -> ResponseReturnValue:
    """Everything the shop holds for the member's address, as a JSON file."""
    response = jsonify(services.export_data(_member()))
    response.headers["Content-Disposition"] = (
        'attachment; filename="lavande-personal-data.json"'
    )
    return response


@bp.post("/data/erase")
def erase_data() -> ResponseReturnValue:
    """Erase the member's data, account included, and sign them out."""
    member = _member()
    form = EraseForm()
    if not form.validate_on_submit():
        return _home_page(member, erase_form=form, status=400)
    services.erase_data(member)
    forget_member()
    response = make_response(render_template("account/erased.html"))
    consent.delete_cookie(response, "details")
    return response
