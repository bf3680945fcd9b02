"""The banner kept as HTML: each page still gets its own way back and each visitor
their own CSRF token; each language and kind its own wording."""

from __future__ import annotations

import re

NEXT = re.compile(r'name="next" value="([^"]*)"')
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def banner_of(client, path: str, **headers) -> str:
    page = client.get(path, headers=headers).get_data(as_text=True)
    start = page.index('<section class="consent-banner')
    return page[start : page.index("</section>", start)]


def test_the_kept_banner_comes_back_to_each_page(app):
    client = app.test_client()
    first = banner_of(client, "/products?page=2")
    second = banner_of(client, "/products?q=%22%3Cb%3Elavande")
    assert set(NEXT.findall(first)) == {"/products?page=2"}
    assert set(NEXT.findall(second)) == {"/products?q=%22%3Cb%3Elavande"}
    assert "<b>" not in second and "\x00" not in second


def test_each_visitor_gets_their_own_token_in_the_kept_banner(app):
    one = TOKEN.findall(banner_of(app.test_client(), "/"))
    other = TOKEN.findall(banner_of(app.test_client(), "/"))
    assert one and other and one != other


def test_the_kept_banner_follows_language_and_kind(app):
    client = app.test_client()
    assert "Cookies on Lavande" in banner_of(client, "/?lang=en")
    assert "Cookies on Lavande" not in banner_of(client, "/?lang=fr")
    gpc = banner_of(client, "/?lang=en", **{"Sec-GPC": "1"})
    assert "Your privacy signal is respected" in gpc
    assert "lang=en" in gpc  # its links keep the explicit language
