"""The legal pages: generated from the seller's identity and the shop's rules."""

from __future__ import annotations

import pytest

from eshop.orders.terms import terms_version

PAGES = ["/legal-notice", "/terms", "/delivery-returns", "/contact"]


@pytest.mark.parametrize(
    ("lang", "titles"),
    [
        (
            "fr",
            [
                "Mentions légales",
                "Conditions générales de vente",
                "Livraison et retours",
                "Contact",
            ],
        ),
        ("en", ["Legal notice", "Terms of sale", "Delivery and returns", "Contact"]),
    ],
)
def test_every_storefront_footer_links_the_four_pages(client, lang, titles):
    for path in ["/", "/cart", "/privacy", *PAGES]:
        footer = client.get(f"{path}?lang={lang}").text.split('class="site-footer"')[1]
        for page, title in zip(PAGES, titles, strict=True):
            assert f'href="{page}' in footer, (path, page)
            assert f">{title}</a>" in footer, (path, title)


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Éditeur", "Directrice ou directeur de la publication", "Hébergeur"]),
        ("en", ["Publisher", "Publication director", "Host"]),
    ],
)
def test_the_legal_notice_names_publisher_director_and_host(app, client, lang, words):
    page = client.get(f"/legal-notice?lang={lang}")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    for name in [
        "SHOP_LEGAL_NAME",
        "SHOP_LEGAL_FORM",
        "SHOP_SHARE_CAPITAL",
        "SHOP_ADDRESS",
        "SHOP_RCS",
        "SHOP_VAT_NUMBER",
        "SHOP_PUBLICATION_DIRECTOR",
        "SHOP_PHONE",
        "SHOP_EMAIL",
        "HOST_NAME",
        "HOST_PHONE",
    ]:
        assert str(app.config[name]) in page.text, name
    assert "1 rue de l&#39;Exemple" in page.text  # HOST_ADDRESS, escaped


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "fr",
            [
                "TVA française comprise",
                "Virement bancaire",
                "Livraison à domicile : 6,90",
                "Point relais : 4,90",
                "offerte dès 60,00",
                "non payée sous 10 jours",
                "Droit de rétractation",
                "dans les 14 jours",
                "Exceptions au droit de rétractation",
                "garantie légale de conformité",
                "garantie des vices cachés",
                "Médiateur de la consommation Exemple",
                "https://mediateur.example",
                "droit français",
                "Formulaire de rétractation",
            ],
        ),
        (
            "en",
            [
                "include French VAT",
                "Bank transfer",
                "Home delivery: €6.90",
                "Pick-up point: €4.90",
                "free for orders of €60.00",
                "not paid within 10 days",
                "Right of withdrawal",
                "within 14 days",
                "Exceptions to the right of withdrawal",
                "legal guarantee of conformity",
                "guarantee against hidden defects",
                "Médiateur de la consommation Exemple",
                "https://mediateur.example",
                "French law",
                "Withdrawal form",
            ],
        ),
    ],
)
def test_the_terms_state_prices_payment_delivery_withdrawal_guarantees_law(
    app, client, lang, words
):
    page = client.get(f"/terms?lang={lang}")
    assert page.status_code == 200
    for word in words:
        assert word in page.text, word
    with app.test_request_context():
        assert terms_version() in page.text


def test_the_terms_follow_the_shops_rules(app, client):
    """Generated, not written once: a new rule shows, and changes the version."""
    with app.test_request_context():
        before = terms_version()
    app.config["ORDERS_EXPIRE_DAYS"] = 7
    app.config["SHIPPING_RATES"] = {**app.config["SHIPPING_RATES"], "relay": 450}

    page = client.get("/terms?lang=en").text

    assert "not paid within 7 days" in page and "Pick-up point: €4.50" in page
    with app.test_request_context():
        after = terms_version()
    assert after != before and after in page


def test_the_terms_version_is_the_same_whatever_the_page_language(app):
    with app.test_request_context("/?lang=en"):
        english = terms_version()
    with app.test_request_context("/?lang=fr"):
        assert terms_version() == english


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Renvoyer des produits", "Livraison", "Formulaire de rétractation"]),
        ("en", ["Sending goods back", "Delivery", "Withdrawal form"]),
    ],
)
def test_delivery_and_returns_say_how_to_send_goods_back(app, client, lang, words):
    page = client.get(f"/delivery-returns?lang={lang}")
    assert page.status_code == 200
    for word in words:
        assert word in page.text
    assert app.config["SHOP_ADDRESS"] in page.text


@pytest.mark.parametrize(
    ("lang", "word"), [("fr", "Adresse postale"), ("en", "Postal address")]
)
def test_contact_gives_email_phone_and_address_without_a_form(app, client, lang, word):
    page = client.get(f"/contact?lang={lang}")
    assert page.status_code == 200
    assert word in page.text
    for name in ["SHOP_EMAIL", "SHOP_PHONE", "SHOP_ADDRESS"]:
        assert app.config[name] in page.text
    main = page.text.split('id="main"')[1].split("</main>")[0]
    assert "<form" not in main
