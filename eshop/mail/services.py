"""The outbox's services: ``enqueue`` a message inside the caller's transaction,
withdraw pending mail, and the figures, listing, retry and purge the admin and the
privacy purge call.

Nothing sends mail inside a request. A message becomes a row here, committed (or
rolled back) with the order or subscription that caused it; the worker sends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from flask import current_app, render_template
from jinja2 import TemplateNotFound
from sqlalchemy import Insert, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eshop.clock import utcnow
from eshop.extensions import db

from .models import OutboxMessage, OutboxStatus
from .settings import int_setting

Purpose = Literal["order", "newsletter"]

# The worker builds these itself; an extra header must not add a second copy.
RESERVED_HEADERS = frozenset(
    {
        "bcc",
        "cc",
        "content-transfer-encoding",
        "content-type",
        "date",
        "from",
        "message-id",
        "mime-version",
        "return-path",
        "sender",
        "subject",
        "to",
    }
)
HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322: printable ASCII except ":"


class HeaderInjection(ValueError):
    """A value meant for a mail header contains a line break."""


class OutboxError(Exception):
    """An outbox request that cannot be carried out."""


class MessageNotFound(OutboxError):
    """No outbox message has this id."""


class MessageNotRetryable(OutboxError):
    """Only a failed message can be queued again."""


class UnknownStatus(OutboxError, ValueError):
    """A status filter that is not one of ``OutboxStatus``."""


def check_header_value(value: str, field: str) -> str:
    """Refuse CR, LF and other line breaks, which could start a new header."""
    if any(ch in value for ch in "\r\n\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"):
        raise HeaderInjection(f"line break in mail field {field!r}")
    return value


def check_extra_headers(headers: dict[str, str]) -> dict[str, str]:
    """Refuse an extra header that could inject lines or replace a built one."""
    for name, value in headers.items():
        check_header_value(name, "header name")
        if not HEADER_NAME.fullmatch(name) or name.lower() in RESERVED_HEADERS:
            raise HeaderInjection(f"header name {name!r} is not allowed")
        check_header_value(value, name)
    return headers


def sender_for(purpose: Purpose) -> str:
    """The From address of a purpose: order mail and newsletters are configured
    apart."""
    key = "MAIL_NEWSLETTER_SENDER" if purpose == "newsletter" else "MAIL_ORDER_SENDER"
    return current_app.config.get(key) or current_app.config["MAIL_DEFAULT_SENDER"]


def enqueue(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    purpose: Purpose,
    dedupe_key: str,
    headers: dict[str, str] | None = None,
    send_after: datetime | None = None,
) -> OutboxMessage:
    """Queue one email, rendered from ``templates/<template>.txt`` (and ``.html`` when
    it exists), in the current transaction; the caller commits.

    The same ``dedupe_key`` never queues a second message: the first is returned,
    also when a concurrent transaction queued it a moment ago (PostgreSQL and
    SQLite both support ``INSERT ... ON CONFLICT DO NOTHING``).
    """
    if purpose not in ("order", "newsletter"):
        raise ValueError(f"unknown mail purpose {purpose!r}")
    check_header_value(to, "to")
    check_header_value(subject, "subject")
    check_extra_headers(headers or {})
    text_body = render_template(f"{template}.txt", **context)
    try:
        html_body = render_template(f"{template}.html", **context)
    except TemplateNotFound:
        html_body = None
    values = {
        "dedupe_key": dedupe_key,
        "purpose": purpose,
        "sender": sender_for(purpose),
        "recipient": to,
        "subject": subject,
        "text_body": text_body,
        "html_body": html_body,
        "headers": dict(headers or {}),
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "next_attempt_at": send_after or utcnow(),
    }
    # ON CONFLICT DO NOTHING rather than a savepoint: a concurrent transaction that
    # queued the same key first wins, and nothing of the caller's work is undone.
    inserted = db.session.scalars(
        insert_ignoring_duplicates(values).returning(OutboxMessage)
    ).one_or_none()
    if inserted is None:
        return find_by_dedupe_key(dedupe_key)  # type: ignore[return-value]
    return inserted


def insert_ignoring_duplicates(values: dict) -> Insert:
    """An INSERT of one outbox row that does nothing when its dedupe key exists."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(OutboxMessage)
        .values(values)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.dedupe_key])
    )


def find_by_dedupe_key(dedupe_key: str) -> OutboxMessage | None:
    """The message already queued under this key, if any."""
    return db.session.execute(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    ).scalar_one_or_none()


