"""Guest checkout: the form, place_order through HTTP, mails queued, cookies."""

from __future__ import annotations

import re

import pytest
import time_machine

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from tests.cart.catalogue import add_product, cart_header, change_product, stock_of
from tests.orders.checkout import open_checkout, submit


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False, "MAIL_OWNER_ADDRESS": "owner@lavande.example"}


def orders(app) -> list[Order]:
    with app.app_context():
        found = _db.session.execute(_db.select(Order)).scalars().all()
        for order in found:
            _ = order.lines
        _db.session.expunge_all()
        return found


def outbox(app) -> list[tuple[str, str, str]]:
    with app.app_context():
        rows = _db.session.execute(_db.select(OutboxMessage)).scalars().all()
        return [(m.recipient, m.subject, m.text_body) for m in rows]


def test_a_guest_places_an_order_by_bank_transfer(app, client):
    """Given a cart of two soaps, when the shopper checks out, then the order is
    placed with snapshots, stock goes down, both mails are queued, the cart cookie
    is deleted and the order page shows the IBAN with the order number."""
    soap = add_product(app, price_cents=1250, stock=5, name="Savon lavande")
    form = open_checkout(app, client, f"{soap}.2.1250")

    response = submit(client, form)

    assert response.status_code == 303
    assert "Max-Age=0" in cart_header(response)
    [order] = orders(app)
    assert order.number.endswith("-000001")
    assert order.status == "pending_payment"
    assert (order.subtotal_cents, order.shipping_cents) == (2500, 690)
    assert order.total_cents == 3190
    [line] = order.lines
    assert (line.product_name, line.quantity, line.unit_price_cents) == (
        "Savon lavande (en)",
        2,
        1250,
    )
    assert (line.net_cents, line.tax_cents, line.gross_cents) == (2083, 417, 2500)
    assert stock_of(app, soap) == 3
    mails = outbox(app)
    assert {to for to, _, _ in mails} == {"claire@example.org", "owner@lavande.example"}
    confirmation = next(body for to, _, body in mails if to == "claire@example.org")
    assert f"http://localhost/orders/{order.public_id}" in confirmation
    assert order.number in confirmation

    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "FR76 3000 6000 0112 3456 7890 189" in page.text
    assert order.number in page.text
    assert "Waiting for your payment" in page.text


def test_cash_on_delivery_and_free_shipping(app, client):
    oil = add_product(app, price_cents=3000, stock=5)
    form = open_checkout(app, client, f"{oil}.2.3000")
    response = submit(client, form, payment_method="cash_on_delivery")
    assert response.status_code == 303
    [order] = orders(app)
    assert order.payment_method == "cash_on_delivery"
    assert order.shipping_cents == 0  # 60.00 € reaches the free-shipping threshold
    assert "pay €60.00 to the carrier" in client.get(response.headers["Location"]).text


def test_the_checkout_shows_one_total_for_the_default_shipping_method(app, client):
    """Without JavaScript: one total shows, the default method's (home delivery);
    the other method's total waits hidden, and each option carries its price."""
    soap = add_product(app, price_cents=1000)
    open_checkout(app, client, f"{soap}.1.1000")
    page = client.get("/checkout?lang=en").text

    shown, hidden = totals_of(page)
    assert shown == {"standard": "Total: €16.90"}
    assert hidden == {"relay": "Total: €14.90"}
    assert re.search(r'value="relay"[^>]*>.*?checkout__choice-price">€4.90', page, re.S)


def test_an_empty_cart_cannot_check_out(app, client):
    response = client.get("/checkout")
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/cart")


def test_unavailable_lines_are_left_out_of_the_order(app, client):
    kept = add_product(app, price_cents=1000)
    sold = add_product(app, price_cents=500)
    form = open_checkout(app, client, f"{kept}.1.1000")
    from tests.cart.catalogue import set_cart

    set_cart(app, client, f"{kept}.1.1000,{sold}.1.500")
    change_product(app, sold, stock=0)
    response = submit(client, form)
    assert response.status_code == 303
    [order] = orders(app)
    assert [line.product_id for line in order.lines] == [kept]


def test_a_double_submit_returns_the_first_order(app, client):
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    from tests.cart.catalogue import set_cart

    first = submit(client, form)
    set_cart(app, client, f"{soap}.1.1250")  # the second click still had the cart
    second = submit(client, form)
    third = submit(client, form)  # a reload after the cart was emptied

    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"] == third.headers["Location"]
    assert len(orders(app)) == 1
    assert stock_of(app, soap) == 4
    assert len(outbox(app)) == 2


