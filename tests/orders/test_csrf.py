"""The checkout forms enforce CSRF: a post without the page's token changes nothing."""

from __future__ import annotations

from eshop.extensions import db as _db
from eshop.orders.models import Order
from tests.cart.catalogue import add_product, stock_of
from tests.orders.checkout import open_checkout, submit


def order_count(app) -> int:
    with app.app_context():
        return _db.session.scalar(_db.select(_db.func.count()).select_from(Order))


def test_checkout_without_the_csrf_token_is_refused(app, client):
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    del form["csrf_token"]
    response = submit(client, form)
    assert response.status_code == 400
    assert order_count(app) == 0 and stock_of(app, soap) == 5


def test_checkout_with_the_page_token_places_the_order(app, client):
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    assert form["csrf_token"]
    assert submit(client, form).status_code == 303
    assert order_count(app) == 1


def test_forget_details_needs_the_token(app, client):
    assert client.post("/checkout/forget-details").status_code == 400
