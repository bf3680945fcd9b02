"""The cart: a signed cookie of ids and quantities, priced from the database."""

from __future__ import annotations

import pytest

from eshop.cart.codec import Cart, CartLine, decode, encode
from tests.cart.catalogue import (
    add_product,
    cart_header,
    change_product,
    set_cart,
    signed_cookie,
)


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


def add(client, product_id, quantity=1):
    return client.post(
        "/cart/add", data={"product_id": str(product_id), "quantity": str(quantity)}
    )


def test_a_product_added_shows_in_the_cart_with_prices_and_vat(app, client):
    """Given a soap at 12.50 €, when two are added, then the cart shows the line,
    its total, the subtotal, the VAT included and the count in the header."""
    soap = add_product(app, price_cents=1250, name="Savon lavande")

    response = add(client, soap, 2)
    assert response.status_code == 303
    assert cart_header(response) is not None

    page = client.get("/cart?lang=fr").get_data(as_text=True)
    assert "Savon lavande" in page
    assert "12,50\xa0€" in page
    assert "25,00\xa0€" in page  # line total and subtotal
    assert "4,17\xa0€" in page  # 20 % VAT included in 25.00
    assert 'class="cart-link__count" aria-hidden="true">2<' in page


def test_the_header_count_is_on_every_page(app, client):
    add(client, add_product(app), 3)
    assert 'cart-link__count" aria-hidden="true">3<' in client.get("/").text


def test_adding_again_adds_to_the_line(app, client):
    soap = add_product(app, stock=10)
    add(client, soap, 2)
    add(client, soap, 3)
    assert 'cart-link__count" aria-hidden="true">5<' in client.get("/cart").text


def test_update_changes_the_quantity_and_zero_removes(app, client):
    soap = add_product(app, stock=10)
    add(client, soap, 2)
    response = client.post("/cart/update", data={"product_id": soap, "quantity": 7})
    assert response.status_code == 303
    assert 'aria-hidden="true">7<' in client.get("/cart").text

    response = client.post("/cart/update", data={"product_id": soap, "quantity": 0})
    assert response.status_code == 303
    assert "Max-Age=0" in cart_header(response)  # an empty cart deletes the cookie
    assert "Your cart is empty" in client.get("/cart?lang=en").text


def test_the_cart_never_holds_more_than_the_stock(app, client):
    soap = add_product(app, stock=3)
    response = add(client, soap, 4)
    assert response.status_code == 409
    assert "il ne reste que 3 exemplaire(s) de ce produit" in response.text
    assert cart_header(response) is None
    add(client, soap, 2)
    response = client.post("/cart/update", data={"product_id": soap, "quantity": 5})
    assert response.status_code == 409
    assert 'aria-hidden="true">2<' in client.get("/cart").text


def test_a_sold_out_product_cannot_be_added(app, client):
    response = add(client, add_product(app, stock=0))
    assert response.status_code == 409
    assert "ce produit est épuisé" in response.text
    assert cart_header(response) is None


@pytest.mark.parametrize(
    ("product_id", "quantity", "status"),
    [
        ("1", "0", 400),
        ("1", "-1", 400),
        ("1", "100", 400),
        ("1", "abc", 400),
        ("1", "", 400),
        ("1", "1.5", 400),
        ("1", "1" * 50, 400),
        ("abc", "1", 400),
        ("-3", "1", 400),
        ("", "1", 400),
        ("9" * 40, "1", 400),
        ("999999", "1", 404),
    ],
)
def test_bad_input_to_add_is_refused_and_changes_nothing(
    app, client, product_id, quantity, status
):
    real = add_product(app)
    product_id = product_id.replace("1", str(real)) if product_id == "1" else product_id
    response = client.post(
        "/cart/add", data={"product_id": product_id, "quantity": quantity}
    )
    assert response.status_code == status
    assert cart_header(response) is None
    assert 'class="site-header"' in response.text


@pytest.mark.parametrize("quantity", ["-1", "100", "x", ""])
def test_bad_input_to_update_is_refused(app, client, quantity):
    soap = add_product(app)
    add(client, soap)
    response = client.post(
        "/cart/update", data={"product_id": soap, "quantity": quantity}
    )
    assert response.status_code == 400
    assert cart_header(response) is None


def test_updating_a_product_not_in_the_cart_is_refused(app, client):
    response = client.post(
        "/cart/update", data={"product_id": add_product(app), "quantity": 2}
    )
    assert response.status_code == 404


