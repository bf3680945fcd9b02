"""VAT on shipping, per rate, the same on every page that shows an order's money:
cart, checkout, order page, emails, back office, CSV export and invoice.

The order of every test: 2 x 12,50 € at 20 % and 1 x 10,00 € at 5.5 %, shipped
home for 6,90 €. Shipping splits 4,93 € / 1,97 € (largest remainder), so:
  20 %  : 29,93 € = 24,94 € + 4,99 € VAT
  5.5 % : 11,97 € = 11,35 € + 0,62 € VAT
  total : 41,90 € = 36,29 € + 5,61 € VAT
"""

from __future__ import annotations

import html
import re

import pytest

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from eshop.orders.services import mark_paid
from tests.cart.catalogue import add_product, set_cart
from tests.orders.checkout import open_checkout, submit

EN_ROWS = [
    ["20%", "€24.94", "€4.99", "€29.93"],
    ["5.5%", "€11.35", "€0.62", "€11.97"],
    ["Total", "€36.29", "€5.61", "€41.90"],
]
FR_ROWS = [
    ["20\u202f%", "24,94\xa0€", "4,99\xa0€", "29,93\xa0€"],
    ["5,5\u202f%", "11,35\xa0€", "0,62\xa0€", "11,97\xa0€"],
    ["Total", "36,29\xa0€", "5,61\xa0€", "41,90\xa0€"],
]


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


def mixed_cart(app) -> str:
    soap = add_product(app, price_cents=1250, vat_rate_bp=2000, name="Savon")
    honey = add_product(app, price_cents=1000, vat_rate_bp=550, name="Miel")
    return f"{soap}.2.1250,{honey}.1.1000"


def vat_rows(page: str, visible_only: bool = False) -> list[list[str]]:
    """The body and foot rows of the first VAT table of the page, cell texts."""
    if visible_only:
        page = re.sub(r"<div [^>]*\bhidden>.*?</div>", "", page, flags=re.S)
    table = re.search(r'<table class="vat-table">.*?</table>', page, re.S)
    assert table, "no VAT table"
    body = re.sub(
        r"<thead>.*?</thead>|<caption>.*?</caption>", "", table.group(0), flags=re.S
    )
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
        for cells in (
            re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
        )
    ]


def place_mixed_order(app, client) -> Order:
    """Place the mixed order; returned detached, its lines and VAT loaded."""
    form = open_checkout(app, client, mixed_cart(app))
    assert submit(client, form).status_code == 303
    with app.app_context():
        order = _db.session.execute(_db.select(Order)).scalar_one()
        assert order.tax_cents == 561
        _db.session.expunge(order)
        return order


def test_the_cart_shows_the_goods_vat_per_rate(app, client):
    set_cart(app, client, mixed_cart(app))
    page = client.get("/cart?lang=en").text
    assert vat_rows(page) == [
        ["20%", "€20.83", "€4.17", "€25.00"],
        ["5.5%", "€9.48", "€0.52", "€10.00"],
        ["Total", "€30.31", "€4.69", "€35.00"],
    ]
    assert "Of which VAT, per rate (before shipping)" in page


@pytest.mark.parametrize(("lang", "rows"), [("en", EN_ROWS), ("fr", FR_ROWS)])
def test_the_checkout_shows_the_breakdown_of_the_chosen_shipping(
    app, client, lang, rows
):
    set_cart(app, client, mixed_cart(app))
    page = client.get(f"/checkout?lang={lang}").text
    assert vat_rows(page, visible_only=True) == rows


@pytest.mark.parametrize(("lang", "rows"), [("en", EN_ROWS), ("fr", FR_ROWS)])
def test_the_order_page_includes_shipping_in_the_vat(app, client, lang, rows):
    order = place_mixed_order(app, client)
    page = client.get(f"/orders/{order.public_id}?lang={lang}").text
    assert vat_rows(page) == rows


def test_the_confirmation_email_shows_the_vat_per_rate(app, client):
    order = place_mixed_order(app, client)
    with app.app_context():
        bodies = _db.session.execute(
            _db.select(OutboxMessage.text_body, OutboxMessage.html_body).where(
                OutboxMessage.recipient == "claire@example.org"
            )
        ).one()
    text, html_body = bodies
    assert order.locale == "en"
    assert "Of which VAT at 20% (on €24.94 excl. VAT): €4.99" in text
    assert "Of which VAT at 5.5% (on €11.35 excl. VAT): €0.62" in text
    assert "€0.62" in html_body and "€4.99" in html_body


def test_a_french_order_email_shows_the_vat_per_rate_in_french(app, client):
    form = open_checkout(app, client, mixed_cart(app))
    assert client.post("/checkout?lang=fr", data=form).status_code == 303
    with app.app_context():
        text = _db.session.execute(
            _db.select(OutboxMessage.text_body).where(
                OutboxMessage.recipient == "claire@example.org"
            )
        ).scalar_one()
    assert "Dont TVA à 20\u202f% (sur 24,94\xa0€ HT) : 4,99\xa0€" in text
    assert "Dont TVA à 5,5\u202f% (sur 11,35\xa0€ HT) : 0,62\xa0€" in text


def test_the_invoice_shows_the_same_breakdown(app, client):
    order = place_mixed_order(app, client)
    with app.app_context():
        mark_paid(order.id)
    page = client.get(f"/orders/{order.public_id}/invoice?lang=en").text
    assert vat_rows(page) == EN_ROWS


def test_a_refused_checkout_shows_the_total_of_the_method_chosen(app, client):
    """Without JavaScript the page shows the default method's total; once the
    shopper sent a choice (here with a field to correct), the total is that
    method's."""
    form = open_checkout(app, client, mixed_cart(app))
    response = submit(client, form, shipping_method="relay", city="")

    assert response.status_code == 400
    shown = re.sub(r"<div [^>]*\bhidden>.*?</div>", "", response.text, flags=re.S)
    assert re.findall(r'<p class="checkout__total">([^<]+)</p>', shown) == [
        "Total: €39.90"
    ]
