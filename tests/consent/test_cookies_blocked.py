"""A browser that blocks cookies gets told so, not "this form has expired" (issue 12,
point 8): the page lists the technical cookies from the registry and how to allow
them, in French and in English."""

from __future__ import annotations

import pytest

from eshop.consent.registry import Category


@pytest.mark.parametrize(
    ("lang", "title", "how"),
    [
        ("fr", "Votre navigateur bloque les cookies", "pour ce site seulement"),
        ("en", "Your browser is blocking cookies", "for this site only"),
    ],
)
@pytest.mark.parametrize("path", ["/cart/add", "/newsletter/subscribe", "/checkout"])
def test_a_form_posted_without_any_cookie_explains_blocked_cookies(
    app, path, lang, title, how
):
    client = app.test_client(use_cookies=False)
    response = client.post(f"{path}?lang={lang}", data={"product_id": "1"})
    assert response.status_code == 400
    assert title in response.text
    assert how in response.text
    with app.app_context():
        from eshop import consent

        technical = consent.registry().in_category(Category.TECHNICAL)
        for spec in technical:
            if spec.party == "first":
                assert f"<code>{spec.name}</code>" in response.text
                assert str(spec.purpose(lang)).split("(")[0][:30] in response.text


def test_a_form_with_cookies_but_no_token_still_says_expired(app):
    client = app.test_client()
    client.get("/?lang=en")
    client.set_cookie("probe", "1")
    response = client.post("/cart/add?lang=en", data={"product_id": "1"})
    assert response.status_code == 400
    assert "blocking cookies" not in response.text
