"""Share buttons: no byte from Facebook or Instagram before the visitor says yes."""

from __future__ import annotations

import re

import pytest

from eshop.extensions import db as _db

from .conftest import decide, make_category, make_product

THIRD_PARTY = re.compile(
    r"""(?:src|href|action|srcset|data|poster|content|formaction)\s*=\s*["'][^"']*"""
    r"""(?:facebook\.(?:com|net)|instagram\.com|fbcdn\.net|cdninstagram\.com|fbsbx)""",
    re.IGNORECASE,
)
FACEBOOK_FRAME = "https://www.facebook.com/plugins/share_button.php"


@pytest.fixture
def product_path(app) -> str:
    with app.app_context():
        make_product(make_category(), sponsored=True, slug="huile-fine")
        make_product(make_category("savons"), sponsored=True, slug="savon")
        _db.session.commit()
    return "/products/huile-fine"


def storefront_paths(app) -> list[str]:
    """Every GET route that needs no argument, plus a product page."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
            paths.append(rule.rule)
    return sorted(set(paths))


@pytest.mark.parametrize("decision", [None, (), ("audience", "advertising")])
def test_without_sharing_consent_no_page_references_facebook_or_instagram(
    app, client, product_path, decision
):
    if decision is not None:
        decide(client, *decision)
    for path in [*storefront_paths(app), product_path, product_path + "?lang=en"]:
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert not THIRD_PARTY.search(html), path
        csp = response.headers.get("Content-Security-Policy", "")
        assert "facebook" not in csp and "instagram" not in csp, path


def test_without_consent_the_product_page_shows_the_local_placeholder(
    client, product_path
):
    html = client.get(product_path).text
    assert 'class="share"' in html
    assert "consent-embed" in html  # the consent domain's enable button
    assert 'name="category" value="sharing"' in html


def test_with_sharing_consent_the_product_page_loads_the_real_buttons(
    client, product_path
):
    decide(client, "sharing")
    response = client.get(product_path)
    assert FACEBOOK_FRAME in response.text
    assert "https://www.instagram.com/" in response.text
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["frame-src"].split() == [
        "https://www.facebook.com",
        "https://www.instagram.com",
    ]
    assert policy["script-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"


def test_with_sharing_consent_other_pages_keep_the_strict_policy(client, product_path):
    decide(client, "sharing")
    response = client.get("/")
    assert "frame-src 'none'" in response.headers["Content-Security-Policy"]
