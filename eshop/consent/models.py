"""The decision log: proof of what each visitor agreed to, and when.

One row per decision, without IP address or user agent: the random consent id in
the visitor's cookie is the only link between a browser and its rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db


class ConsentDecision(db.Model):
    """A visitor's choice per optional category, under one version of the policy."""

    __tablename__ = "consent_decision"
    __table_args__ = (
        CheckConstraint(
            "source IN ('banner', 'preferences', 'embed')", name="source_known"
        ),
        Index("ix_consent_decision_decided_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[str] = mapped_column(String(64), index=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The version the visitor saw: a hash of the registry and the owner's text version.
    policy_version: Mapped[str] = mapped_column(String(64))
    registry_hash: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))  # banner, preferences or embed
    audience: Mapped[bool]
    advertising: Mapped[bool]
    sharing: Mapped[bool]
    # The browser sent Sec-GPC: 1; the choices above are the ones in force after it.
    gpc: Mapped[bool] = mapped_column(default=False)


class ConsentPolicy(db.Model):
    """The cookie declarations behind one policy version, kept so the owner can show
    what a logged decision agreed to even after the registry changed."""

    __tablename__ = "consent_policy"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    registry_hash: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[str] = mapped_column(String(40))
    cookies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
