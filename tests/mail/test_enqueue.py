"""enqueue(): a row in the caller's transaction, rendered, deduplicated, safe."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eshop.extensions import db as _db
from eshop.mail import HeaderInjection, enqueue, services
from eshop.mail.models import OutboxMessage, OutboxStatus


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


def test_losing_a_dedupe_race_keeps_the_callers_other_work(db, monkeypatch):
    """Given a concurrent transaction queued the same key after our check, when
    the insert hits the unique constraint, then the first message is returned and
    the rest of our transaction survives."""
    note = {"template": "mail/test_note", "context": {"name": "A", "number": 1}}
    enqueue(to="a@example.com", subject="Racing", purpose="order",
            dedupe_key="race", **note)  # fmt: skip
    db.session.commit()
    enqueue(to="b@example.com", subject="Mine", purpose="order",
            dedupe_key="other", **note)  # fmt: skip
    monkeypatch.setattr(services, "find_by_dedupe_key", racing_lookup())

    winner = enqueue(to="a@example.com", subject="Racing again", purpose="order",
                     dedupe_key="race", **note)  # fmt: skip
    db.session.commit()

    assert winner.subject == "Racing"
    assert sorted(row.dedupe_key for row in outbox_rows()) == ["other", "race"]


def racing_lookup():
    """The first look-up misses (as if the other transaction had not committed)."""
    calls = []
    original = services.find_by_dedupe_key

    def lookup(key: str):
        calls.append(key)
        return None if len(calls) == 1 else original(key)

    return lookup


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
