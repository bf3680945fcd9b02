"""In Chromium, in French and in English: ask for a sign-in link, read it from the
mail the SMTP sink received, sign in, see the orders, sign out."""

from __future__ import annotations

import re
from email.message import Message
from urllib.parse import urlsplit

import pytest

from eshop.extensions import db
from eshop.mail.worker import flush
from eshop.orders.models import Order

from .conftest import MEMBER_EMAIL, place_test_order

pytestmark = pytest.mark.browser

WORDS = {
    "fr": {
        "send": "Recevoir un lien de connexion",
        "inbox": "Vérifiez votre boîte de réception",
        "sign_in": "Se connecter",
        "account": "Mon compte",
        "orders": "Mes commandes",
        "sign_out": "Se déconnecter",
        "signed_out": "Vous êtes déconnecté.",
        "email": "Votre adresse e-mail",
    },
    "en": {
        "send": "Send me a sign-in link",
        "inbox": "Check your inbox",
        "sign_in": "Sign in",
        "account": "My account",
        "orders": "My orders",
        "sign_out": "Sign out",
        "signed_out": "You are signed out.",
        "email": "Your email address",
    },
}


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset())
    raise AssertionError("no text part")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_from_the_link_request_to_signing_out(
    app, live_server, smtp, page, artifacts, lang
):
    words = WORDS[lang]
    public_id = place_test_order(app, paid=True)
    with app.app_context():
        number = db.session.execute(
            db.select(Order.number).where(Order.public_id == public_id)
        ).scalar_one()

    # Given a customer on the account page, when they ask for a link
    page.goto(f"{live_server}/account?lang={lang}")
    page.locator("main").get_by_label(words["email"]).fill(MEMBER_EMAIL)
    page.get_by_role("button", name=words["send"]).click()
    page.wait_for_load_state()  # the click waits for the new address only
    assert page.get_by_role("heading", name=words["inbox"]).is_visible()

    # then the link arrives by mail, in their language
    with app.app_context():
        flush()
    texts = [text_of(message) for message in smtp.to(MEMBER_EMAIL)]
    [text] = [text for text in texts if "/account/sign-in/" in text]
    link = re.search(r"https?://\S+/account/sign-in/\S+", text).group(0)
    assert f"lang={lang}" in link

    # When they open it and press the button, then they see their orders
    parts = urlsplit(link)
    page.goto(f"{live_server}{parts.path}?{parts.query}")
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name=words["account"], exact=True).is_visible()
    assert page.get_by_role("heading", name=words["orders"]).is_visible()
    assert page.get_by_role("link", name=number).is_visible()
    page.screenshot(path=str(artifacts / f"account-orders-{lang}.png"), full_page=True)

    # When they sign out, then the sign-in form is back
    page.get_by_role("button", name=words["sign_out"]).click()
    page.wait_for_load_state()
    assert page.get_by_text(words["signed_out"]).is_visible()
    assert page.get_by_role("button", name=words["send"]).is_visible()
    page.goto(f"{live_server}/account?lang={lang}")
    assert page.get_by_role("link", name=number).count() == 0
