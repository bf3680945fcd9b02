"""Stock hoarding (issue 12): caps per line and per order, checkout limits per
client and per address, and unconfirmed cash-on-delivery orders that expire."""

from __future__ import annotations

import pytest
import time_machine

from eshop.orders.models import Order
from eshop.orders.services import (
    InvalidTransition,
    OrderTooLarge,
    TooManyUnits,
    confirm_order,
    expire_unpaid_orders,
    place_order,
)
from tests.cart.catalogue import add_product, stock_of
from tests.orders.checkout import open_checkout, submit
from tests.orders.test_services import checkout, count, place


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


# --- caps in place_order ----------------------------------------------------------


def test_place_order_refuses_more_than_ten_units_of_a_product(app):
    """Given 500 in stock, when an order asks 11 (or 6 + 5 in two lines), then it is
    refused and nothing is taken from stock."""
    soap = add_product(app, stock=500)
    with app.app_context():
        for items in ([(soap, 11)], [(soap, 6), (soap, 5)], [(soap, 99)]):
            with pytest.raises(TooManyUnits) as refused:
                place_order(checkout(items, f"token-cap-{len(items)}-{items[0][1]}"))
            assert refused.value.max_units == 10
    assert stock_of(app, soap) == 500
    assert count(app, Order) == 0
    assert place(app, [(soap, 10)], "token-cap-ten")  # the cap itself is fine


def test_place_order_refuses_a_total_above_the_cap(app):
    """1,000 EUR at most, shipping included: 10 x 99 EUR passes, one more line not."""
    dear = add_product(app, price_cents=9_900, stock=100)
    other = add_product(app, price_cents=1_100, stock=100)
    with app.app_context():
        with pytest.raises(OrderTooLarge) as refused:
            place_order(checkout([(dear, 10), (other, 1)], "token-total-00001"))
        assert refused.value.max_cents == 100_000
        assert refused.value.total_cents == 99_000 + 1_100  # shipping is free
    assert stock_of(app, dear) == 100 and stock_of(app, other) == 100
    assert place(app, [(dear, 10)], "token-total-00002")


@pytest.mark.parametrize("app_config", [{"MAX_UNITS_PER_LINE": 3}])
def test_the_caps_come_from_the_settings(app):
    soap = add_product(app, stock=50)
    with app.app_context(), pytest.raises(TooManyUnits):
        place_order(checkout([(soap, 4)], "token-settings-01"))


# --- caps over HTTP ---------------------------------------------------------------


def test_a_checkout_above_the_line_cap_is_refused_with_a_message(app, client):
    """An old cart cookie holding 50 units: the checkout answers 409 with the reason,
    keeps what was typed, and sells nothing."""
    soap = add_product(app, stock=500)
    form = open_checkout(app, client, f"{soap}.50.1250")
    response = submit(client, form, full_name="Claire Typed")
    assert response.status_code == 409
    assert "at most 10 units of each product" in response.text
    assert 'value="Claire Typed"' in response.text
    assert stock_of(app, soap) == 500
    assert count(app, Order) == 0


def test_a_checkout_above_the_total_cap_is_refused_in_french(app, client):
    dear = add_product(app, price_cents=60_000, stock=10)
    form = open_checkout(app, client, f"{dear}.2.60000")
    response = client.post("/checkout?lang=fr", data=form)
    assert response.status_code == 409
    assert "au plus 1 000,00" in response.text.replace("\u202f", " ").replace(
        "\xa0", " "
    )
    assert stock_of(app, dear) == 10


def test_the_cart_refuses_more_than_the_cap_and_explains_it(app, client):
    soap = add_product(app, stock=500)
    assert (
        client.post("/cart/add", data={"product_id": soap, "quantity": 8}).status_code
        == 303
    )
    response = client.post(
        "/cart/add?lang=en", data={"product_id": soap, "quantity": 3}
    )
    assert response.status_code == 400
    assert "at most 10 units of each product" in response.text
    response = client.post(
        "/cart/update?lang=en", data={"product_id": soap, "quantity": 11}
    )
    assert response.status_code == 400
    page = client.get("/cart?lang=en").text
    assert "up to 10 units of each product and total up to €1,000.00" in page
    assert 'max="10"' in page
    assert client.get("/cart?lang=fr").text.count("10 unités de chaque produit") == 1


