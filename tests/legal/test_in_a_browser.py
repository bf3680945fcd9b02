"""The legal pages and the order button in a real browser, on a phone and a desktop."""

from __future__ import annotations

import pytest

from eshop.catalog.models import Product
from eshop.extensions import db as _db
from tests.cart.catalogue import add_product

pytestmark = pytest.mark.browser

VIEWPORTS = {"phone": (390, 844), "desktop": (1280, 800)}
LINKS = {
    "fr": [
        ("Mentions légales", "Mentions légales"),
        ("Conditions générales de vente", "Conditions générales de vente"),
        ("Livraison et retours", "Livraison et retours"),
        ("Contact", "Contact"),
    ],
    "en": [
        ("Legal notice", "Legal notice"),
        ("Terms of sale", "Terms of sale"),
        ("Delivery and returns", "Delivery and returns"),
        ("Contact", "Contact"),
    ],
}
BUTTON = {
    "fr": "Commander avec obligation de paiement",
    "en": "Order with obligation to pay",
}
BOX = {
    "fr": "J’ai lu et j’accepte les conditions générales de vente",
    "en": "I have read and accept the terms of sale",
}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("device", VIEWPORTS)
def test_the_footer_links_the_four_legal_pages(
    app, live_server, page, artifacts, device, lang
):
    width, height = VIEWPORTS[device]
    page.set_viewport_size({"width": width, "height": height})
    for text, heading in LINKS[lang]:
        page.goto(f"{live_server}/?lang={lang}")
        link = page.locator(".site-footer").get_by_role("link", name=text, exact=True)
        link.scroll_into_view_if_needed()
        assert link.is_visible()
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width
        link.click()
        page.wait_for_load_state()  # the click waits for the new address only
        assert page.get_by_role("heading", level=1, name=heading).is_visible()
    page.screenshot(path=str(artifacts / f"contact-{device}-{lang}.png"))


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("device", VIEWPORTS)
def test_the_order_button_says_it_commits_to_pay(
    app, live_server, page, artifacts, device, lang
):
    width, height = VIEWPORTS[device]
    page.set_viewport_size({"width": width, "height": height})
    soap = add_product(app, price_cents=1250, stock=5, name="Savon lavande")
    with app.app_context():
        slug = _db.session.get(Product, soap).slug
    page.goto(f"{live_server}/products/{slug}")
    page.get_by_role("button", name="Ajouter au panier").click()
    page.goto(f"{live_server}/checkout?lang={lang}")

    form = page.locator("form.checkout__form")
    box = form.get_by_label(BOX[lang])
    button = form.get_by_role("button", name=BUTTON[lang], exact=True)
    button.scroll_into_view_if_needed()
    assert box.is_visible() and not box.is_checked() and button.is_visible()
    shape = button.bounding_box()
    assert shape and shape["x"] >= 0 and shape["x"] + shape["width"] <= width
    assert button.inner_text().strip() == BUTTON[lang]
    page.screenshot(path=str(artifacts / f"order-button-{device}-{lang}.png"))