def test_an_expired_form_asks_to_confirm_again(app, client):
    soap = add_product(app, stock=5)
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        form = open_checkout(app, client, f"{soap}.1.1250")
    with time_machine.travel("2026-11-26 13:00:00+00:00", tick=False):
        response = submit(client, form)
        assert response.status_code == 409
        assert "open for a long time" in response.text
        assert orders(app) == []
        # the page carries a fresh token: confirming again works
        from tests.orders.checkout import hidden_fields

        again = submit(client, {**form, **hidden_fields(response.text)})
    assert again.status_code == 303
    assert len(orders(app)) == 1


def test_an_expired_token_of_a_placed_order_shows_that_order(app, client):
    soap = add_product(app, stock=5)
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        form = open_checkout(app, client, f"{soap}.1.1250")
        first = submit(client, form)
    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        later = submit(client, form)
    assert later.status_code == 303
    assert later.headers["Location"] == first.headers["Location"]
    assert len(orders(app)) == 1


@pytest.mark.parametrize("token", ["", "forged", "eyJhIjoxfQ.aaaa.bbbb", "x" * 10_000])
def test_a_forged_token_is_refused(app, client, token):
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    response = submit(client, form, checkout_token=token)
    assert response.status_code == 400
    assert orders(app) == []
    assert stock_of(app, soap) == 5


def test_a_price_rise_asks_to_confirm_the_new_total(app, client):
    soap = add_product(app, price_cents=1000, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1000")
    change_product(app, soap, price_cents=1200)

    response = submit(client, form)
    assert response.status_code == 409
    assert "Some prices went up" in response.text
    assert "€12.00" in response.text
    assert orders(app) == [] and outbox(app) == []
    assert stock_of(app, soap) == 5

    from tests.orders.checkout import hidden_fields

    confirmed = submit(client, {**form, **hidden_fields(response.text)})
    assert confirmed.status_code == 303
    [order] = orders(app)
    assert order.subtotal_cents == 1200


def test_a_price_rise_since_the_cart_is_announced_on_the_checkout(app, client):
    soap = add_product(app, price_cents=1000, stock=5)
    from tests.cart.catalogue import set_cart

    set_cart(app, client, f"{soap}.1.800")
    page = client.get("/checkout?lang=en").text
    assert "Prices went up since you added some products" in page
    assert "was €8.00" in page


def test_stock_gone_between_form_and_submit_places_nothing(app, client):
    a = add_product(app, stock=5)
    b = add_product(app, stock=5)
    form = open_checkout(app, client, f"{a}.2.1250,{b}.2.1250")
    change_product(app, b, stock=1)
    response = submit(client, form)
    assert response.status_code == 409
    assert "Your cart changed" in response.text
    assert orders(app) == [] and outbox(app) == []
    assert (stock_of(app, a), stock_of(app, b)) == (5, 1)


BAD_INPUT = [
    {"email": ""},
    {"full_name": ""},
    {"street": ""},
    {"postal_code": ""},
    {"city": ""},
    {"country": ""},
    {"shipping_method": ""},
    {"payment_method": ""},
    {"email": "not-an-email"},
    {"email": "claire@example.org\r\nBcc: victim@example.org"},
    {"email": "a" * 10_000 + "@example.org"},
    {"full_name": "x" * 10_000},
    {"street": "x" * 10_000},
    {"city": "x" * 10_000},
    {"postal_code": "x" * 10_000},
    {"phone": "1" * 10_000},
    {"phone": "call me"},
    {"country": "XX"},
    {"country": "US"},
    {"shipping_method": "drone"},
    {"payment_method": "bitcoin"},
    {"full_name": "Claire\r\nBcc: victim@example.org"},
    {"full_name": "Claire\nMartin"},
    {"city": "Avi\rgnon"},
    {"street": "3 rue\x00des Lilas"},
    {"accepted_subtotal_cents": "-1"},
    {"accepted_subtotal_cents": "abc"},
]


@pytest.mark.parametrize("changes", BAD_INPUT, ids=lambda c: repr(c)[:40])
def test_bad_input_places_no_order_and_queues_no_mail(app, client, changes):
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    response = submit(client, form, **changes)
    assert response.status_code == 400
    assert 'class="site-header"' in response.text
    assert orders(app) == [] and outbox(app) == []
    assert stock_of(app, soap) == 5


def test_a_missing_field_shows_next_to_the_field(app, client):
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    del form["city"]
    response = submit(client, form)
    assert response.status_code == 400
    assert 'id="city-error"' in response.text


def test_remember_my_details_prefills_the_next_checkout_and_can_be_forgotten(
    app, client
):
    soap = add_product(app, stock=5)
    form = open_checkout(app, client, f"{soap}.1.1250")
    response = submit(client, form, remember_details="y")
    details = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("details=")
    ]
    assert len(details) == 1 and "HttpOnly" in details[0]

    from tests.cart.catalogue import set_cart

    set_cart(app, client, f"{soap}.1.1250")
    page = client.get("/checkout?lang=en").text
    assert 'value="3 rue des Lilas"' in page
    assert 'value="claire@example.org"' not in page  # only name and address
    assert "Forget my details" in page

    forgotten = client.post("/checkout/forget-details")
    assert forgotten.status_code == 303
    assert any(
        h.startswith("details=") and "Max-Age=0" in h
        for h in forgotten.headers.getlist("Set-Cookie")
    )
    assert 'value="3 rue des Lilas"' not in client.get("/checkout?lang=en").text