# --- checkout limits --------------------------------------------------------------


def _place_http(app, client, lang="en", **changes):
    soap = add_product(app, stock=100)
    form = open_checkout(app, client, f"{soap}.1.1250")
    return client.post(f"/checkout?lang={lang}", data={**form, **changes})


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "several orders in a short time"),
        ("fr", "plusieurs commandes en peu de temps"),
    ],
)
def test_a_client_places_five_orders_in_ten_minutes_then_429(app, lang, message):
    client = app.test_client()
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        for number in range(5):
            response = _place_http(app, client, lang, email=f"c{number}@example.org")
            assert response.status_code == 303, response.text
        response = _place_http(app, client, lang, email="c9@example.org", city="Gap")
    assert response.status_code == 429
    assert message in response.text
    assert 'value="Gap"' in response.text  # what was typed is kept
    assert count(app, Order) == 5
    with time_machine.travel("2026-11-20 10:11:00+00:00", tick=False):
        assert _place_http(app, client, lang, email="c9@example.org").status_code == 303


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "several orders in a short time"),
        ("fr", "plusieurs commandes en peu de temps"),
    ],
)
def test_one_address_receives_three_orders_an_hour_then_429(app, lang, message):
    """Three browsers, one address in three spellings: the fourth order is refused."""
    spellings = ["Victim@Example.org", "victim@example.org", " VICTIM@example.ORG"]
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        for spelling in spellings:
            response = _place_http(app, app.test_client(), lang, email=spelling)
            assert response.status_code == 303, response.text
        response = _place_http(app, app.test_client(), lang, email="victim@example.org")
    assert response.status_code == 429
    assert message in response.text
    assert count(app, Order) == 3


def test_a_refused_checkout_does_not_count(app, client):
    """Refused checkouts (above the cap) cost nothing; only placed orders count."""
    soap = add_product(app, stock=500)
    for _ in range(6):
        form = open_checkout(app, client, f"{soap}.20.1250")
        assert submit(client, form).status_code == 409
    assert _place_http(app, client).status_code == 303


# --- unconfirmed cash on delivery ---------------------------------------------------


def test_an_unconfirmed_cash_on_delivery_order_expires_and_restocks_once(app, runner):
    soap = add_product(app, stock=10)
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False):
        place(app, [(soap, 10)], "token-cod-000001", payment="cash_on_delivery")
    assert stock_of(app, soap) == 0
    with time_machine.travel("2026-11-12 10:00:00+00:00", tick=False):
        first = runner.invoke(args=["orders", "expire"])
        second = runner.invoke(args=["orders", "expire"])
    assert "1 unpaid order(s)" in first.output
    assert "0 unpaid order(s)" in second.output
    assert stock_of(app, soap) == 10


def test_a_confirmed_cash_on_delivery_order_does_not_expire(app):
    soap = add_product(app, stock=10)
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False):
        order_id = place(
            app, [(soap, 2)], "token-cod-000002", payment="cash_on_delivery"
        )
        with app.app_context():
            assert confirm_order(order_id).confirmed_at is not None
            with pytest.raises(InvalidTransition):
                confirm_order(order_id)  # once
    with time_machine.travel("2026-12-01 10:00:00+00:00", tick=False):
        with app.app_context():
            assert expire_unpaid_orders(10) == []
    assert stock_of(app, soap) == 8


def test_a_bank_transfer_cannot_be_confirmed(app):
    soap = add_product(app, stock=10)
    order_id = place(app, [(soap, 1)], "token-cod-000003")
    with app.app_context(), pytest.raises(InvalidTransition):
        confirm_order(order_id)
