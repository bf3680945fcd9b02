"""The footer form kept as HTML: each visitor still gets their own CSRF token, and
each language and link shape its own wording and links."""

from __future__ import annotations

import re

TOKEN = re.compile(r'name="footer-csrf_token" type="hidden" value="([^"]+)"')


def footer_token(page: str) -> str:
    match = TOKEN.search(page)
    assert match, "the footer form has a CSRF token"
    return match.group(1)


def test_each_visitor_gets_their_own_token_in_the_kept_footer(app):
    first, second = app.test_client(), app.test_client()
    first_page = first.get("/products").get_data(as_text=True)
    second_page = second.get("/products").get_data(as_text=True)
    assert footer_token(first_page) != footer_token(second_page)
    assert first_page.count("lavande-csrf-token") == 0
    # The kept token works: the footer form posts with it.
    response = first.post(
        "/newsletter/subscribe",
        data={
            "footer-csrf_token": footer_token(first.get("/").get_data(as_text=True)),
            "footer-email": "pied-de-page@example.fr",
            "footer-source": "footer",
        },
    )
    assert response.status_code == 303


def test_the_kept_footer_follows_the_language_and_its_links(client):
    french = client.get("/products").get_data(as_text=True)
    english = client.get("/products?lang=en").get_data(as_text=True)
    assert "Votre adresse e-mail" in french
    assert "Your email address" in english
    assert 'action="/newsletter/subscribe?lang=en"' in english
    assert 'action="/newsletter/subscribe"' in french


def test_a_refused_footer_signup_is_not_kept_for_others(client):
    page = client.get("/").get_data(as_text=True)
    client.post(
        "/newsletter/subscribe",
        data={
            "footer-csrf_token": footer_token(page),
            "footer-email": "pas-une-adresse",
            "footer-source": "footer",
        },
    )
    assert "pas-une-adresse" not in client.get("/").get_data(as_text=True)
