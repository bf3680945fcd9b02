"""enqueue(): a row in the caller's transaction, rendered, deduplicated, safe."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from eshop.extensions import db as _db
from eshop.mail import HeaderInjection, enqueue
from eshop.mail.models import OutboxMessage, OutboxStatus
from eshop.mail.services import RenderedMail, enqueue_many


def outbox_rows() -> list[OutboxMessage]:
    return list(_db.session.execute(select(OutboxMessage)).scalars())


def test_enqueue_renders_text_and_html_in_the_shop_layout(queue_note):
    message = queue_note(to="camille@example.com", subject="Votre note")

    assert message.status == OutboxStatus.QUEUED
    assert message.recipient == "camille@example.com"
    assert "Bonjour Camille" in message.text_body
    assert "Lavande" in message.text_body  # the layout's signature
    assert "<p>Bonjour Camille" in message.html_body
    assert 'href="http://localhost"' in message.html_body  # PUBLIC_BASE_URL


def test_order_and_newsletter_mail_have_their_own_sender(app, queue_note):
    order = queue_note(purpose="order")
    letter = queue_note(purpose="newsletter")

    assert order.sender == app.config["MAIL_ORDER_SENDER"]
    assert letter.sender == app.config["MAIL_NEWSLETTER_SENDER"]
    assert order.sender != letter.sender


def test_enqueue_belongs_to_the_callers_transaction(db):
    enqueue(
        to="a@example.com",
        subject="Hello",
        template="mail/test_note",
        context={"name": "A", "number": 1},
        purpose="order",
        dedupe_key="rolled-back",
    )
    db.session.rollback()

    assert outbox_rows() == []


def test_the_same_dedupe_key_queues_one_message(queue_note):
    first = queue_note(dedupe_key="order:42:confirmation")
    again = queue_note(dedupe_key="order:42:confirmation", subject="Other")

    assert again.id == first.id
    assert [row.subject for row in outbox_rows()] == [first.subject]


def test_a_concurrent_duplicate_waits_and_keeps_the_callers_other_work(app, db):
    """Given a transaction that queued a key and has not committed yet, when another
    transaction queues the same key (and other work), then it waits, gets the
    first message back, and its other work is kept."""
    note = {"template": "mail/test_note", "context": {"name": "A", "number": 1}}
    enqueue(to="a@example.com", subject="First", purpose="order",
            dedupe_key="race", **note)  # fmt: skip
    results: list[str] = []

    def other_transaction() -> None:
        with app.app_context():
            enqueue(to="b@example.com", subject="Mine", purpose="order",
                    dedupe_key="other", **note)  # fmt: skip
            duplicate = enqueue(to="a@example.com", subject="Second",
                                purpose="order", dedupe_key="race", **note)  # fmt: skip
            results.append(duplicate.subject)
            _db.session.commit()
            _db.session.remove()

    thread = threading.Thread(target=other_transaction)
    thread.start()
    thread.join(timeout=0.5)  # it waits for our transaction
    db.session.commit()
    thread.join(timeout=30)

    assert results == ["First"]
    assert sorted(row.dedupe_key for row in outbox_rows()) == ["other", "race"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"to": "victim@example.com\r\nBcc: everyone@example.com"},
        {"to": "victim@example.com\nBcc: everyone@example.com"},
        {"subject": "Hello\rBcc: everyone@example.com"},
        {"subject": "Hello\u2028Bcc: everyone@example.com"},
        {"subject": "Hello\x00"},
        {"headers": {"List-Id": "<a.lavande>\r\nBcc: everyone@example.com"}},
        {"headers": {"X-Evil\r\nBcc": "everyone@example.com"}},
        {"headers": {"Bcc": "everyone@example.com"}},
        {"headers": {"From": "ceo@bank.example"}},
        {"headers": {"Bad Name": "value"}},
        {"headers": {"Colon:Name": "value"}},
    ],
    ids=lambda o: repr(o)[:40],
)
def test_line_breaks_and_header_overrides_are_refused(db, queue_note, overrides):
    with pytest.raises(HeaderInjection):
        queue_note(**overrides)
    db.session.rollback()

    assert db.session.execute(select(func.count(OutboxMessage.id))).scalar() == 0


def test_an_unknown_purpose_is_refused(db, queue_note):
    with pytest.raises(ValueError, match="purpose"):
        queue_note(purpose="marketing")


def test_a_newsletter_can_carry_its_list_headers(queue_note):
    headers = {
        "List-Unsubscribe": "<http://localhost/newsletter/unsubscribe/tok>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": "Lavande <lettre.lavande.example>",
    }
    message = queue_note(purpose="newsletter", headers=headers)

    assert message.headers == headers


def test_recipient_and_bodies_are_declared_personal_with_a_retention_rule():
    for column in ("recipient", "text_body", "html_body"):
        info = OutboxMessage.__table__.c[column].info
        assert info["personal"] is True
        assert info["retention"] == "outbox_sent"


def rendered(number: int, **overrides) -> RenderedMail:
    values = {
        "to": f"reader{number}@example.com",
        "subject": f"Lettre {number}",
        "text_body": "Bonjour",
        "html_body": None,
        "dedupe_key": f"campaign:1:{number}",
        "headers": {"List-Id": "Lavande <lettre.lavande.example>"},
    }
    return RenderedMail(**{**values, **overrides})


def test_enqueue_many_queues_a_batch_and_skips_keys_already_queued(app, db):
    first = enqueue_many([rendered(1)], purpose="newsletter")
    db.session.commit()

    batch = [rendered(1, subject="Again"), rendered(2)]
    ids = enqueue_many(batch, purpose="newsletter")
    db.session.commit()

    rows = {row.dedupe_key: row for row in outbox_rows()}
    assert set(ids) == {"campaign:1:1", "campaign:1:2"}
    assert ids["campaign:1:1"] == first["campaign:1:1"]
    assert rows["campaign:1:1"].subject == "Lettre 1"
    assert rows["campaign:1:2"].sender == app.config["MAIL_NEWSLETTER_SENDER"]


def test_enqueue_many_refuses_the_whole_batch_on_a_line_break(db):
    with pytest.raises(HeaderInjection):
        enqueue_many(
            [rendered(1), rendered(2, subject="Hi\r\nBcc: all@example.com")],
            purpose="newsletter",
        )

    assert outbox_rows() == []
