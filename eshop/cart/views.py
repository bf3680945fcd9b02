"""Cart pages: add, change and show the cart; it works without JavaScript."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from eshop.i18n import current_language
from eshop.layout import provide_slot, render_kept

from .codec import InvalidQuantity
from .forms import AddToCartForm, UpdateLineForm
from .services import (
    CartError,
    UnknownProduct,
    add_to_cart,
    change_quantity,
    error_message,
    max_order_cents,
    max_units_per_line,
    price_cart,
)
from .storage import load_cart, save_cart

bp = Blueprint("cart", __name__)


def header_link() -> Markup:
    """The header's link to the cart, with the number of items in it."""
    count = load_cart().item_count
    return render_kept("cart/_header_link.html", count, {"count": count})


bp.record_once(lambda state: provide_slot(state.app, "cart_link", header_link))


def _cart_page(error: str | None = None, status: int = 200) -> ResponseReturnValue:
    cart = load_cart()
    priced = price_cart(cart, current_language())
    response = make_response(
        render_template(
            "cart/show.html",
            cart=priced,
            error=error,
            max_units=max_units_per_line(),
            max_order_cents=max_order_cents(),
        ),
        status,
    )
    if priced.has_price_changes and status == 200:
        # The shopper has now seen the new prices: the notice is not repeated.
        save_cart(response, cart.with_seen_prices(priced.current_prices))
    return response


def _refused(error: CartError) -> ResponseReturnValue:
    status = 404 if isinstance(error, UnknownProduct) else 409
    if isinstance(error, InvalidQuantity):
        status = 400
    return _cart_page(error_message(error), status)


def _invalid_form() -> ResponseReturnValue:
    return _cart_page(_("Please choose a product and a quantity from 1 to 99."), 400)


@bp.get("/cart")
def show() -> ResponseReturnValue:
    """The cart with today's names and prices, and what can no longer be bought."""
    return _cart_page()


@bp.post("/cart/add")
def add() -> ResponseReturnValue:
    """Add a quantity of a product, within its stock and the cart's 100 lines."""
    form = AddToCartForm()
    if not form.validate_on_submit():
        return _invalid_form()
    try:
        cart = add_to_cart(load_cart(), form.product_id.data, form.quantity.data)
    except CartError as error:
        return _refused(error)
    flash(_("Added to your cart."), "success")
    response = redirect(url_for("cart.show"), 303)
    save_cart(response, cart)
    return response


@bp.post("/cart/update")
def update() -> ResponseReturnValue:
    """Change the quantity of a line; 0 removes it."""
    form = UpdateLineForm()
    if not form.validate_on_submit():
        return _invalid_form()
    try:
        cart = change_quantity(load_cart(), form.product_id.data, form.quantity.data)
    except CartError as error:
        return _refused(error)
    response = redirect(url_for("cart.show"), 303)
    save_cart(response, cart)
    return response