# The cookie's worst case needs 99 units a line, above the shop's default cap.
@pytest.mark.parametrize(
    "app_config", [{"WTF_CSRF_ENABLED": False, "MAX_UNITS_PER_LINE": 99}]
)
def test_a_hundred_lines_fit_in_a_cookie_and_the_101st_is_refused(app, client):
    ids = [add_product(app, stock=99) for _ in range(101)]
    for product_id in ids[:100]:
        response = add(client, product_id, 99)
        assert response.status_code == 303
    assert len(cart_header(response)) < 4096  # the whole Set-Cookie header

    response = add(client, ids[100])
    assert response.status_code == 409
    assert "100" in response.text
    assert cart_header(response) is None
    assert 'aria-hidden="true">9900<' in client.get("/cart").text


def test_a_full_cart_of_the_longest_lines_stays_under_4096_bytes(app):
    """Worst case: 100 lines with 9-digit ids, 99 units and 9-digit prices."""
    cart = Cart(tuple(CartLine(999_999_000 + n, 99, 999_999_999) for n in range(100)))
    value = signed_cookie(app, "cart", encode(cart))
    header = f"cart={value}; Expires=Sat, 26 Dec 2026 10:00:00 GMT; Max-Age=2592000;"
    header += " HttpOnly; Path=/; SameSite=Lax"
    assert len(header) < 4096
    assert decode(encode(cart)) == cart


@pytest.mark.parametrize(
    "raw",
    [
        "garbage",
        "",
        "x" * 5000,
        "W10.aGVsbG8",
        "truncated",  # a valid cookie cut in half, built below
        "forged",  # a cookie signed with another key, built below
        "not-a-cart",  # signed by us but holding something else, built below
        "wrong-type",
        "duplicate-lines",
        "101-lines",
    ],
)
def test_a_bad_cart_cookie_is_an_empty_cart_with_a_notice(app, client, raw):
    soap = add_product(app)
    good = signed_cookie(app, "cart", f"{soap}.2.1250")
    if raw == "truncated":
        raw = good[: len(good) // 2]
    elif raw == "forged":
        from itsdangerous import URLSafeSerializer

        raw = URLSafeSerializer("another key", salt="lavande.cookie.cart").dumps(
            [f"{soap}.2.1250", 1893456000]
        )
    elif raw == "not-a-cart":
        raw = signed_cookie(app, "cart", f"{soap}.200.5")
    elif raw == "wrong-type":
        raw = signed_cookie(app, "cart", {str(soap): 2})
    elif raw == "duplicate-lines":
        raw = signed_cookie(app, "cart", f"{soap}.1.1250,{soap}.1.1250")
    elif raw == "101-lines":
        raw = signed_cookie(app, "cart", ",".join(f"{n}.1.1" for n in range(1, 102)))
    # A raw header: the cookie jar would refuse (and warn about) the oversized one.
    browser = app.test_client(use_cookies=False)
    response = browser.get("/cart?lang=en", headers={"Cookie": f"cart={raw}"})
    assert response.status_code == 200
    assert "Your cart is empty" in response.text
    if raw:
        assert "could not be read" in response.text
        assert "Max-Age=0" in cart_header(response)


def test_a_bad_cookie_is_replaced_when_the_shopper_adds_a_product(app, client):
    client.set_cookie("cart", "garbage")
    response = add(client, add_product(app), 1)
    assert response.status_code == 303
    headers = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("cart=")
    ]
    assert len(headers) == 1 and "Max-Age=0" not in headers[0]


def test_products_that_changed_are_shown_as_such(app, client):
    """Deleted, deactivated and sold-out products stay visible, marked, and out of
    the subtotal; a changed price is shown with the old one and a notice."""
    kept = add_product(app, price_cents=1000, name="Savon gardé")
    gone = add_product(app, price_cents=500, name="Savon supprimé")
    off = add_product(app, price_cents=500, name="Savon retiré")
    sold = add_product(app, price_cents=500, name="Savon épuisé")
    set_cart(app, client, f"{kept}.1.800,{gone}.1.500,{off}.1.500,{sold}.1.500")
    change_product(app, gone, delete=True)
    change_product(app, off, active=False)
    change_product(app, sold, stock=0)

    page = client.get("/cart?lang=en")
    text = page.text
    assert "No longer sold" in text
    assert "No longer available" in text
    assert "Sold out" in text
    assert "Some prices have changed" in text
    assert "was €8.00" in text
    assert "€10.00" in text
    assert 'class="cart__subtotal">€10.00<' in text
    # The shopper has seen the new price: the notice is not repeated.
    assert cart_header(page) is not None
    assert "Some prices have changed" not in client.get("/cart?lang=en").text


def test_removing_an_unavailable_line_works(app, client):
    gone = add_product(app)
    set_cart(app, client, f"{gone}.1.500")
    change_product(app, gone, active=False)
    response = client.post("/cart/update", data={"product_id": gone, "quantity": 0})
    assert response.status_code == 303
    assert "Max-Age=0" in cart_header(response)
