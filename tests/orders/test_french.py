"""French is the default language of the cart, the checkout and the order mails."""

from __future__ import annotations

import pytest

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from tests.cart.catalogue import add_product, set_cart
from tests.orders.checkout import GOOD_ADDRESS, hidden_fields


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


def test_a_french_shopper_gets_french_pages_and_mails(app, client):
    soap = add_product(app, price_cents=1250, stock=5, name="Savon lavande")
    set_cart(app, client, f"{soap}.2.1250")

    cart = client.get("/cart").text
    assert "Votre panier" in cart and "Dont TVA" in cart and "25,00\xa0€" in cart
    assert "2 articles" in cart

    checkout = client.get("/checkout")
    assert "Commander avec obligation de paiement" in checkout.text
    assert "France" in checkout.text
    form = {**GOOD_ADDRESS, **hidden_fields(checkout.text)}
    placed = client.post("/checkout", data=form)
    assert placed.status_code == 303

    page = client.get(placed.headers["Location"]).text
    assert "En attente de votre paiement" in page
    with app.app_context():
        subjects = _db.session.execute(_db.select(OutboxMessage.subject)).scalars()
        assert any(s.startswith("Votre commande ") for s in subjects)


def test_an_empty_french_cart(client):
    assert "Votre panier est vide." in client.get("/cart").text