def test_details_are_not_remembered_unless_asked(app, client):
    soap = add_product(app, stock=5)
    response = submit(client, open_checkout(app, client, f"{soap}.1.1250"))
    assert not any(
        h.startswith("details=") for h in response.headers.getlist("Set-Cookie")
    )


def test_the_newsletter_box_starts_a_double_opt_in_only(app, client):
    from eshop.newsletter.models import Subscriber

    soap = add_product(app, stock=5)
    submit(
        client, open_checkout(app, client, f"{soap}.1.1250"), subscribe_newsletter="y"
    )
    with app.app_context():
        [subscriber] = _db.session.execute(_db.select(Subscriber)).scalars().all()
        assert subscriber.status == "pending"
    assert len(outbox(app)) == 3  # confirmation, owner, and the opt-in request


def test_no_subscription_without_the_box(app, client):
    from eshop.newsletter.models import Subscriber

    soap = add_product(app, stock=5)
    submit(client, open_checkout(app, client, f"{soap}.1.1250"))
    with app.app_context():
        assert _db.session.execute(_db.select(Subscriber)).scalars().all() == []


def test_the_placed_products_are_given_to_audience_measurement(app, client):
    from flask import g

    seen = []

    @app.after_request
    def capture(response):
        seen.append(g.get("placed_order_product_ids"))
        return response

    a = add_product(app, stock=5)
    b = add_product(app, stock=5)
    submit(client, open_checkout(app, client, f"{a}.1.1250,{b}.2.1250"))
    assert sorted(seen[-1]) == sorted([a, b])


def test_unknown_order_pages_are_404(client):
    assert client.get("/orders/not-a-real-id-at-all-xx").status_code == 404
    assert client.get("/orders/x").status_code == 404


def test_remembered_details_keep_their_first_expiry(app, client):
    """The details cookie lives 13 months at most, counted from the first time."""
    from eshop.consent.guard import parse_set_cookie

    soap = add_product(app, stock=5)

    def remember() -> str:
        form = open_checkout(app, client, f"{soap}.1.1250")
        response = submit(client, form, remember_details="y")
        [header] = [
            h
            for h in response.headers.getlist("Set-Cookie")
            if h.startswith("details=")
        ]
        return parse_set_cookie(header)[2]["expires"]

    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        first = remember()
    with time_machine.travel("2027-02-26 10:00:00+00:00", tick=False):
        second = remember()
    assert first == second == "Tue, 21 Dec 2027 10:00:00 GMT"  # 390 days


def totals_of(page: str) -> tuple[dict[str, str], dict[str, str]]:
    """The checkout's totals per shipping method: (shown, hidden)."""
    shown, hidden = {}, {}
    for match in re.finditer(
        r'<div class="checkout__total-for" data-shipping-method="(\w+)"( hidden)?>'
        r'.*?<p class="checkout__total">([^<]+)</p>',
        page,
        re.S,
    ):
        (hidden if match.group(2) else shown)[match.group(1)] = match.group(3)
    return shown, hidden
