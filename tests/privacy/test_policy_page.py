"""The privacy page: its tables come from the data map and the cookie registry."""

from __future__ import annotations

import html

import pytest
from flask_babel import force_locale, gettext

from eshop import consent
from eshop.privacy import datamap


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_page_lists_every_personal_field_and_every_cookie(app, client, lang):
    page = html.unescape(client.get(f"/privacy?lang={lang}").text)
    with app.test_request_context(f"/privacy?lang={lang}"), force_locale(lang):
        for field in datamap.personal_fields():
            what = gettext(field.description)
            assert what[:1].upper() + what[1:] in page, field.key
        for spec in consent.registry():
            assert f"<code>{spec.name}</code>" in page
            assert spec.purpose(lang) in page


def test_the_page_speaks_french_by_default_and_english_on_request(client):
    assert "Politique de confidentialité" in client.get("/privacy").text
    assert "Privacy policy" in client.get("/privacy?lang=en").text


def test_every_page_links_to_the_privacy_page(client):
    assert 'href="/privacy"' in client.get("/").text