def cancel_pending(recipient: str, purpose: Purpose = "newsletter") -> int:
    """Withdraw every message of ``purpose`` to ``recipient`` not sent yet, also
    those a worker has claimed for a campaign being sent right now; the caller
    commits (for example inside the unsubscribe transaction).

    The worker confirms each claimed row just before handing it to SMTP, so a row
    cancelled here is never sent. Returns how many messages were withdrawn.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status.in_([OutboxStatus.QUEUED, OutboxStatus.SENDING]),
            OutboxMessage.purpose == purpose,
            func.lower(OutboxMessage.recipient) == recipient.strip().lower(),
        )
        .values(status=OutboxStatus.CANCELLED, claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def outbox_counts() -> dict[str, int]:
    """How many messages are in each status (every status present, zeros too)."""
    rows = db.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = dict.fromkeys(OutboxStatus.ALL, 0)
    counts.update({status: count for status, count in rows})
    return counts


@dataclass(frozen=True)
class MessageSummary:
    """One outbox row as the admin lists it (no bodies)."""

    id: int
    purpose: str
    recipient: str
    subject: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True)
class MessagePage:
    """A page of the outbox, newest first."""

    items: list[MessageSummary]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))


def list_messages(
    status: str | None = None, page: int = 1, per_page: int = 50
) -> MessagePage:
    """A page of outbox messages, newest first, optionally of one status.

    An out-of-range page or size is clamped; an unknown status raises
    ``UnknownStatus``.
    """
    if status is not None and status not in OutboxStatus.ALL:
        raise UnknownStatus(f"unknown outbox status {status!r}")
    per_page = min(max(per_page, 1), 200)
    filters = [OutboxMessage.status == status] if status else []
    total = db.session.execute(
        select(func.count()).select_from(OutboxMessage).where(*filters)
    ).scalar_one()
    last_page = max(1, -(-total // per_page))
    page = min(max(page, 1), last_page)
    rows = db.session.execute(
        select(OutboxMessage)
        .where(*filters)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).scalars()
    items = [
        MessageSummary(
            id=row.id,
            purpose=row.purpose,
            recipient=row.recipient,
            subject=row.subject,
            status=row.status,
            attempts=row.attempts,
            last_error=row.last_error,
            created_at=row.created_at,
            next_attempt_at=row.next_attempt_at,
            sent_at=row.sent_at,
        )
        for row in rows
    ]
    return MessagePage(items=items, total=total, page=page, per_page=per_page)


def retry_message(message_id: int) -> None:
    """Queue a failed message again, due now, with a fresh round of attempts.

    The attempt counter restarts at 0 so the usual backoff applies again; the last
    error stays visible until the next attempt replaces it.
    """
    result = db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == OutboxStatus.FAILED,
        )
        .values(status=OutboxStatus.QUEUED, attempts=0, next_attempt_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        if db.session.get(OutboxMessage, message_id) is None:
            raise MessageNotFound(message_id)
        raise MessageNotRetryable(message_id)
    db.session.commit()


def purge_sent_messages(now: datetime | None = None) -> int:
    """Delete messages (recipient and text with them) older than the retention
    period: sent ones counted from sending, cancelled and failed ones from their
    creation; the caller commits. Returns how many were deleted.

    This is the retention rule ``outbox_sent`` (``OUTBOX_RETENTION_DAYS``, 30 by
    default). Queued and sending messages are never purged.
    """
    cutoff = (now or utcnow()) - timedelta(days=int_setting("OUTBOX_RETENTION_DAYS"))
    result = db.session.execute(
        delete(OutboxMessage)
        .where(
            or_(
                (OutboxMessage.status == OutboxStatus.SENT)
                & (OutboxMessage.sent_at < cutoff),
                OutboxMessage.status.in_([OutboxStatus.CANCELLED, OutboxStatus.FAILED])
                & (OutboxMessage.created_at < cutoff),
            )
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- many at once (a newsletter batch) -------------------------------------------


@dataclass(frozen=True)
class RenderedMail:
    """One email the caller already rendered, for ``enqueue_many``."""

    to: str
    subject: str
    text_body: str
    html_body: str | None
    dedupe_key: str
    headers: dict[str, str]


def enqueue_many(mails: list[RenderedMail], *, purpose: Purpose) -> dict[str, int]:
    """Queue many rendered emails in one INSERT, in the caller's transaction; the
    caller commits. Like ``enqueue``, a dedupe key already queued is skipped.

    A newsletter batch of 500 would otherwise cost 500 statements. Returns the
    outbox id of every dedupe key given.
    """
    if purpose not in ("order", "newsletter"):
        raise ValueError(f"unknown mail purpose {purpose!r}")
    if not mails:
        return {}
    sender = sender_for(purpose)
    now = utcnow()
    rows = []
    for mail in mails:
        check_header_value(mail.to, "to")
        check_header_value(mail.subject, "subject")
        check_extra_headers(mail.headers)
        rows.append(
            {
                "dedupe_key": mail.dedupe_key,
                "purpose": purpose,
                "sender": sender,
                "recipient": mail.to,
                "subject": mail.subject,
                "text_body": mail.text_body,
                "html_body": mail.html_body,
                "headers": dict(mail.headers),
                "status": OutboxStatus.QUEUED,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
        )
    dialect = db.session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OutboxMessage.__table__).on_conflict_do_nothing(
        index_elements=[OutboxMessage.dedupe_key]
    )
    db.session.connection().execute(statement, rows)
    keys = [mail.dedupe_key for mail in mails]
    return dict(
        db.session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.id).where(
                OutboxMessage.dedupe_key.in_(keys)
            )
        ).all()
    )
