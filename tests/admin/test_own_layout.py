"""The back office has a layout of its own: none of the storefront's header (categories,
search, cart), newsletter footer or cookie banner, and only technical cookies, on
every /admin page, signed in or on the login page, whatever the visitor decided."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from eshop.consent.guard import parse_set_cookie
from eshop.consent.registry import Category as CookieCategory
from eshop.extensions import db as _db
from eshop.orders.models import Order, OrderStatus

from .conftest import AdminActions, admin_pages, csrf_token_in

# What only the storefront's layout puts on a page.
STOREFRONT_MARKUP = {
    "storefront header": 'class="site-header',
    "category menu": 'class="catalog-nav',
    "search box": 'class="search-box',
    "cart link": 'class="cart-link',
    "footer": 'class="site-footer',
    "newsletter form": "newsletter-footer",
    "cookie banner": "data-consent-banner",
    "storefront stylesheet": "css/shop.css",
}
MIN_ADMIN_PAGES = 15


def storefront_parts(html: str) -> list[str]:
    return [name for name, mark in STOREFRONT_MARKUP.items() if mark in html]


def decide(client: Any, choice: str) -> None:
    """Record a cookie decision the way the banner's plain form does."""
    token = csrf_token_in(client.get("/consent").text)
    response = client.post(
        "/consent/decide", data={"csrf_token": token, "choice": choice, "next": "/"}
    )
    assert response.status_code == 303


def cookie_problems(app: Flask, url: str, response: Any) -> list[str]:
    """Every cookie the response writes that is not a registered technical one."""
    registry = app.extensions["lavande.consent"]
    problems = []
    for header in response.headers.getlist("Set-Cookie"):
        name, _, _ = parse_set_cookie(header)
        spec = registry.get(name)
        if spec is None or spec.category is not CookieCategory.TECHNICAL:
            problems.append(f"{url}: Set-Cookie {name!r}")
    return problems


def sweep(app: Flask, client: Any, urls: list[str]) -> tuple[int, list[str]]:
    """GET each URL; what is wrong with its layout and cookies, and how many HTML
    pages were seen."""
    problems: list[str] = []
    pages = 0
    for url in urls:
        response = client.get(url)
        problems += cookie_problems(app, url, response)
        if response.status_code >= 400:
            problems.append(f"{url}: {response.status_code}")
        if response.mimetype == "text/html" and response.status_code == 200:
            pages += 1
            problems += [f"{url}: {part}" for part in storefront_parts(response.text)]
            if "css/admin.css" not in response.text:
                problems.append(f"{url}: no admin stylesheet")
    return pages, problems


@pytest.mark.parametrize("choice", [None, "accept", "refuse"])
def test_every_admin_page_has_its_own_layout_and_technical_cookies_only(
    app, client, owner, seeded, choice
):
    """Given a decision on cookies (none, all accepted, all refused) and the owner
    signed in, every back-office page shows no storefront part and writes no
    cookie but technical ones, even where the visitor accepted more."""
    if choice:
        decide(client, choice)
    login = AdminActions(client).login()
    assert login.status_code == 302
    problems = cookie_problems(app, "/admin/login", login)

    pages, found = sweep(app, client, admin_pages(app, seeded))

    assert pages >= MIN_ADMIN_PAGES
    assert problems + found == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_login_page_has_no_storefront_part_and_no_banner(client, db, lang):
    """A first visit, no decision yet: the storefront would show the banner; the
    back office's login does not, and writes technical cookies only."""
    response = client.get(f"/admin/login?lang={lang}")

    assert response.status_code == 200
    assert storefront_parts(response.text) == []
    assert cookie_problems(client.application, "/admin/login", response) == []
    assert 'name="email"' in response.text  # the form itself is there
    assert client.get(f"/?lang={lang}").text.count("data-consent-banner") == 1


def test_the_storefront_keeps_its_own_layout(client, db):
    """The storefront is not touched: its header, footer and banner still show."""
    html = client.get("/").text
    assert set(storefront_parts(html)) >= {
        "storefront header",
        "footer",
        "cookie banner",
        "storefront stylesheet",
    }


def test_the_admin_layout_keeps_the_language_switch_and_the_way_back_to_the_shop(
    admin, db
):
    html = admin.client.get("/admin/?lang=en").text
    assert 'class="lang-switch"' in html and 'hreflang="fr"' in html
    assert re.search(r'<a[^>]+href="/\?lang=en"[^>]*>[^<]*shop', html)
    assert 'name="robots" content="noindex, nofollow"' in html


def test_flashed_messages_show_in_the_admin_layout(admin, db):
    """A message left by an action (here: logging out) shows in the back office's
    own layout, the login page it leads to."""
    response = admin.logout()
    page = admin.client.get(response.headers["Location"])
    assert 'class="flash flash--success">Vous êtes déconnecté.</p>' in page.text
    assert storefront_parts(page.text) == []


@pytest.mark.parametrize(
    "url", ["/admin/products/999999/edit", "/admin/orders/999999", "/admin/orders/0"]
)
def test_a_missing_row_is_a_404_in_the_admin_layout(admin, db, url):
    response = admin.client.get(url)
    assert response.status_code == 404
    assert "<h1" in response.text and "Page introuvable" in response.text
    assert 'href="/admin/"' in response.text  # back to the dashboard
    assert storefront_parts(response.text) == []


def test_a_404_asked_for_as_json_stays_json(admin, db):
    response = admin.client.get(
        "/admin/campaigns/999999/progress.json", headers={"Accept": "application/json"}
    )
    assert response.status_code == 404
    assert response.is_json


def test_admin_pages_carry_no_inline_style_or_script(app, client, owner, seeded):
    AdminActions(client).login()
    for url in admin_pages(app, seeded):
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        assert " style=" not in response.text, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), url
        assert " onclick=" not in response.text, url


def test_the_paid_order_is_really_paid(app, seeded):
    """The sweep's invoice page needs a paid order: the fixture made one."""
    with app.app_context():
        order = _db.session.get(Order, seeded.order_id)
        assert order.status == OrderStatus.PAID and order.invoice_number
