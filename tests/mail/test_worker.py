"""The worker: real SMTP delivery, one connection per batch, retries, .eml files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, update

from eshop.clock import utcnow
from eshop.extensions import db as _db
from eshop.mail import enqueue, worker
from eshop.mail.models import OutboxMessage, OutboxStatus
from tests.conftest import SMTPSink, _CollectingHandler, free_port

from .conftest import point_mail_at


def row(message_id: int) -> OutboxMessage:
    _db.session.expire_all()
    return _db.session.get_one(OutboxMessage, message_id)


def test_a_queued_mail_reaches_the_smtp_server_with_its_headers(smtp, queue_note):
    message = queue_note(to="camille@example.com", subject="Votre commande été")

    report = worker.flush()

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    [received] = smtp.to("camille@example.com")
    assert received["To"] == "camille@example.com"
    assert "commandes@lavande.example" in received["From"]
    decoded = message_from_bytes(received.as_bytes(), policy=policy.default)
    assert decoded["Subject"] == "Votre commande été"
    assert received["Message-ID"].startswith(f"<outbox.{message.id}.")
    assert parsedate_to_datetime(received["Date"]) is not None
    text = decoded.get_body(("plain",)).get_content()
    html = decoded.get_body(("html",)).get_content()
    assert "Bonjour Camille" in text
    assert "<p>Bonjour Camille" in html
    sent = row(message.id)
    assert sent.status == OutboxStatus.SENT
    assert sent.attempts == 1
    assert sent.sent_at is not None


def test_a_newsletter_goes_out_from_its_own_address_with_list_headers(smtp, queue_note):
    queue_note(
        to="reader@example.com",
        purpose="newsletter",
        headers={
            "List-Unsubscribe": "<http://localhost/newsletter/unsubscribe/tok>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": "Lavande <lettre.lavande.example>",
        },
    )

    worker.flush()

    [received] = smtp.to("reader@example.com")
    assert "lettre@lavande.example" in received["From"]
    assert received["List-Unsubscribe"] == (
        "<http://localhost/newsletter/unsubscribe/tok>"
    )
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert received["List-Id"] == "Lavande <lettre.lavande.example>"


def test_a_batch_goes_over_one_smtp_connection(smtp, queue_note):
    for _ in range(30):
        queue_note()

    report = worker.flush()

    assert report.sent == 30
    assert len(smtp.messages) == 30
    assert smtp.connections == 1


def test_one_connection_per_batch_when_there_are_several_batches(app, smtp, queue_note):
    app.config["OUTBOX_BATCH_SIZE"] = 10
    for _ in range(25):
        queue_note()

    report = worker.flush()

    assert report.sent == 25
    assert smtp.connections == 3


def test_flush_stops_at_its_limit(smtp, queue_note):
    for _ in range(5):
        queue_note()

    assert worker.flush(limit=2).sent == 2
    assert worker.flush().sent == 3
    assert len(smtp.messages) == 5


def test_order_mail_goes_before_a_waiting_campaign(smtp, queue_note):
    queue_note(purpose="newsletter", to="reader@example.com")
    queue_note(purpose="order", to="buyer@example.com")

    worker.flush(limit=1)

    assert [m["To"] for m in smtp.messages] == ["buyer@example.com"]


def test_mail_waits_while_the_server_is_down_and_is_delivered_once_it_is_back(
    app, db, queue_note, request
):
    """Given no SMTP server listening, when the worker flushes, then the message
    stays queued with a backoff; once a server is up, it is delivered once."""
    point_mail_at(app, "127.0.0.1", free_port())
    message = queue_note(to="patient@example.com")

    down = worker.flush()

    assert (down.sent, down.retried) == (0, 1)
    waiting = row(message.id)
    assert waiting.status == OutboxStatus.QUEUED
    assert waiting.attempts == 1
    assert "Connection" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=55)
    assert worker.flush().handled == 0  # not due yet

    server: SMTPSink = request.getfixturevalue("smtp_server")
    point_mail_at(app, server.host, server.port)
    with time_machine.travel(utcnow() + timedelta(minutes=2), tick=False):
        back = worker.flush()
        again = worker.flush()

    assert back.sent == 1
    assert again.handled == 0
    assert len(server.to("patient@example.com")) == 1
    assert row(message.id).status == OutboxStatus.SENT
    assert row(message.id).attempts == 2


def test_after_the_last_attempt_a_message_is_failed_with_its_error(app, db, queue_note):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 3
    point_mail_at(app, "127.0.0.1", free_port())
    message = queue_note()
    waits = []

    now = utcnow()
    for _ in range(3):
        with time_machine.travel(now, tick=False):
            worker.flush()
        waits.append(row(message.id).next_attempt_at - now)
        now = row(message.id).next_attempt_at

    failed = row(message.id)
    assert failed.status == OutboxStatus.FAILED
    assert failed.attempts == 3
    assert "ConnectionRefusedError" in failed.last_error
    assert waits[:2] == [timedelta(minutes=1), timedelta(minutes=4)]  # x4 backoff


class RejectingHandler(_CollectingHandler):
    """Refuses some recipients: "bounce…" for good (550), "busy…" for now (451);
    a message to "shutdown…" gets the server closing the channel (421)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address.startswith("bounce"):
            return "550 5.1.1 No such user"
        if address.startswith("busy"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        if any(address.startswith("shutdown") for address in envelope.rcpt_tos):
            return "421 4.3.2 Service shutting down"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def picky_smtp(app) -> Iterator[SMTPSink]:
    from aiosmtpd.controller import Controller

    sink = SMTPSink("127.0.0.1", free_port())
    controller = Controller(RejectingHandler(sink), hostname=sink.host, port=sink.port)
    controller.start()
    point_mail_at(app, sink.host, sink.port)
    try:
        yield sink
    finally:
        controller.stop()


def test_a_refused_recipient_fails_at_once_and_the_batch_goes_on(
    db, picky_smtp, queue_note
):
    bounce = queue_note(to="bounce@example.com")
    busy = queue_note(to="busy@example.com")
    fine = queue_note(to="fine@example.com")

    report = worker.flush()

    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    assert row(bounce.id).status == OutboxStatus.FAILED
    assert "550" in row(bounce.id).last_error
    assert row(busy.id).status == OutboxStatus.QUEUED
    assert row(fine.id).status == OutboxStatus.SENT
    assert len(picky_smtp.to("fine@example.com")) == 1
    assert picky_smtp.connections == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", "Hello\r\nBcc: everyone@example.com"),
        ("recipient", "victim@example.com\nBcc: everyone@example.com"),
        ("sender", "shop@example.com\rBcc: everyone@example.com"),
        ("headers", {"List-Id": "x\r\nBcc: everyone@example.com"}),
        ("headers", {"Bcc": "everyone@example.com"}),
    ],
)
def test_a_row_with_a_line_break_in_a_header_is_never_sent(
    db, smtp, queue_note, field, value
):
    """Given a row changed behind enqueue's back, the worker checks again."""
    message = queue_note()
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(**{field: value})
    )
    db.session.commit()

    report = worker.flush()

    assert report.failed == 1
    assert smtp.messages == []
    assert "HeaderInjection" in row(message.id).last_error


