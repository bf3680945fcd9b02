"""The cart forms carry a CSRF token; without it nothing changes."""

from __future__ import annotations

from tests.cart.catalogue import add_product, cart_header, csrf_token_in, set_cart


def test_add_without_a_csrf_token_is_refused(app, client):
    response = client.post(
        "/cart/add", data={"product_id": add_product(app), "quantity": 1}
    )
    assert response.status_code == 400
    assert cart_header(response) is None


def test_add_with_the_page_token_works(app, client):
    soap = add_product(app)
    set_cart(app, client, f"{soap}.1.1250")
    token = csrf_token_in(client.get("/cart").text)
    response = client.post(
        "/cart/add", data={"product_id": soap, "quantity": 1, "csrf_token": token}
    )
    assert response.status_code == 303
    assert 'aria-hidden="true">2<' in client.get("/cart").text
