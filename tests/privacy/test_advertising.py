"""The sponsored block: personalised and capped only with advertising consent."""

from __future__ import annotations

import re

import pytest

from eshop.extensions import db as _db
from eshop.privacy.advertising import FREQUENCY_CAP

from .conftest import decide, make_category, make_product, optional_cookies_set


@pytest.fixture
def catalogue(app) -> dict[str, str]:
    """Two categories, a sponsored product in each, and a plain product."""
    with app.app_context():
        oils, soaps = make_category("huiles"), make_category("savons")
        make_product(oils, sponsored=True, slug="huile-sponsor", name_fr="Huile S")
        make_product(soaps, sponsored=True, slug="savon-sponsor", name_fr="Savon S")
        make_product(soaps, slug="savon-simple", name_fr="Savon simple")
        _db.session.commit()
    return {"oil": "huile-sponsor", "soap": "savon-sponsor"}


def sponsored_slugs(html: str) -> list[str]:
    block = re.search(r'<section class="sponsored".*?</section>', html, re.S)
    if block is None:
        return []
    return re.findall(r'href="/products/([a-z0-9-]+)', block.group(0))


def test_without_consent_everyone_sees_the_same_block_and_gets_no_cookie(
    client, catalogue
):
    for _ in range(FREQUENCY_CAP + 2):
        response = client.get("/")
        assert sponsored_slugs(response.text) == ["huile-sponsor", "savon-sponsor"]
        assert optional_cookies_set(response) == []
    assert client.get_cookie("ads") is None


def test_refusing_advertising_sets_no_ads_cookie(client, catalogue):
    decide(client, "audience", "sharing")
    for path in ("/", "/products/savon-simple", "/"):
        response = client.get(path)
        assert "ads" not in optional_cookies_set(response)
    assert client.get_cookie("ads") is None


def test_the_frequency_cap_holds_across_visits(client, catalogue):
    decide(client, "advertising")
    for visit in range(FREQUENCY_CAP):
        shown = sponsored_slugs(client.get("/").text)
        assert sorted(shown) == ["huile-sponsor", "savon-sponsor"], visit
    assert client.get_cookie("ads") is not None
    assert sponsored_slugs(client.get("/").text) == []
    # a product page counts too, and still shows nothing already seen 3 times
    assert sponsored_slugs(client.get("/products/savon-simple").text) == []


def test_the_ads_cookie_keeps_its_first_expiry(client, catalogue):
    decide(client, "advertising")
    first = [h for h in client.get("/").headers.getlist("Set-Cookie") if "ads=" in h]
    second = [h for h in client.get("/").headers.getlist("Set-Cookie") if "ads=" in h]
    expires = [re.search(r"Expires=([^;]+)", h[0]).group(1) for h in (first, second)]
    assert expires[0] == expires[1]


def test_with_consent_the_block_puts_viewed_categories_first(client, catalogue):
    decide(client, "advertising")
    assert sponsored_slugs(client.get("/").text)[0] == "huile-sponsor"
    client.get("/products/savon-simple")  # interest in soaps
    assert sponsored_slugs(client.get("/").text)[0] == "savon-sponsor"


def test_a_product_page_does_not_sponsor_itself(client, catalogue):
    html = client.get("/products/huile-sponsor").text
    assert sponsored_slugs(html) == ["savon-sponsor"]


def test_pages_of_products_not_sponsored_share_one_kept_block(app, client, catalogue):
    from eshop.catalog.cache import fragment_cache

    client.get("/")
    plain = client.get("/products/savon-simple").text
    client.get("/products/huile-sponsor")

    assert sponsored_slugs(plain) == ["huile-sponsor", "savon-sponsor"]
    with app.app_context():
        keys = [key for _stamp, key in fragment_cache().entries.entries]
    kept = [key for key in keys if key[0] == "sponsored-block"]
    assert sorted(key[-1] is None for key in kept) == [False, True]


def test_a_forged_ads_cookie_is_ignored(client, catalogue):
    decide(client, "advertising")
    client.set_cookie("ads", "garbage")
    assert sorted(sponsored_slugs(client.get("/").text)) == [
        "huile-sponsor",
        "savon-sponsor",
    ]
