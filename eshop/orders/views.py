"""Checkout and order pages: parse the form, call ``place_order``, show the result."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from eshop.cart.codec import EMPTY_CART
from eshop.cart.services import PricedCart, price_cart
from eshop.cart.storage import load_cart, save_cart
from eshop.i18n import current_language
from eshop.money import format_price

from .address_book import SavedAddress, SaveResult, address_book
from .forms import CheckoutForm, ForgetDetailsForm
from .invoices import has_invoice, seller_identity
from .limits import count_placed_order, may_place_order
from .payments import payment_method
from .remembered import forget_details, remember_details, remembered_details
from .services import (
    CheckoutRequest,
    Customer,
    EmptyOrder,
    OrderError,
    OrderTooLarge,
    OutOfStock,
    PriceRose,
    TooManyUnits,
    UnknownChoice,
    order_by_public_id,
    order_for_token,
    place_order,
)
from .shipping import country_choices, country_name, method_label, shipping_options
from .terms import terms_version
from .tokens import ExpiredToken, InvalidToken, new_checkout_token, read_checkout_token
from .withdrawals import withdrawal_summary

bp = Blueprint("orders", __name__)


def _checkout_page(
    form: CheckoutForm,
    priced: PricedCart,
    *,
    status: int = 200,
    error: str | None = None,
    price_rose: bool = False,
) -> ResponseReturnValue:
    shipping = shipping_options(priced.subtotal_cents)
    codes = [option.code for option in shipping]
    chosen = form.shipping_method.data
    saved = _saved_addresses()
    response = make_response(
        render_template(
            "orders/checkout.html",
            form=form,
            member_email=_member_email(),
            saved_addresses=saved,
            can_save_address=_member_email() is not None
            and len(saved) < _max_addresses(),
            cart=priced,
            shipping=shipping,
            chosen_shipping=chosen if chosen in codes else next(iter(codes), None),
            totals={
                option.code: priced.vat_breakdown(option.price_cents)
                for option in shipping
            },
            price_rose=price_rose or priced.has_price_rises,
            error=error,
            remembered=bool(remembered_details()),
            forget_form=ForgetDetailsForm(),
        ),
        status,
    )
    # The page holds a one-time token and perhaps a remembered address.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _fresh_form_values(form: CheckoutForm, priced: PricedCart) -> None:
    """A new token and the subtotal the shopper is about to confirm."""
    form.checkout_token.data = new_checkout_token()
    form.accepted_subtotal_cents.data = str(priced.subtotal_cents)
    form.accepted_lines.data = _lines_shown(priced)
    form.accepted_terms_version.data = terms_version()


def _lines_shown(priced: PricedCart) -> str:
    """What the form offers to buy; a different cart at submit time asks again."""
    return ",".join(f"{ln.product_id}.{ln.quantity}" for ln in priced.available_lines)


def _member_email() -> str | None:
    """The signed-in member's address, or None for a guest (or no member area)."""
    book = address_book()
    return book.member_email() if book else None


def _saved_addresses() -> list[SavedAddress]:
    book = address_book()
    return book.addresses() if book else []


def _max_addresses() -> int:
    book = address_book()
    return book.max_addresses() if book else 0


def _prefill() -> dict[str, str]:
    """What the new form shows: the remembered details, and for a signed-in member
    their address and the saved address they chose (``?address=<id>``)."""
    data: dict[str, str] = dict(remembered_details())
    email = _member_email()
    if email is None:
        return data
    data["email"] = email
    chosen = request.args.get("address", "")
    for saved in _saved_addresses():
        if chosen == str(saved.id):
            data.update(saved.form_data())
    return data


def _new_form(priced: PricedCart) -> CheckoutForm:
    form = CheckoutForm(formdata=None, data=_prefill())
    form.set_choices(
        country_choices(current_language()), shipping_options(priced.subtotal_cents)
    )
    form.preselect()
    _fresh_form_values(form, priced)
    return form


@bp.get("/checkout")
def checkout() -> ResponseReturnValue:
    """The checkout form, prefilled from the remembered details if any."""
    priced = price_cart(load_cart(), current_language())
    if not priced.available_lines:
        flash(_("Your cart has nothing that can be ordered yet."), "warning")
        return redirect(url_for("cart.show"), 303)
    return _checkout_page(_new_form(priced), priced)


