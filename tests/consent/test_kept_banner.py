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


def test_a_kept_embed_placeholder_comes_back_to_its_page(app):
    from flask import render_template_string

    source = (
        '{% from "consent/_embed.html" import consent_embed %}'
        "{% call consent_embed('Facebook') %}<b>real</b>{% endcall %}"
    )
    for path in ("/products/a?lang=en", "/products/b?lang=en"):
        with app.test_request_context(path):
            app.preprocess_request()
            html = render_template_string(source)
        assert "<b>real</b>" not in html and "\x00" not in html
        assert f'name="next" value="{path}"' in html
        assert "Enable Facebook (accept sharing cookies)" in html
