"""The outbox's services for the newsletter, the admin and the privacy purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from eshop.clock import utcnow
from eshop.mail import (
    MessageNotFound,
    MessageNotRetryable,
    UnknownStatus,
    cancel_pending,
    list_messages,
    outbox_counts,
    purge_sent_messages,
    retry_message,
    worker,
)
from eshop.mail.models import OutboxMessage, OutboxStatus


def set_status(db, message: OutboxMessage, status: str, **values) -> None:
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id)
        .values(status=status, **values)
    )
    db.session.commit()


def status_of(db, message: OutboxMessage) -> str:
    return db.session.execute(
        select(OutboxMessage.status).where(OutboxMessage.id == message.id)
    ).scalar_one()


def test_cancel_pending_withdraws_queued_and_claimed_newsletters_only(db, queue_note):
    queued = queue_note(to="reader@example.com", purpose="newsletter")
    claimed = queue_note(to="Reader@Example.com", purpose="newsletter")
    set_status(db, claimed, OutboxStatus.SENDING, claim_token="t")
    sent = queue_note(to="reader@example.com", purpose="newsletter")
    set_status(db, sent, OutboxStatus.SENT)
    order = queue_note(to="reader@example.com", purpose="order")
    other = queue_note(to="someone@example.com", purpose="newsletter")

    withdrawn = cancel_pending(" reader@EXAMPLE.com ")
    db.session.commit()

    assert withdrawn == 2
    assert status_of(db, queued) == OutboxStatus.CANCELLED
    assert status_of(db, claimed) == OutboxStatus.CANCELLED
    assert status_of(db, sent) == OutboxStatus.SENT
    assert status_of(db, order) == OutboxStatus.QUEUED
    assert status_of(db, other) == OutboxStatus.QUEUED


def test_cancel_pending_is_undone_with_the_callers_transaction(db, queue_note):
    message = queue_note(to="reader@example.com", purpose="newsletter")

    cancel_pending("reader@example.com")
    db.session.rollback()

    assert status_of(db, message) == OutboxStatus.QUEUED


def test_outbox_counts_gives_every_status(db, queue_note):
    queue_note()
    failed = queue_note()
    set_status(db, failed, OutboxStatus.FAILED)

    assert outbox_counts() == {
        "queued": 1,
        "sending": 0,
        "sent": 0,
        "failed": 1,
        "cancelled": 0,
    }


def test_list_messages_pages_newest_first_and_filters_by_status(db, queue_note):
    for _ in range(5):
        queue_note()
    failed = queue_note(subject="Bounced")
    set_status(db, failed, OutboxStatus.FAILED, last_error="550 no such user")

    first = list_messages(per_page=4)
    second = list_messages(page=2, per_page=4)
    only_failed = list_messages(status="failed")

    assert (first.total, first.pages, len(first.items)) == (6, 2, 4)
    assert first.items[0].subject == "Bounced"
    assert len(second.items) == 2
    assert [m.last_error for m in only_failed.items] == ["550 no such user"]
    assert not hasattr(first.items[0], "text_body")  # no bodies in listings


@pytest.mark.parametrize("page, per_page", [(0, 50), (-3, 50), (999, 50), (1, 0)])
def test_list_messages_clamps_out_of_range_pages(db, queue_note, page, per_page):
    queue_note()

    listing = list_messages(page=page, per_page=per_page)

    assert listing.page == 1
    assert len(listing.items) == 1


def test_list_messages_refuses_an_unknown_status(db):
    with pytest.raises(UnknownStatus):
        list_messages(status="lost")


def test_retry_message_queues_a_failed_message_with_fresh_attempts(
    db, smtp, queue_note
):
    message = queue_note()
    set_status(db, message, OutboxStatus.FAILED, attempts=6, last_error="timeout")

    retry_message(message.id)

    assert status_of(db, message) == OutboxStatus.QUEUED
    assert worker.flush().sent == 1
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    "status", [OutboxStatus.QUEUED, OutboxStatus.SENT, OutboxStatus.CANCELLED]
)
def test_only_a_failed_message_can_be_retried(db, queue_note, status):
    message = queue_note()
    set_status(db, message, status)

    with pytest.raises(MessageNotRetryable):
        retry_message(message.id)
    assert status_of(db, message) == status


def test_retrying_an_unknown_message_says_so(db):
    with pytest.raises(MessageNotFound):
        retry_message(12345)


def test_purge_deletes_old_sent_cancelled_and_failed_messages_only(app, db, queue_note):
    """Retention rule outbox_sent: 30 days after sending by default."""
    long_ago = utcnow() - timedelta(days=40)
    with time_machine.travel(long_ago, tick=False):
        old_sent = queue_note(to="old@example.com")
        old_cancelled = queue_note()
        old_failed = queue_note()
        old_queued = queue_note()
    set_status(db, old_sent, OutboxStatus.SENT, sent_at=utcnow() - timedelta(days=31))
    set_status(db, old_cancelled, OutboxStatus.CANCELLED)
    set_status(db, old_failed, OutboxStatus.FAILED)
    recent = queue_note()
    set_status(db, recent, OutboxStatus.SENT, sent_at=utcnow() - timedelta(days=29))

    purged = purge_sent_messages(utcnow())
    db.session.commit()

    left = set(db.session.execute(select(OutboxMessage.id)).scalars())
    assert purged == 3
    assert left == {old_queued.id, recent.id}


def test_the_retention_period_is_configurable(app, db, queue_note):
    app.config["OUTBOX_RETENTION_DAYS"] = 7
    message = queue_note()
    set_status(db, message, OutboxStatus.SENT, sent_at=utcnow() - timedelta(days=8))

    assert purge_sent_messages() == 1