@bp.post("/checkout")
def place() -> ResponseReturnValue:
    """Place the order once per form; a repeated submit shows the first order."""
    form = CheckoutForm()
    priced = price_cart(load_cart(), current_language())
    form.set_choices(
        country_choices(current_language()), shipping_options(priced.subtotal_cents)
    )
    token_id = _token_of(form.checkout_token.data)
    if token_id is None:
        _fresh_form_values(form, priced)
        error = _("This form was not sent by our shop. Please check and try again.")
        return _checkout_page(form, priced, status=400, error=error)
    if isinstance(token_id, ExpiredToken):
        existing = order_for_token(token_id.token_id)
        if existing is not None:
            return redirect(url_for("orders.status", public_id=existing.public_id), 303)
        _fresh_form_values(form, priced)
        error = _("This form was open for a long time. Please check and confirm again.")
        return _checkout_page(form, priced, status=409, error=error)
    existing = order_for_token(token_id)
    if existing is not None:
        return redirect(url_for("orders.status", public_id=existing.public_id), 303)
    if not priced.available_lines:
        flash(_("Your cart has nothing that can be ordered yet."), "warning")
        return redirect(url_for("cart.show"), 303)
    if not form.validate_on_submit():
        return _checkout_page(form, priced, status=400)
    if form.accepted_lines.data != _lines_shown(priced):
        _fresh_form_values(form, priced)
        error = _("Your cart changed. Please check your order and confirm again.")
        return _checkout_page(form, priced, status=409, error=error)
    if form.accepted_terms_version.data != terms_version():
        # The box was ticked under other terms: the new ones are to be accepted.
        _fresh_form_values(form, priced)
        form.accept_terms.data = False
        error = _(
            "Our terms of sale changed while you were ordering. Please read them "
            "and tick the box again."
        )
        return _checkout_page(form, priced, status=409, error=error)
    if not may_place_order(form.email.data):
        # What the shopper typed stays in the form; only time is asked of them.
        error = _(
            "You have placed several orders in a short time. Please wait a little "
            "before placing another one, or write to us."
        )
        return _checkout_page(form, priced, status=429, error=error)
    try:
        placement = place_order(_checkout_request(form, token_id, priced))
    except PriceRose as error:
        _fresh_form_values(form, priced)
        form.accepted_subtotal_cents.data = str(error.subtotal_cents)
        message = _(
            "Some prices went up. Please check the new total and confirm again."
        )
        return _checkout_page(form, priced, status=409, error=message, price_rose=True)
    except OutOfStock as error:
        return _checkout_page(form, priced, status=409, error=_out_of_stock(error))
    except (TooManyUnits, OrderTooLarge) as error:
        return _checkout_page(form, priced, status=409, error=_over_cap(error))
    except (EmptyOrder, UnknownChoice):
        return _checkout_page(form, priced, status=400)
    except OrderError:
        abort(409)
    order = placement.order
    if placement.is_new:  # audience measurement counts each sale once
        g.placed_order_product_ids = list(placement.product_ids)
        count_placed_order(form.email.data)
    flash(_("Thank you! Your order %(number)s is placed.", number=order.number))
    response = redirect(payment_method(order.payment_method).next_url(order.public_id))
    response.status_code = 303
    save_cart(response, EMPTY_CART)
    if form.remember_details.data:
        remember_details(response, _customer(form))
    if form.save_address.data and placement.is_new:
        _save_address(_customer(form))
    return response


def _save_address(customer: Customer) -> None:
    """Keep the order's address for the signed-in member who ticked the box."""
    book = address_book()
    if book is None or book.member_email() is None:
        return  # a guest: the box is not offered, and nothing is kept
    result = book.save(customer)
    if result == SaveResult.SAVED:
        flash(_("The address is saved in your account."), "success")
    elif result == SaveResult.FULL:
        flash(
            _(
                "Your account already keeps %(count)d addresses, so this one was not "
                "saved. You can remove one in your account.",
                count=book.max_addresses(),
            ),
            "warning",
        )


def _token_of(signed: str | None) -> str | ExpiredToken | None:
    try:
        return read_checkout_token(signed or "")
    except ExpiredToken as expired:
        return expired
    except InvalidToken:
        return None


def _customer(form: CheckoutForm) -> Customer:
    return Customer(email=form.email.data, **form.values())


def _checkout_request(
    form: CheckoutForm, token_id: str, priced: PricedCart
) -> CheckoutRequest:
    return CheckoutRequest(
        checkout_token=token_id,
        customer=_customer(form),
        items=tuple((ln.product_id, ln.quantity) for ln in priced.available_lines),
        shipping_method=form.shipping_method.data,
        payment_method=form.payment_method.data,
        accepted_subtotal_cents=int(form.accepted_subtotal_cents.data),
        locale=current_language(),
        subscribe_newsletter=bool(form.subscribe_newsletter.data),
    )


def _out_of_stock(error: OutOfStock) -> str:
    if error.available == 0:
        return _("Sorry, a product of your cart has just sold out. Please review it.")
    return _(
        "Sorry, only %(count)d of a product of your cart are left. Please review it.",
        count=error.available,
    )


def _over_cap(error: TooManyUnits | OrderTooLarge) -> str:
    if isinstance(error, TooManyUnits):
        return _(
            "An order can hold at most %(count)d units of each product. Please lower "
            "the quantity in your cart.",
            count=error.max_units,
        )
    return _(
        "An order placed online can total at most %(amount)s. Please remove some "
        "products from your cart, or write to us for a larger order.",
        amount=format_price(error.max_cents),
    )


@bp.post("/checkout/forget-details")
def forget() -> ResponseReturnValue:
    """Delete the remembered name and address from this device."""
    if not ForgetDetailsForm().validate_on_submit():
        abort(400)
    flash(_("Your details are forgotten on this device."), "success")
    response = make_response(redirect(url_for("orders.checkout"), 303))
    forget_details(response)
    return response


@bp.get("/orders/<public_id>")
def status(public_id: str) -> ResponseReturnValue:
    """The order's page, linked from its emails; the unguessable id is the key."""
    order = order_by_public_id(public_id) or abort(404)
    response = make_response(
        render_template(
            "orders/status.html",
            order=order,
            withdrawal=withdrawal_summary(order),
            payment=payment_method(order.payment_method),
            shipping_label=method_label(order.shipping_method),
            country=country_name(order.country, current_language()),
        )
    )
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/orders/<public_id>/invoice")
def invoice(public_id: str) -> ResponseReturnValue:
    """The printable invoice of a paid order; none before payment (404)."""
    order = order_by_public_id(public_id)
    if order is None or not has_invoice(order):
        abort(404)
    response = make_response(
        render_template(
            "orders/invoice.html",
            order=order,
            seller=seller_identity(),
            payment_label=payment_method(order.payment_method).label,
            shipping_label=method_label(order.shipping_method),
            country=country_name(order.country, current_language()),
        )
    )
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response
