"""The whole life of a subscription, through a real SMTP server and the outbox
worker: sign up, confirm, receive, leave in one click, receive nothing more."""

from __future__ import annotations

from email.header import decode_header, make_header
from email.message import Message

from eshop.mail.models import OutboxMessage
from eshop.mail.worker import flush
from eshop.newsletter import services
from eshop.newsletter.models import SubscriberStatus
from eshop.orders.models import Order

from .conftest import csrf_token, link_in, path_of, subscriber


def text_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset())
    raise AssertionError("no text part")


def html_of(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/html":
            return part.get_payload(decode=True).decode(part.get_content_charset())
    raise AssertionError("no HTML part")


def send_campaign(subject: str, body: str) -> None:
    campaign = services.create_campaign(subject, body)
    services.enqueue_campaign(campaign.id)
    flush()


def test_subscribe_confirm_receive_leave_in_one_click(app, client, db, smtp):
    email = "juliette@example.fr"
    # Given a visitor who signs up in the footer
    client.post(
        "/newsletter/subscribe",
        data={
            "footer-csrf_token": csrf_token(client),
            "footer-email": email,
            "footer-first_name": "Juliette",
            "footer-source": "footer",
        },
    )
    flush()
    [confirmation] = smtp.to(email)
    assert "Juliette" in text_of(confirmation)

    # When she follows the link in the email she received
    page = client.get(path_of(link_in(text_of(confirmation), "confirm")))
    assert page.status_code == 200
    assert subscriber(email).status == SubscriberStatus.CONFIRMED
    assert subscriber(email).source == "footer"

    # Then the next campaign reaches her, with the list headers of RFC 2369 / 8058
    send_campaign("La récolte", "# Bonjour\n\nLa **lavande** est coupée.")
    letter = smtp.to(email)[-1]
    assert str(make_header(decode_header(letter["Subject"]))) == "La récolte"
    assert letter["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert letter["List-Id"] == "Lavande <newsletter.lavande.example>"
    http_part, mailto_part = letter["List-Unsubscribe"].split(", ")
    assert http_part.startswith("<http://localhost/newsletter/unsubscribe/")
    assert mailto_part.startswith("<mailto:")
    assert "<strong>lavande</strong>" in html_of(letter)
    assert "La **lavande** est coupée." in text_of(letter)

    # When her mail client POSTs the header's URL, with no cookie and no CSRF token
    one_click = app.test_client(use_cookies=False).post(
        path_of(http_part.strip("<>")),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert one_click.status_code == 200
    assert subscriber(email).status == SubscriberStatus.UNSUBSCRIBED

    # Then the next campaign does not reach her
    received = len(smtp.to(email))
    send_campaign("Les nouveautés", "Du miel.")
    assert len(smtp.to(email)) == received


def test_leaving_stops_a_campaign_already_queued(app, client, db, smtp):
    email = "paul@example.fr"
    services.request_subscription(email, source="page")
    db.session.commit()
    flush()
    client.get(path_of(link_in(text_of(smtp.to(email)[0]), "confirm")))
    campaign = services.create_campaign("Lettre", "Bonjour")
    services.enqueue_campaign(campaign.id)

    letter = db.session.execute(
        db.select(OutboxMessage).where(
            OutboxMessage.dedupe_key == f"newsletter:{campaign.id}:1"
        )
    ).scalar_one()
    url = link_in(letter.text_body, "unsubscribe")
    app.test_client(use_cookies=False).post(path_of(url))
    flush()

    assert len(smtp.to(email)) == 1  # the confirmation only
    assert services.campaign_stats(campaign.id)["cancelled"] == 1


def test_a_customer_who_did_not_tick_the_box_never_gets_a_campaign(db, smtp):
    db.session.add(
        Order(
            number="2026-00001",
            public_id="p" * 43,
            checkout_token="t" * 32,
            payment_method="transfer",
            shipping_method="colissimo",
            subtotal_cents=1500,
            shipping_cents=500,
            total_cents=2000,
            email="acheteur@example.fr",
            full_name="Jean Acheteur",
            street="1 rue des Lilas",
            postal_code="84000",
            city="Avignon",
            country="FR",
        )
    )
    db.session.commit()
    services.request_subscription("abonne@example.fr", source="page")
    db.session.commit()
    flush()
    confirmation = smtp.to("abonne@example.fr")[0]
    from flask import current_app

    with current_app.test_client() as visitor:
        visitor.get(path_of(link_in(text_of(confirmation), "confirm")))

    send_campaign("Lettre", "Bonjour")

    assert smtp.to("acheteur@example.fr") == []
    assert len(smtp.to("abonne@example.fr")) == 2
    stats = services.campaign_stats(services.list_campaigns()[0].id)
    assert stats["sent"] == 1 and stats["queued"] == 0
