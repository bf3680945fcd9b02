"""Terms of sale at checkout: a ticked box, the version recorded, the button's
words, and the texts agreed to in the confirmation email (issue 14, points 2, 3
and 6)."""

from __future__ import annotations

import re

import pytest

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from eshop.orders.terms import terms_version
from tests.cart.catalogue import add_product, set_cart
from tests.orders.checkout import GOOD_ADDRESS, hidden_fields

WORDS = {
    "fr": {
        "button": "Commander avec obligation de paiement",
        "box": "J’ai lu et j’accepte les conditions générales de vente",
        "refused": "Veuillez accepter les conditions générales de vente",
        "withdrawal": "Droit de rétractation",
        "form": "Formulaire de rétractation",
        "form_text": "vous notifie/notifions (*) par la présente",
        "terms": "Garanties légales",
    },
    "en": {
        "button": "Order with obligation to pay",
        "box": "I have read and accept the terms of sale",
        "refused": "Please accept the terms of sale to place your order.",
        "withdrawal": "Right of withdrawal",
        "form": "Withdrawal form",
        "form_text": "hereby give notice that I/We (*) withdraw",
        "terms": "Legal guarantees",
    },
}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": False}


def open_form(app, client, lang: str) -> tuple[str, dict[str, str]]:
    soap = add_product(app, price_cents=1250, stock=5, name="Savon lavande")
    set_cart(app, client, f"{soap}.2.1250")
    page = client.get(f"/checkout?lang={lang}")
    assert page.status_code == 200
    return page.text, {**GOOD_ADDRESS, **hidden_fields(page.text)}


def placed_orders(app) -> list[Order]:
    with app.app_context():
        found = list(_db.session.execute(_db.select(Order)).scalars())
        _db.session.expunge_all()
        return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_button_says_the_order_commits_to_pay(app, client, lang):
    page, _ = open_form(app, client, lang)
    checkout = re.search(r'<form class="checkout__form".*?</form>', page, re.DOTALL)
    assert checkout
    page = checkout.group(0)
    button = re.search(r'<button type="submit">([^<]*)</button>', page)
    assert button and button.group(1) == WORDS[lang]["button"]
    box = re.search(r'<input[^>]*name="accept_terms"[^>]*>', page)
    assert box and 'type="checkbox"' in box.group(0) and "checked" not in box.group(0)
    assert WORDS[lang]["box"] in page
    assert 'href="/terms' in page


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_checkout_without_the_box_is_refused_next_to_it_and_keeps_the_form(
    app, client, lang
):
    _, form = open_form(app, client, lang)
    del form["accept_terms"]
    form["full_name"] = "Zoé Durand-Lefèvre"
    form["street"] = "27 chemin des Oliviers"

    response = client.post(f"/checkout?lang={lang}", data=form)

    assert response.status_code == 400
    field = re.search(
        r'<div class="field field--invalid">\s*<label class="field__check">'
        r'<input[^>]*name="accept_terms".*?</div>',
        response.text,
        re.DOTALL,
    )
    assert field, "the message sits with the box"
    assert WORDS[lang]["refused"] in field.group(0)
    assert 'aria-invalid="true"' in field.group(0)
    for typed in ["Zoé Durand-Lefèvre", "27 chemin des Oliviers", "claire@example.org"]:
        assert typed in response.text
    assert placed_orders(app) == []
    with app.app_context():
        assert _db.session.execute(_db.select(OutboxMessage)).first() is None


@pytest.mark.parametrize("value", ["", "false"])
def test_an_unticked_value_is_no_acceptance(app, client, value):
    _, form = open_form(app, client, "en")
    response = client.post("/checkout?lang=en", data={**form, "accept_terms": value})
    assert response.status_code == 400
    assert placed_orders(app) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_order_records_the_terms_version_and_mails_what_was_agreed(
    app, client, lang
):
    _, form = open_form(app, client, lang)

    response = client.post(f"/checkout?lang={lang}", data=form)

    assert response.status_code == 303
    [order] = placed_orders(app)
    with app.test_request_context():
        assert order.terms_version == terms_version()
    with app.app_context():
        confirmation = _db.session.execute(
            _db.select(OutboxMessage).where(OutboxMessage.recipient == order.email)
        ).scalar_one()
    for mail in (confirmation.text_body, confirmation.html_body):
        body = " ".join(mail.split()).casefold()  # titles in capitals, lines wrapped
        for key in ("withdrawal", "form", "form_text", "terms"):
            assert WORDS[lang][key].casefold() in body, key
        other = "en" if lang == "fr" else "fr"
        assert WORDS[other]["terms"].casefold() not in body
        assert order.terms_version in body
        assert app.config["MEDIATOR_NAME"].casefold() in body
        assert app.config["SHOP_LEGAL_NAME"].casefold() in body


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", "Nos conditions générales de vente ont changé"),
        ("en", "Our terms of sale changed while you were ordering."),
    ],
)
def test_terms_changed_while_ordering_are_accepted_again(app, client, lang, words):
    """The version recorded is the one the shopper ticked the box for."""
    _, form = open_form(app, client, lang)
    form["full_name"] = "Zoé Durand"
    app.config["ORDERS_EXPIRE_DAYS"] = 7  # the terms now say 7 days

    refused = client.post(f"/checkout?lang={lang}", data=form)

    assert refused.status_code == 409
    assert words in refused.text and "Zoé Durand" in refused.text
    box = re.search(r'<input[^>]*name="accept_terms"[^>]*>', refused.text)
    assert box and "checked" not in box.group(0)
    assert placed_orders(app) == []
    again = {**form, **hidden_fields(refused.text), "accept_terms": "y"}
    assert client.post(f"/checkout?lang={lang}", data=again).status_code == 303
    [order] = placed_orders(app)
    with app.test_request_context():
        assert order.terms_version == terms_version()
