"""Twenty browsers check out the last five units at once, over real HTTP."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlencode, urlsplit

import pytest

from eshop.extensions import db as _db
from eshop.orders.models import Order, OrderLine
from tests.cart.catalogue import add_product, signed_cookie, stock_of
from tests.orders.checkout import GOOD_ADDRESS, hidden_fields


@pytest.fixture
def app_config():
    # One client and one address place every order: lift the checkout limits.
    return {
        "WTF_CSRF_ENABLED": False,
        "CHECKOUT_LIMIT_PER_CLIENT": "1000 per minute",
        "CHECKOUT_LIMIT_PER_EMAIL": "1000 per minute",
    }


def test_twenty_http_checkouts_for_five_units_sell_exactly_five(app, live_server):
    soap = add_product(app, stock=5)
    cart = signed_cookie(app, "cart", f"{soap}.1.1250")
    host = urlsplit(live_server).netloc
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def browser() -> None:
        connection = http.client.HTTPConnection(host, timeout=60)
        headers = {"Cookie": f"cart={cart}"}
        connection.request("GET", "/checkout?lang=en", headers=headers)
        page = connection.getresponse().read().decode()
        form = {**GOOD_ADDRESS, **hidden_fields(page)}
        start.wait()
        connection.request(
            "POST",
            "/checkout?lang=en",
            body=urlencode(form),
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        location = response.getheader("Location") or ""
        placed = response.status == 303 and location.startswith("/orders/")
        outcomes.append("sold" if placed else f"refused {response.status}")
        connection.close()

    threads = [threading.Thread(target=browser) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # The others are told the product sold out (409 on the form, or 303 to the cart
    # once it shows as sold out there).
    assert outcomes.count("sold") == 5
    assert all(o in ("sold", "refused 409", "refused 303") for o in outcomes)
    assert stock_of(app, soap) == 0
    with app.app_context():
        orders = _db.session.execute(_db.select(Order)).scalars().all()
        assert len(orders) == 5
        assert all(len(order.lines) == 1 for order in orders)
        assert _db.session.scalar(_db.select(_db.func.sum(OrderLine.quantity))) == 5
