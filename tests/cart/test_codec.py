"""The cart value object and its compact cookie text."""

from __future__ import annotations

import pytest

from eshop.cart.codec import (
    EMPTY_CART,
    MAX_LINES,
    Cart,
    CartFull,
    InvalidQuantity,
    decode,
    encode,
)


def test_a_cart_round_trips_through_its_text():
    cart = EMPTY_CART.with_quantity(12, 3, 1250).with_quantity(40, 1, 890)
    assert encode(cart) == "12.3.1250,40.1.890"
    assert decode(encode(cart)) == cart
    assert cart.item_count == 4


def test_setting_a_quantity_keeps_the_line_in_place_and_zero_removes():
    cart = EMPTY_CART.with_quantity(1, 1, 100).with_quantity(2, 1, 200)
    cart = cart.with_quantity(1, 5, 100)
    assert [(ln.product_id, ln.quantity) for ln in cart.lines] == [(1, 5), (2, 1)]
    assert cart.with_quantity(1, 0, 100).line_for(1) is None


@pytest.mark.parametrize("quantity", [-1, 100, 1000])
def test_quantities_outside_1_to_99_are_refused(quantity):
    with pytest.raises(InvalidQuantity):
        EMPTY_CART.with_quantity(1, quantity, 100)


def test_the_101st_distinct_line_is_refused_but_a_known_one_can_change():
    cart = Cart()
    for product_id in range(1, MAX_LINES + 1):
        cart = cart.with_quantity(product_id, 1, 100)
    with pytest.raises(CartFull):
        cart.with_quantity(MAX_LINES + 1, 1, 100)
    assert cart.with_quantity(1, 2, 100).line_for(1).quantity == 2


def test_seen_prices_are_updated_only_for_known_products():
    cart = EMPTY_CART.with_quantity(1, 1, 100).with_quantity(2, 1, 200)
    seen = cart.with_seen_prices({1: 150})
    assert [ln.seen_price_cents for ln in seen.lines] == [150, 200]


@pytest.mark.parametrize(
    "text",
    [
        None,
        42,
        ["1.1.1"],
        {"1": 1},
        "1.1",
        "1.1.1,",
        ",1.1.1",
        "0.1.1",
        "01.1.1",
        "1.0.1",
        "1.100.1",
        "1.-1.1",
        "-1.1.1",
        "1.1.-5",
        "1.1.01",
        "1.1.1,1.2.1",
        "1234567890.1.1",
        "1.1.1234567890",
        "1.1.1\n",
        "1.1.1 ",
        "a.b.c",
        "1.1.1;2.1.1",
        ",".join(f"{n}.1.1" for n in range(1, 102)),
        "1.1.1," * 1000,
    ],
)
def test_text_we_would_never_write_is_not_a_cart(text):
    assert decode(text) is None


def test_an_empty_text_is_an_empty_cart():
    assert decode("") == EMPTY_CART
