"""Storefront pages built from kept renderings (eshop/layout.py) are exactly the
pages a full render gives, for every kind of visitor."""

from __future__ import annotations

import re

import pytest
from flask import flash, redirect, render_template
from markupsafe import Markup

from eshop import layout

CSRF_VALUE = re.compile(r'(name="(?:footer-)?csrf_token"[^>]*value=")[^"]+(")')
PAGES = [
    "/",
    "/?lang=en",
    "/products",
    "/products?page=1&sort=price_asc",
    "/products?q=produit",
    "/products?category=savons&lang=en",
    "/products/produit-1",
    "/products/produit-1?lang=en",
    "/products/produit-2",
]


def normalised(response) -> str:
    """The page without its CSRF tokens, which carry a timestamp."""
    assert response.status_code == 200
    return CSRF_VALUE.sub(r"\1TOKEN\2", response.get_data(as_text=True))


class FullRendering:
    """Stands in for a kept rendering: Flask's plain ``render_template`` with this
    request's values, whose slots call their providers at once."""

    def __init__(self, template: str, context: dict, names: set[str]) -> None:
        self.template, self.context = template, context

    def fill(self, values: dict) -> Markup:
        return Markup(render_template(self.template, **self.context, **values))


def visit(app, client, path: str, *, kept: bool, **headers: str) -> str:
    with pytest.MonkeyPatch.context() as patch:
        if not kept:
            patch.setattr(layout, "keep", FullRendering)
            patch.setattr(app.jinja_env, "auto_reload", True)  # nothing stored
        return normalised(client.get(path, headers=headers))


def decide(client, choice: str) -> None:
    page = client.get("/consent").get_data(as_text=True)
    token = CSRF_VALUE.search(page)
    assert token
    value = page[token.end(1) : token.start(2)]
    response = client.post(
        "/consent/decide", data={"csrf_token": value, "choice": choice, "next": "/"}
    )
    assert response.status_code in (302, 303)


@pytest.fixture
def shop(make_product, with_image):
    for n in range(1, 5):
        product = make_product(featured=True, sponsored=n % 2 == 0, stock=n - 1)
        with_image(product)


@pytest.mark.parametrize("visitor", ["undecided", "accept", "refuse", "gpc"])
@pytest.mark.parametrize("path", PAGES)
def test_a_kept_page_is_the_fully_rendered_page(app, client, shop, visitor, path):
    headers = {"Sec-GPC": "1"} if visitor == "gpc" else {}
    if visitor in ("accept", "refuse"):
        decide(client, visitor)
    client.get("/cart")  # the session and its CSRF token exist before comparing

    full = visit(app, client, path, kept=False, **headers)
    first_kept = visit(app, client, path, kept=True, **headers)
    again = visit(app, client, path, kept=True, **headers)

    assert first_kept == full
    assert again == full


def test_a_kept_page_shows_the_cart_count_of_each_visitor(app, shop):
    shopper, browser = app.test_client(), app.test_client()
    page = shopper.get("/products/produit-2").get_data(as_text=True)
    token = CSRF_VALUE.search(page)
    assert token
    product_id = re.search(r'name="product_id" value="(\d+)"', page)
    assert product_id
    added = shopper.post(
        "/cart/add",
        data={
            "csrf_token": page[token.end(1) : token.start(2)],
            "product_id": product_id.group(1),
            "quantity": "1",
        },
    )
    assert added.status_code in (302, 303), added.text

    assert 'cart-link__count" aria-hidden="true">1<' in shopper.get("/").text
    assert 'cart-link__count" aria-hidden="true">0<' in browser.get("/").text


def test_a_kept_page_shows_flashed_messages_once(app, client, shop):
    @app.get("/_test/flash")
    def flash_then_list():
        flash("Merci <3", "success")
        return redirect("/products")

    shown = client.get("/_test/flash", follow_redirects=True).text
    assert '<p class="flash flash--success">Merci &lt;3</p>' in shown
    assert "flash--success" not in client.get("/products").text


def test_the_language_switch_links_to_the_same_page(client, shop):
    page = client.get("/products?category=savons&sort=name").text

    assert 'href="/products?category=savons&amp;sort=name&amp;lang=en"' in page


def test_a_title_is_escaped_in_a_kept_page(client, make_product):
    make_product(slug="piege", name_fr='Savon <b>"gras"</b>')

    page = client.get("/products/piege").text

    assert "<title>Savon &lt;b&gt;&#34;gras&#34;&lt;/b&gt; · " in page


def test_a_kept_language_switch_follows_the_page_and_its_language(app, client, shop):
    app.jinja_env.auto_reload = False  # keep, as in production
    for _ in range(2):  # the second round comes from what was kept
        french = client.get("/products?category=savons").text
        english = client.get("/products?category=savons&lang=en").text
        other_page = client.get("/products?category=soins").text
        assert 'href="/products?category=savons&amp;lang=en"' in french
        assert 'href="/products?category=savons&amp;lang=fr"' in english
        assert 'href="/products?category=soins&amp;lang=en"' in other_page


def test_a_request_does_not_inherit_the_previous_ones_language(client, shop):
    """A test's app context (and ``g``) spans requests: the language must not."""
    assert '<html lang="fr">' in client.get("/products").text
    assert '<html lang="en">' in client.get("/products?lang=en").text
    assert '<html lang="fr">' in client.get("/products").text
