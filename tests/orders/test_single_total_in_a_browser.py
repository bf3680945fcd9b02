"""One clear total at checkout, in a real browser, on a phone and on a desktop:
the total follows the shipping method chosen, and on a phone the summary comes
before the order button. And the invoice, printed."""

from __future__ import annotations

import re

import pytest

from eshop.catalog.models import Product
from eshop.extensions import db as _db
from eshop.orders.services import CheckoutRequest, mark_paid, place_order
from tests.cart.catalogue import add_product
from tests.orders.test_services import CLAIRE

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


def visible_totals(page) -> list[str]:
    return [
        t.inner_text() for t in page.locator(".checkout__total").all() if t.is_visible()
    ]


@pytest.mark.parametrize("size", SIZES)
def test_the_single_total_follows_the_shipping_choice(
    app, live_server, page, artifacts, size
):
    """Given 10,00 € of goods, when the shopper picks home delivery (6,90 €) then a
    pick-up point (4,90 €), then one total shows, 16,90 € then 14,90 €."""
    width, height = SIZES[size]
    page.set_viewport_size({"width": width, "height": height})
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if message.type == "error" else None
        ),
    )
    soap = add_product(app, price_cents=1000, stock=5, name="Savon lavande")
    with app.app_context():
        slug = _db.session.get(Product, soap).slug
    page.goto(f"{live_server}/products/{slug}")
    page.get_by_role("button", name="Ajouter au panier").click()
    page.goto(f"{live_server}/checkout", wait_until="networkidle")

    assert visible_totals(page) == ["Total : 16,90\xa0€"]
    summary = page.locator(".checkout__summary").bounding_box()
    button = page.locator("form.checkout__form button[type=submit]").bounding_box()
    if size == "phone":
        assert summary["y"] + summary["height"] <= button["y"]  # summary first
    else:
        assert summary["x"] >= button["x"] + button["width"]  # beside the form
    page.screenshot(path=str(artifacts / f"checkout-total-{size}.png"), full_page=True)

    page.get_by_label("Point relais").check()
    assert visible_totals(page) == ["Total : 14,90\xa0€"]
    assert page.locator(".checkout__total-for:visible .vat-table").count() == 1
    page.get_by_label("Livraison à domicile").check()
    assert visible_totals(page) == ["Total : 16,90\xa0€"]
    assert refused == []  # no script or style refused by the CSP


def test_the_invoice_prints_alone(app, live_server, page, artifacts):
    """On paper the invoice prints without the shop's header, footer and banner."""
    soap = add_product(app, price_cents=1250, vat_rate_bp=550, stock=5)
    with app.app_context():
        placed = place_order(
            CheckoutRequest(
                checkout_token="token-invoice-print",
                customer=CLAIRE,
                items=((soap, 2),),
                shipping_method="standard",
                payment_method="bank_transfer",
                accepted_subtotal_cents=2500,
            )
        )
        mark_paid(placed.order.id)
        public_id = placed.order.public_id

    page.goto(f"{live_server}/orders/{public_id}", wait_until="networkidle")
    page.get_by_role("link", name=re.compile("Votre facture F")).click()
    page.wait_for_load_state()  # the click waits for the new address only
    assert page.locator(".site-header").is_visible()
    page.emulate_media(media="print")

    assert page.get_by_role("heading", name=re.compile("Facture F")).is_visible()
    assert page.locator(".vat-table").is_visible()
    for chrome in (".site-header", ".site-footer", ".consent-banner"):
        assert not page.locator(chrome).first.is_visible(), chrome
    page.screenshot(path=str(artifacts / "invoice-print.png"), full_page=True)
