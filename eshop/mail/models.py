"""The outbox: one row per email to send, written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db
from eshop.personal_data import personal

# The retention rule of every personal column here: a message's recipient and text
# are deleted OUTBOX_RETENTION_DAYS after it was sent, cancelled or given up on.
RETENTION_RULE = "outbox_sent"


class OutboxStatus:
    """The life of an outbox row."""

    QUEUED = "queued"  # waiting for its send time (first try or a retry)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"  # accepted by the SMTP server (or written as .eml)
    FAILED = "failed"  # gave up after the last attempt; the owner can retry
    CANCELLED = "cancelled"  # withdrawn before sending (e.g. the recipient left)

    ALL = (QUEUED, SENDING, SENT, FAILED, CANCELLED)


class OutboxMessage(db.Model):
    """One email to send, with its delivery state."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_recipient", "recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # "order" or "newsletter"
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(
        String(320),
        info=personal(
            "order_processing",
            RETENTION_RULE,
            description="email address a message is sent to",
        ),
    )
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(
        Text,
        info=personal(
            "order_processing",
            RETENTION_RULE,
            description="text of an email, which may quote a name and an address",
        ),
    )
    html_body: Mapped[str | None] = mapped_column(
        Text,
        info=personal(
            "order_processing",
            RETENTION_RULE,
            description="HTML version of the same email",
        ),
    )
    headers: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a worker claims the row; a claim older than the timeout is stale.
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
