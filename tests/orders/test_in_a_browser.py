"""A guest buys in a real browser without JavaScript: product, cart, checkout."""

from __future__ import annotations

import pytest

from eshop.extensions import db as _db
from eshop.orders.models import Order
from tests.cart.catalogue import add_product, stock_of

pytestmark = pytest.mark.browser


@pytest.fixture
def no_script_page(chromium):
    context = chromium.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def test_a_guest_checks_out_without_javascript(
    app, live_server, no_script_page, artifacts
):
    page = no_script_page
    soap = add_product(app, price_cents=1250, stock=5, name="Savon lavande")
    with app.app_context():
        from eshop.catalog.models import Product

        slug = _db.session.get(Product, soap).slug

    page.goto(f"{live_server}/products/{slug}")
    page.get_by_label("Quantité").fill("2")
    page.get_by_role("button", name="Ajouter au panier").click()
    page.wait_for_load_state()

    assert page.url.endswith("/cart")
    assert page.locator(".cart-link__count").inner_text() == "2"
    assert "25,00" in page.locator(".cart__subtotal").inner_text()
    page.screenshot(path=str(artifacts / "cart.png"), full_page=True)

    page.get_by_role("link", name="Commander").click()
    page.wait_for_load_state()
    form = page.locator("form.checkout__form")
    form.get_by_label("Adresse e-mail", exact=True).fill("claire@example.org")
    form.get_by_label("Nom complet", exact=True).fill("Claire Martin")
    form.get_by_label("Numéro et rue", exact=True).fill("3 rue des Lilas")
    form.get_by_label("Code postal", exact=True).fill("84000")
    form.get_by_label("Ville", exact=True).fill("Avignon")
    page.screenshot(path=str(artifacts / "checkout.png"), full_page=True)
    form.get_by_label("J’ai lu et j’accepte les conditions générales de vente").check()
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    page.wait_for_load_state()  # the click waits for the new address only

    assert "/orders/" in page.url
    assert page.get_by_text("En attente de votre paiement").is_visible()
    assert page.locator(".cart-link__count").inner_text() == "0"
    page.screenshot(path=str(artifacts / "order.png"), full_page=True)
    with app.app_context():
        order = _db.session.execute(_db.select(Order)).scalar_one()
        assert order.number in page.content()
    assert stock_of(app, soap) == 3
