"""Stripe's cookies on the cookie policy, as third-party technical cookies of the
card payment page, when and only when the shop takes cards (issue 17, point 3)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

STRIPE_COOKIES = ("__stripe_mid", "__stripe_sid")
STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


@pytest.fixture(params=["cards taken", "no cards"])
def takes_cards(request: pytest.FixtureRequest) -> bool:
    return request.param == "cards taken"


@pytest.fixture
def app_config(app_config: dict[str, Any], takes_cards: bool) -> dict[str, Any]:
    """localstripe's settings (tests/payments/conftest.py), or none of the keys."""
    if takes_cards:
        return app_config
    return {**app_config, **dict.fromkeys(STRIPE_KEYS, "")}


def policy_rows(page: str) -> dict[str, list[str]]:
    """The cookie table of /cookies: each cookie's name and its cells' text."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL):
        name = re.search(r'<th scope="row"><code>([^<]+)</code></th>', row)
        if name:
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)
            rows[name.group(1)] = [html.unescape(c).strip() for c in cells]
    return rows


@pytest.mark.parametrize(
    ("lang", "technical", "third_party", "page_words", "year"),
    [
        ("en", "Technical", "stripe.com (third party)",
         "card payment page shows its card field (nowhere else)", "12 months"),
        ("fr", "Techniques", "stripe.com (tiers)", "page de paiement par carte",
         "12 mois"),
    ],
)  # fmt: skip
def test_the_cookie_policy_lists_stripe_cookies_of_the_payment_page(
    client, takes_cards, lang, technical, third_party, page_words, year
):
    rows = policy_rows(client.get(f"/cookies?lang={lang}").text)
    assert "session" in rows, "the cookie table was not found"
    if not takes_cards:
        assert not set(STRIPE_COOKIES) & set(rows)
        return
    for name in STRIPE_COOKIES:
        category, purpose, _, set_by = rows[name]
        assert category == technical
        assert set_by == third_party
        assert page_words in purpose
    assert rows["__stripe_mid"][2] == year


@pytest.mark.parametrize("takes_cards", ["cards taken"], indirect=True)
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_half_hour_stripe_session_cookie_says_so(client, lang):
    rows = policy_rows(client.get(f"/cookies?lang={lang}").text)
    assert rows["__stripe_sid"][2] == "30 minutes"


@pytest.mark.parametrize(
    ("lang", "page_words"),
    [
        ("en", "card payment page shows its card field (nowhere else)"),
        ("fr", "page de paiement par carte"),
    ],
)
def test_cookies_json_lists_stripe_cookies_of_the_payment_page(
    client, takes_cards, lang, page_words
):
    cookies = {
        cookie["name"]: cookie
        for cookie in client.get(f"/cookies.json?lang={lang}").json["cookies"]
    }
    assert "session" in cookies
    if not takes_cards:
        assert not set(STRIPE_COOKIES) & set(cookies)
        return
    for name in STRIPE_COOKIES:
        cookie = cookies[name]
        assert (cookie["category"], cookie["party"]) == ("technical", "third")
        assert cookie["host"] == "stripe.com"
        assert cookie["http_only"] is False  # Stripe.js writes them from script
        assert page_words in cookie["purpose"]
        assert cookie["page"] == "payments.pay"
    assert cookies["__stripe_mid"]["max_age_seconds"] == 365 * 24 * 3600
    assert cookies["__stripe_sid"]["max_age_seconds"] == 30 * 60
