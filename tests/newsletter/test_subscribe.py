"""Signing up: the footer and page forms, double opt-in, the one answer for every
state, bad input and the rate limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from eshop.clock import utcnow
from eshop.newsletter import services
from eshop.newsletter.models import SubscriberStatus

from .conftest import link_in, newsletter_messages, path_of, subscriber


def test_every_page_has_the_signup_form_in_its_footer(client):
    page = client.get("/newsletter").get_data(as_text=True)
    assert 'name="footer-email"' in page
    assert 'action="/newsletter/subscribe"' in page
    assert "one-click unsubscribe" in client.get("/newsletter?lang=en").get_data(
        as_text=True
    )


def test_the_page_speaks_french_by_default(client):
    page = client.get("/newsletter").get_data(as_text=True)
    assert "Votre adresse e-mail" in page
    assert "S’abonner" in page


def test_signing_up_creates_a_pending_subscriber_and_queues_a_confirmation(visitor, db):
    response = visitor.subscribe("Camille@Example.FR", first_name="Camille")

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/newsletter/check-your-inbox")
    person = subscriber("camille@example.fr")
    assert person.status == SubscriberStatus.PENDING
    assert person.first_name == "Camille"
    assert person.source == "page"
    assert person.confirmed_at is None
    [mail] = newsletter_messages("camille@example.fr")
    assert "/newsletter/confirm/" in mail.text_body
    assert "Camille" in mail.text_body


def test_the_footer_form_records_its_source(client, db):
    from .conftest import csrf_token

    token = csrf_token(client)
    response = client.post(
        "/newsletter/subscribe",
        data={
            "footer-csrf_token": token,
            "footer-email": "pied@example.fr",
            "footer-source": "footer",
        },
    )
    assert response.status_code == 303
    assert subscriber("pied@example.fr").source == "footer"


def test_following_the_confirmation_link_confirms_with_proof(visitor, client, db):
    visitor.subscribe("lea@example.fr")
    [mail] = newsletter_messages("lea@example.fr")

    page = client.get(path_of(link_in(mail.text_body, "confirm")))

    assert page.status_code == 200
    assert "Inscription confirmée" in page.get_data(as_text=True)
    person = subscriber("lea@example.fr")
    assert person.status == SubscriberStatus.CONFIRMED
    assert person.confirmed_at is not None
    assert person.source == "page"
    assert person.wording_version == services.WORDING_VERSION


@pytest.mark.parametrize("state", ["new", "pending", "confirmed", "unsubscribed"])
def test_the_answer_is_the_same_whatever_the_state(visitor, client, db, state):
    email = "same@example.fr"
    if state != "new":
        with time_machine.travel(utcnow() - timedelta(hours=2)):
            visitor.subscribe(email)
        if state in ("confirmed", "unsubscribed"):
            [mail] = newsletter_messages(email)
            client.get(path_of(link_in(mail.text_body, "confirm")))
        if state == "unsubscribed":
            person = subscriber(email)
            person.status = SubscriberStatus.UNSUBSCRIBED
            person.unsubscribed_at = utcnow()
            db.session.commit()

    response = visitor.subscribe(email)

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/newsletter/check-your-inbox")
    answer = client.get(response.headers["Location"])
    assert answer.status_code == 200
    assert "Rien reçu ?" in answer.get_data(as_text=True)


def test_a_confirmed_address_gets_no_second_confirmation(visitor, client, db):
    visitor.subscribe("fidele@example.fr")
    [mail] = newsletter_messages("fidele@example.fr")
    client.get(path_of(link_in(mail.text_body, "confirm")))

    with time_machine.travel(utcnow() + timedelta(days=2)):
        visitor.subscribe("fidele@example.fr")

    assert len(newsletter_messages("fidele@example.fr")) == 1
    assert subscriber("fidele@example.fr").status == SubscriberStatus.CONFIRMED


def test_a_pending_address_gets_at_most_one_resend_per_hour(visitor, db):
    start = utcnow()
    with time_machine.travel(start, tick=False):
        visitor.subscribe("hesite@example.fr")
    with time_machine.travel(start + timedelta(minutes=30), tick=False):
        visitor.subscribe("hesite@example.fr")
    assert len(newsletter_messages("hesite@example.fr")) == 1

    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        visitor.subscribe("hesite@example.fr")
    assert len(newsletter_messages("hesite@example.fr")) == 2


def test_an_unsubscribed_address_can_opt_in_again(visitor, client, db):
    visitor.subscribe("retour@example.fr")
    person = subscriber("retour@example.fr")
    person.status = SubscriberStatus.UNSUBSCRIBED
    person.unsubscribed_at = utcnow() - timedelta(days=3)
    db.session.commit()

    visitor.subscribe("retour@example.fr")

    assert subscriber("retour@example.fr").status == SubscriberStatus.PENDING
    latest = newsletter_messages("retour@example.fr")[-1]
    client.get(path_of(link_in(latest.text_body, "confirm")))
    assert subscriber("retour@example.fr").status == SubscriberStatus.CONFIRMED


def test_a_unicode_domain_is_accepted_and_stored_in_the_shops_one_spelling(visitor, db):
    """Unicode domain, as every address the shop stores (eshop/emails.py); the
    punycode spelling is the same subscriber."""
    response = visitor.subscribe("marie@xn--bcher-kva.example")

    assert response.status_code == 303
    assert subscriber("marie@bücher.example") is not None
    [mail] = newsletter_messages("marie@bücher.example")
    assert mail.recipient == "marie@bücher.example"


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "plainaddress",
        "@example.fr",
        "jean@",
        "jean@@example.fr",
        "jean..dupont@example.fr",
        ".jean@example.fr",
        "jean.@example.fr",
        "jean dupont@example.fr",
        '"jean dupont"@example.fr',
        "jean@[127.0.0.1]",
        "jean@localhost",
        "jean@exa_mple.fr",
        "jean@-example.fr",
        "jöhn@example.fr",
        "a" * 65 + "@example.fr",
        "a" * 290 + "@example.fr",
        "jean@" + "b" * 250 + ".fr",
        "jean@example.fr\r\nBcc: victim@example.org",
        "jean@example.fr\nBcc: victim@example.org",
        "jean@example.fr\x00",
    ],
    ids=lambda value: repr(value)[:40],
)
def test_invalid_addresses_are_refused_with_a_message(visitor, db, email):
    response = visitor.subscribe(email)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'class="field-error"' in page
    assert 'aria-invalid="true"' in page
    assert newsletter_messages() == []
    assert services.subscriber_counts()["total"] == 0


@pytest.mark.parametrize(
    "first_name", ["Jean\r\nBcc: victim@example.org", "Jean\nX", "J" * 81]
)
def test_a_bad_first_name_is_refused(visitor, db, first_name):
    response = visitor.subscribe("jean@example.fr", first_name=first_name)

    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert services.subscriber_counts()["total"] == 0
    assert newsletter_messages() == []


@pytest.mark.parametrize("source", ["checkout", "admin", ""])
def test_the_form_cannot_claim_another_source(visitor, db, source):
    response = visitor.subscribe("jean@example.fr", source=source)

    assert response.status_code == 422
    assert services.subscriber_counts()["total"] == 0


def test_the_signup_form_needs_its_csrf_token(client, db):
    response = client.post("/newsletter/subscribe", data={"email": "jean@example.fr"})

    assert response.status_code == 400
    assert services.subscriber_counts()["total"] == 0


def test_repeated_signups_are_rate_limited_with_a_page(visitor, db):
    answers = [visitor.subscribe(f"robot{n}@example.fr").status_code for n in range(6)]

    assert answers[:5] == [303] * 5
    assert answers[5] == 429
    page = visitor.subscribe("robot@example.fr")
    assert page.status_code == 429
    assert 'class="error-page"' in page.get_data(as_text=True)
    assert services.subscriber_counts()["total"] == 5


def test_checkout_subscribes_through_the_same_double_opt_in(app, db):
    """The checkout calls the service inside its own transaction and commits."""
    with app.test_request_context():
        services.request_subscription("client@example.fr", source="checkout")
        db.session.commit()

    person = subscriber("client@example.fr")
    assert person.status == SubscriberStatus.PENDING
    assert person.source == "checkout"
    assert len(newsletter_messages("client@example.fr")) == 1


def test_request_subscription_does_not_commit(app, db):
    services.request_subscription("rollback@example.fr", source="checkout")
    db.session.rollback()

    assert subscriber("rollback@example.fr") is None
    assert newsletter_messages() == []


def test_the_confirmation_mail_speaks_the_language_of_the_signup(client, db):
    from .conftest import CSRF_FIELD

    page = client.get("/newsletter?lang=en").get_data(as_text=True)
    token = CSRF_FIELD.search(page).group(1)
    client.post(
        "/newsletter/subscribe?lang=en",
        data={"csrf_token": token, "email": "emma@example.com", "source": "page"},
    )

    [mail] = newsletter_messages("emma@example.com")
    assert mail.subject == "Please confirm your subscription to the Lavande newsletter"
    assert "To confirm, follow this link" in mail.text_body
    french = services.normalize_email("Zoe@Example.FR")
    assert french == "zoe@example.fr"


def test_a_campaign_footer_speaks_each_subscriber_language(db):
    from eshop.newsletter.models import Subscriber

    for email, language in (("fr@example.fr", "fr"), ("en@example.com", "en")):
        db.session.add(
            Subscriber(
                email=email,
                status=SubscriberStatus.CONFIRMED,
                language=language,
                source="page",
                wording_version=services.WORDING_VERSION,
                confirmed_at=utcnow(),
            )
        )
    db.session.commit()
    campaign = services.create_campaign("Lettre", "Bonjour")

    services.enqueue_campaign(campaign.id)

    [french] = newsletter_messages("fr@example.fr")
    [english] = newsletter_messages("en@example.com")
    assert "Se désinscrire en un clic" in french.html_body
    assert "Unsubscribe in one click" in english.html_body
    assert link_in(french.text_body, "unsubscribe") != link_in(
        english.text_body, "unsubscribe"
    )


def test_a_footer_signup_with_a_bad_address_is_shown_again_once(client, db):
    from .conftest import csrf_token

    response = client.post(
        "/newsletter/subscribe",
        data={
            "footer-csrf_token": csrf_token(client),
            "footer-email": "pas-une-adresse",
            "footer-source": "footer",
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert page.count('id="footer-email"') == 1
    assert 'value="pas-une-adresse"' in page
    assert "ne semble pas valide" in page
