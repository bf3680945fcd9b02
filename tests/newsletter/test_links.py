"""Confirmation and unsubscribe links: genuine ones work, altered, expired and
wrong-purpose ones are refused with a clear page; leaving takes one click."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from eshop.clock import utcnow
from eshop.mail.models import OutboxMessage, OutboxStatus
from eshop.newsletter import services, tokens
from eshop.newsletter.models import SubscriberStatus

from .conftest import link_in, newsletter_messages, path_of, subscriber


@pytest.fixture
def pending(visitor, db):
    """A visitor who signed up: (email, path of the confirmation link)."""
    visitor.subscribe("anne@example.fr")
    [mail] = newsletter_messages("anne@example.fr")
    return "anne@example.fr", path_of(link_in(mail.text_body, "confirm"))


def unsubscribe_path(app, email: str) -> str:
    person = subscriber(email)
    with app.app_context():
        return (
            f"/newsletter/unsubscribe/{tokens.make_unsubscribe_token(person.id, email)}"
        )


def tampered(path: str) -> str:
    head, _, token = path.rpartition("/")
    payload, _, signature = token.rpartition(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return f"{head}/{payload}.{flipped}"


def test_an_altered_confirmation_link_is_refused(pending, client):
    email, path = pending

    page = client.get(tampered(path))

    assert page.status_code == 400
    assert "Ce lien de confirmation n’est pas valide." in page.get_data(as_text=True)
    assert subscriber(email).status == SubscriberStatus.PENDING


@pytest.mark.parametrize("token", ["x", "abc.def.ghi", "%00", "a" * 500])
def test_garbage_tokens_are_refused(client, db, token):
    assert client.get(f"/newsletter/confirm/{token}").status_code == 400
    assert client.get(f"/newsletter/unsubscribe/{token}").status_code == 400
    assert client.post(f"/newsletter/unsubscribe/{token}").status_code == 400


def test_an_expired_confirmation_link_is_refused(pending, client, app):
    email, path = pending
    days = app.config.get("NEWSLETTER_TOKEN_MAX_AGE_DAYS", 7)

    with time_machine.travel(utcnow() + timedelta(days=days, minutes=1)):
        page = client.get(path)

    assert page.status_code == 410
    assert "a expiré" in page.get_data(as_text=True)
    assert subscriber(email).status == SubscriberStatus.PENDING


def test_a_confirmation_link_within_its_lifetime_works(pending, client):
    email, path = pending

    with time_machine.travel(utcnow() + timedelta(days=6, hours=23)):
        assert client.get(path).status_code == 200

    assert subscriber(email).status == SubscriberStatus.CONFIRMED


def test_a_confirmation_link_cannot_unsubscribe(pending, client):
    email, path = pending
    client.get(path)
    token = path.rpartition("/")[2]

    assert client.get(f"/newsletter/unsubscribe/{token}").status_code == 400
    assert client.post(f"/newsletter/unsubscribe/{token}").status_code == 400
    assert subscriber(email).status == SubscriberStatus.CONFIRMED


def test_an_unsubscribe_link_cannot_confirm(pending, client, app):
    email, _ = pending
    path = unsubscribe_path(app, email)
    token = path.rpartition("/")[2]

    page = client.get(f"/newsletter/confirm/{token}")

    assert page.status_code == 400
    assert subscriber(email).status == SubscriberStatus.PENDING


def test_a_link_signed_with_another_key_is_refused(pending, client, app):
    email, _ = pending
    person = subscriber(email)
    with app.app_context():
        app.config["SECRET_KEY"] = "someone-else"
        forged = tokens.make_unsubscribe_token(person.id, email)
        app.config["SECRET_KEY"] = "lavande-testing-key"

    assert client.post(f"/newsletter/unsubscribe/{forged}").status_code == 400
    assert subscriber(email).status == SubscriberStatus.PENDING


def test_links_survive_a_key_rotation(pending, client, app):
    email, path = pending
    app.config["SECRET_KEY_FALLBACKS"] = [app.config["SECRET_KEY"]]
    app.config["SECRET_KEY"] = "the-new-key"

    assert client.get(path).status_code == 200
    assert subscriber(email).status == SubscriberStatus.CONFIRMED


def test_confirming_twice_is_harmless(pending, client):
    email, path = pending
    client.get(path)
    first = subscriber(email).confirmed_at

    assert client.get(path).status_code == 200
    assert subscriber(email).confirmed_at == first


def test_an_old_confirmation_link_does_not_undo_leaving(pending, client, app):
    email, path = pending
    client.get(path)
    client.post(unsubscribe_path(app, email))

    page = client.get(path)

    assert page.status_code == 400
    assert subscriber(email).status == SubscriberStatus.UNSUBSCRIBED


def test_the_unsubscribe_page_shows_one_button_and_changes_nothing(
    pending, client, app
):
    email, path = pending
    client.get(path)
    unsubscribe = unsubscribe_path(app, email)

    page = client.get(unsubscribe)

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'action="{unsubscribe}"' in html
    assert "Se désinscrire</button>" in html
    assert subscriber(email).status == SubscriberStatus.CONFIRMED


def test_one_click_unsubscribe_needs_no_cookie_and_no_csrf(pending, app):
    email, path = pending
    app.test_client().get(path)
    fresh = app.test_client(use_cookies=False)

    response = fresh.post(
        unsubscribe_path(app, email),
        data={"List-Unsubscribe": "One-Click"},
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Location" not in response.headers
    assert "Vous êtes désinscrit" in response.get_data(as_text=True)
    person = subscriber(email)
    assert person.status == SubscriberStatus.UNSUBSCRIBED
    assert person.unsubscribed_at is not None


def test_leaving_twice_is_harmless(pending, client, app):
    email, path = pending
    client.get(path)
    unsubscribe = unsubscribe_path(app, email)
    client.post(unsubscribe)
    left_at = subscriber(email).unsubscribed_at

    assert client.post(unsubscribe).status_code == 200
    assert subscriber(email).unsubscribed_at == left_at


def test_the_link_of_an_erased_address_answers_done(pending, client, app, db):
    email, _ = pending
    unsubscribe = unsubscribe_path(app, email)
    db.session.delete(subscriber(email))
    db.session.commit()

    assert client.post(unsubscribe).status_code == 200


def test_leaving_cancels_newsletter_mail_not_yet_sent(pending, client, app, db):
    email, path = pending
    client.get(path)
    campaign = services.create_campaign("Récolte", "La récolte commence.")
    services.enqueue_campaign(campaign.id)
    order_mail = OutboxMessage(
        dedupe_key="order:1",
        purpose="order",
        sender="shop@example.fr",
        recipient=email,
        subject="Votre commande",
        text_body="Merci",
    )
    db.session.add(order_mail)
    db.session.commit()

    client.post(unsubscribe_path(app, email))

    db.session.expire_all()
    statuses = {
        row.purpose: row.status
        for row in db.session.execute(
            select(OutboxMessage).where(OutboxMessage.dedupe_key.like("newsletter:%"))
        ).scalars()
    }
    assert statuses == {"newsletter": OutboxStatus.CANCELLED}
    assert db.session.get(OutboxMessage, order_mail.id).status == OutboxStatus.QUEUED
    stats = services.campaign_stats(campaign.id)
    assert stats["cancelled"] == 1
    assert stats["unsubscribed_since"] == 1
