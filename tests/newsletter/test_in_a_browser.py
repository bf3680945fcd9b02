"""The footer signup and the unsubscribe button in a real browser, JavaScript off:
the forms work as plain HTML, under the shop's strict CSP."""

from __future__ import annotations

import pytest

from eshop.newsletter import tokens
from eshop.newsletter.models import SubscriberStatus

from .conftest import subscriber

pytestmark = pytest.mark.browser


def test_sign_up_in_the_footer_then_leave_with_one_button(
    app, live_server, chromium, artifacts, db
):
    context = chromium.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/newsletter")
        footer = page.locator(".newsletter-footer")
        footer.get_by_label("Votre adresse e-mail").fill("navigateur@example.fr")
        footer.get_by_label("Prénom (facultatif)").fill("Noé")
        footer.screenshot(path=str(artifacts / "newsletter-footer-form.png"))
        footer.get_by_role("button", name="S’abonner").click()

        assert page.url.endswith("/newsletter/check-your-inbox")
        assert page.locator("h1").inner_text()
        page.screenshot(path=str(artifacts / "newsletter-check-inbox.png"))
        person = subscriber("navigateur@example.fr")
        assert person.status == SubscriberStatus.PENDING
        assert person.source == "footer"

        link = tokens.make_unsubscribe_token(person.id, person.email)
        page.goto(f"{live_server}/newsletter/unsubscribe/{link}")
        page.screenshot(path=str(artifacts / "newsletter-unsubscribe.png"))
        page.get_by_role("button", name="Se désinscrire").click()

        assert "Vous êtes désinscrit" in page.locator("h1").inner_text()
        assert subscriber("navigateur@example.fr").status == (
            SubscriberStatus.UNSUBSCRIBED
        )
    finally:
        context.close()
