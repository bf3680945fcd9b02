"""The visitor's cart, read from and written to the ``cart`` cookie via consent.

A cookie that fails its signature, is truncated, oversized or not a cart we would
write reads as an empty cart: the shopper gets a short notice and the bad cookie is
deleted in the same response.
"""

from __future__ import annotations

from flask import after_this_request, flash, request
from flask.wrappers import Response
from flask_babel import lazy_gettext as _l

from eshop import consent

from .codec import EMPTY_CART, Cart, decode, encode

COOKIE = "cart"
# Kept on the request, not on ``g``: an app context (a test's) may outlive a request.
CART_KEY = "lavande.cart"
WRITTEN_KEY = "lavande.cart.written"
UNREADABLE_NOTICE = _l("Your cart could not be read, so it was emptied. Sorry!")


def load_cart() -> Cart:
    """The cart the browser sent; read once per request."""
    environ = request.environ
    if CART_KEY in environ:
        return environ[CART_KEY]
    raw = consent.read_cookie(COOKIE)
    if raw is not None:  # a valid envelope: only its content can be wrong
        cart = decode(raw)
    else:
        cart = None if consent.cookie_was_rejected(COOKIE) else EMPTY_CART
    if cart is None:
        cart = EMPTY_CART
        _forget_unreadable_cookie()
    environ[CART_KEY] = cart
    return cart


def _forget_unreadable_cookie() -> None:
    flash(UNREADABLE_NOTICE, "warning")

    @after_this_request
    def delete_unless_rewritten(response: Response) -> Response:
        if not request.environ.get(WRITTEN_KEY):
            consent.delete_cookie(response, COOKIE)
        return response


def save_cart(response: Response, cart: Cart) -> None:
    """Write the cart into the response (an empty cart deletes the cookie)."""
    request.environ[CART_KEY] = cart
    request.environ[WRITTEN_KEY] = True
    if cart.is_empty:
        consent.delete_cookie(response, COOKIE)
    else:
        consent.set_cookie(response, COOKIE, encode(cart))
