"""The cookie policy page and its machine-readable twin, built from the registry."""

from __future__ import annotations

import pytest

from eshop import ConfigurationError, create_app
from eshop.consent.registry import RegistryError


def test_policy_json_lists_every_registered_cookie(app, client):
    registry = app.extensions["lavande.consent"]
    body = client.get("/cookies.json?lang=en").get_json()
    assert body["policy_version"] == registry.policy_version
    assert [c["name"] for c in body["cookies"]] == [spec.name for spec in registry]
    by_name = {c["name"]: c for c in body["cookies"]}
    assert by_name["cart"] == {
        "name": "cart",
        "category": "technical",
        "purpose": "Holds the products in your cart and their quantities.",
        "max_age_seconds": 30 * 86400,
        "party": "first",
        "host": None,
        "http_only": True,
        "page": None,
    }
    assert by_name["session"]["max_age_seconds"] is None
    assert by_name["datr"]["party"] == "third"
    assert by_name["datr"]["host"] == "facebook.com"
    assert all(
        c["max_age_seconds"] is None or c["max_age_seconds"] <= 390 * 86400
        for c in body["cookies"]
    )


def test_policy_json_purposes_follow_the_language(client):
    french = client.get("/cookies.json").get_json()["cookies"]
    assert french[2]["purpose"].startswith("Contient les produits")


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("fr", ["Nos engagements", "13 mois", "Durée", "Tiers", "Finalité"]),
        ("en", ["Our promises", "13 months", "Lifetime", "third party", "Purpose"]),
    ],
)
def test_policy_page_wraps_the_registry_table_in_the_owners_text(
    app, client, lang, words
):
    html = client.get(f"/cookies?lang={lang}").get_data(as_text=True)
    for word in words:
        assert word.lower() in html.lower()
    for spec in app.extensions["lavande.consent"]:
        assert f"<code>{spec.name}</code>" in html
    assert app.extensions["lavande.consent"].policy_version in html


def test_a_consent_lifetime_over_13_months_stops_the_app(tmp_path):
    with pytest.raises((RegistryError, ConfigurationError)):
        create_app({"CONSENT_MAX_AGE_DAYS": 400, "INSTANCE_PATH": str(tmp_path)})


def test_lifetimes_are_written_in_the_page_language(client):
    french = client.get("/consent").get_data(as_text=True)
    assert "6 mois" in french and "30 jours" in french and "13 mois" in french
    english = client.get("/consent?lang=en").get_data(as_text=True)
    assert "6 months" in english and "30 days" in english
