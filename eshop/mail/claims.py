"""The worker's side of the outbox table: claim due rows, confirm each row is still
ours right before it goes out, record failures with backoff, give claims back.

A claim is a random token written on the rows (status ``sending``). Every later
write is conditional on that token, so a row cancelled meanwhile, or taken over by
another worker after a stale claim, is never sent by us.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import ColumnElement, and_, bindparam, case, or_, select, update

from eshop.clock import utcnow
from eshop.extensions import db

from .models import OutboxMessage, OutboxStatus
from .settings import RETRY_FACTOR, int_setting, setting
from .transport import Outgoing

M = OutboxMessage


class Outcome(Enum):
    """What recording a failed attempt did to a row."""

    RETRY = "retry"  # queued again for later
    FAILED = "failed"  # gave up (last attempt, or a permanent error)
    GONE = "gone"  # no longer ours: cancelled or reclaimed meanwhile


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: base, base x4, base x16... capped."""
    base = float(setting("OUTBOX_RETRY_BASE_SECONDS"))
    seconds = base * RETRY_FACTOR ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, float(setting("OUTBOX_RETRY_MAX_SECONDS"))))


def due_filter(now: datetime) -> ColumnElement[bool]:
    """Rows to send now: queued and due, or claimed by a worker that went silent."""
    stale = now - timedelta(seconds=int_setting("OUTBOX_CLAIM_TIMEOUT_SECONDS"))
    return or_(
        and_(M.status == OutboxStatus.QUEUED, M.next_attempt_at <= now),
        and_(M.status == OutboxStatus.SENDING, M.claimed_at < stale),
    )


def priority_order() -> tuple:
    """Order mail first, then oldest due: a confirmation never waits behind a whole
    campaign."""
    return (case((M.purpose == "order", 0), else_=1), M.next_attempt_at, M.id)


def claim_batch(size: int, token: str) -> list[Outgoing]:
    """Claim up to ``size`` due rows for this worker and commit the claim.

    PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` so concurrent workers take
    different rows without waiting. SQLite has one writer: a single UPDATE claims.
    """
    now = utcnow()
    claim = {"status": OutboxStatus.SENDING, "claim_token": token, "claimed_at": now}
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(
            db.session.execute(
                select(M.id)
                .where(due_filter(now))
                .order_by(*priority_order())
                .limit(size)
                .with_for_update(skip_locked=True)
            ).scalars()
        )
        if ids:
            db.session.execute(
                update(M)
                .where(M.id.in_(ids))
                .values(**claim)
                .execution_options(synchronize_session=False)
            )
    else:
        due_ids = (
            select(M.id)
            .where(due_filter(now))
            .order_by(*priority_order())
            .limit(size)
            .scalar_subquery()
        )
        ids = list(
            db.session.execute(
                update(M)
                .where(M.id.in_(due_ids))
                .values(**claim)
                .returning(M.id)
                .execution_options(synchronize_session=False)
            ).scalars()
        )
    rows = (
        db.session.execute(
            select(
                M.id,
                M.dedupe_key,
                M.purpose,
                M.sender,
                M.recipient,
                M.subject,
                M.text_body,
                M.html_body,
                M.attempts,
                M.headers,
            )
            .where(M.id.in_(ids), M.claim_token == token)
            .order_by(*priority_order())
        )
        .mappings()
        .all()
        if ids
        else []
    )
    db.session.commit()
    return [Outgoing(**row) for row in rows]


# Built once: the worker runs it before every few messages, so it must cost little.
TABLE = M.__table__
CONFIRM = (
    update(TABLE)
    .where(
        TABLE.c.id.in_(bindparam("message_ids", expanding=True)),
        TABLE.c.claim_token == bindparam("token"),
        TABLE.c.status == OutboxStatus.SENDING,
    )
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("now"),
        attempts=TABLE.c.attempts + 1,
        last_error=None,
    )
    .returning(TABLE.c.id)
)


def confirm(message_ids: Sequence[int], token: str) -> set[int]:
    """Mark still-claimed rows sent, in the transaction the worker commits once
    the SMTP server accepted them; returns the ids still ours (the others were
    cancelled or taken over, and must not be sent).

    The worker confirms a few messages at a time, right before handing them over.
    Until the commit those rows stay locked (PostgreSQL) or the database
    write-locked (SQLite), so an unsubscribe waits for the messages being handed
    over rather than racing them; the worker commits every fraction of a second.
    """
    parameters = {"message_ids": list(message_ids), "token": token, "now": utcnow()}
    return set(db.session.execute(CONFIRM, parameters).scalars())


def record_failure(
    outgoing: Outgoing, token: str, error: str, *, permanent: bool = False
) -> Outcome:
    """Count a failed attempt: queue the row again after a backoff, or mark it
    failed with the error after the last attempt (or at once when ``permanent``).

    Works for a row confirmed in the current transaction and for one only claimed;
    the caller commits.
    """
    attempts = outgoing.attempts + 1
    gives_up = permanent or attempts >= int_setting("OUTBOX_MAX_ATTEMPTS")
    now = utcnow()
    result = db.session.execute(
        update(M)
        .where(
            M.id == outgoing.id,
            M.claim_token == token,
            M.status.in_([OutboxStatus.SENDING, OutboxStatus.SENT]),
        )
        .values(
            status=OutboxStatus.FAILED if gives_up else OutboxStatus.QUEUED,
            attempts=attempts,
            last_error=error[:2000],
            next_attempt_at=now if gives_up else now + retry_delay(attempts),
            sent_at=None,
            claim_token=None,
            claimed_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return Outcome.GONE
    return Outcome.FAILED if gives_up else Outcome.RETRY


def release(ids: Sequence[int], token: str) -> int:
    """Give unsent claimed rows back to the queue untouched (the worker is
    stopping); the caller commits."""
    if not ids:
        return 0
    result = db.session.execute(
        update(M)
        .where(
            M.id.in_(list(ids)),
            M.claim_token == token,
            M.status == OutboxStatus.SENDING,
        )
        .values(status=OutboxStatus.QUEUED, claim_token=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
