"""Privacy records: pseudonymous audience events and the log of erasures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db


class EventKind:
    PAGE = "page"  # a storefront page was viewed (its route template, never its URL)
    SEARCH = "search"  # a catalogue search, with how many products it found
    PRODUCT = "product"  # a product page was viewed
    PURCHASE = "purchase"  # a product was part of a placed order


EVENT_KINDS = (EventKind.PAGE, EventKind.SEARCH, EventKind.PRODUCT, EventKind.PURCHASE)


class AudienceEvent(db.Model):
    """One first-party audience event, recorded only with audience consent.

    It holds a random visitor id and what happened: no IP address, no email, no
    user agent, no full URL.
    """

    __tablename__ = "audience_event"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('page', 'search', 'product', 'purchase')", name="kind"
        ),
        Index("ix_audience_event_kind_occurred_at", "kind", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    visitor_id: Mapped[str] = mapped_column(
        String(32),
        info={
            "personal": False,
            "why": "a random pseudonym from the audience cookie, linked to no "
            "order, subscription or person",
        },
    )
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(200), default="")
    product_id: Mapped[int | None] = mapped_column(index=True)
    results_count: Mapped[int | None]
    occurred_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, index=True
    )


class ErasureRecord(db.Model):
    """Proof that an erasure request was carried out, deliberately without the email."""

    __tablename__ = "privacy_erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rows_anonymized: Mapped[int] = mapped_column(default=0)
    rows_deleted: Mapped[int] = mapped_column(default=0)
    # A digest of the access link that asked for it (its address and date of
    # issue), unique: a link erases once. None for an erasure from the command line.
    link_digest: Mapped[str | None] = mapped_column(String(64), unique=True)