def test_without_a_mail_server_messages_become_eml_files(app, db, queue_note):
    message = queue_note(to="first-time@example.com", subject="Votre commande")

    report = worker.flush()

    assert report.sent == 1
    [eml] = (Path(app.instance_path) / "mail").glob("*.eml")
    written = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert written["To"] == "first-time@example.com"
    assert written["Subject"] == "Votre commande"
    assert "Bonjour Camille" in written.get_body(("plain",)).get_content()
    assert row(message.id).status == OutboxStatus.SENT


def test_a_crashed_workers_stale_claim_is_taken_back(db, smtp, queue_note):
    stale = queue_note(to="stale@example.com")
    fresh = queue_note(to="fresh@example.com")
    for message, minutes in ((stale, 11), (fresh, 1)):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message.id)
            .values(
                status=OutboxStatus.SENDING,
                claim_token="crashed-worker",
                claimed_at=utcnow() - timedelta(minutes=minutes),
            )
        )
    db.session.commit()

    report = worker.flush()

    assert report.sent == 1
    assert [m["To"] for m in smtp.messages] == ["stale@example.com"]
    assert row(fresh.id).status == OutboxStatus.SENDING


def test_sent_messages_are_not_sent_again(smtp, queue_note):
    queue_note()
    worker.flush()
    worker.flush()

    assert len(smtp.messages) == 1
    assert _db.session.execute(select(OutboxMessage.status)).scalars().all() == [
        OutboxStatus.SENT
    ]


def test_long_and_accented_headers_arrive_intact(smtp, queue_note):
    """A long List-Unsubscribe URL stays one usable URL; accents are encoded."""
    url = "<http://localhost/newsletter/unsubscribe/" + "a1B2-c3_d4" * 20 + ">"
    subject = "Lettre d'hiver : lavande, miel et savons de Provence — été " * 3
    queue_note(
        purpose="newsletter",
        subject=subject.strip(),
        headers={"List-Unsubscribe": url, "X-Campagne": "Noël à Grasse"},
    )

    worker.flush()

    [received] = smtp.messages
    decoded = message_from_bytes(
        smtp.envelopes[0].original_content, policy=policy.default
    )
    assert received["List-Unsubscribe"] == url
    assert decoded["Subject"] == subject.strip()
    assert decoded["X-Campagne"] == "Noël à Grasse"
    assert all(
        len(line) <= 998 for line in smtp.envelopes[0].original_content.split(b"\r\n")
    )


def test_a_body_line_longer_than_smtp_allows_is_sent_quoted_printable(app, db, smtp):
    """A long HTML paragraph on one line would break SMTP's 998-octet limit."""
    paragraph = "<p>" + "Lavande fine de Haute-Provence, récoltée à la main. " * 80
    enqueue(
        to="reader@example.com",
        subject="Lettre",
        template="mail/test_note",
        context={"name": "Camille", "number": 1},
        purpose="newsletter",
        dedupe_key="long-line",
    )
    db.session.execute(update(OutboxMessage).values(html_body=paragraph))
    db.session.commit()

    assert worker.flush().sent == 1

    raw = smtp.envelopes[0].original_content
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    decoded = message_from_bytes(raw, policy=policy.default)
    assert decoded.get_body(("html",)).get_content().strip() == paragraph.strip()
    assert "Bonjour Camille" in decoded.get_body(("plain",)).get_content()


def test_a_message_queued_for_later_waits_for_its_time(smtp, queue_note):
    later = utcnow() + timedelta(hours=1)
    queue_note(send_after=later)

    assert worker.flush().handled == 0
    with time_machine.travel(later + timedelta(seconds=1), tick=False):
        assert worker.flush().sent == 1
    assert len(smtp.messages) == 1


def test_a_server_closing_mid_batch_leaves_the_rest_queued(db, picky_smtp, queue_note):
    first = queue_note(to="first@example.com")
    rest = [queue_note(to=f"{name}@example.com") for name in ("shutdown", "c", "d")]

    report = worker.flush()

    assert (report.sent, report.retried) == (1, 3)
    assert row(first.id).status == OutboxStatus.SENT
    for message in rest:
        assert row(message.id).status == OutboxStatus.QUEUED
        assert row(message.id).attempts == 1
    assert [m["To"] for m in picky_smtp.messages] == ["first@example.com"]
