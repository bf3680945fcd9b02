"""The table behind the ``database://`` rate-limit storage."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from eshop.extensions import db


class RateLimitCounter(db.Model):
    """One fixed-window counter: how many hits a key took before ``expires_ms``.

    The key (which may name a client address or an email) is stored as its SHA-256
    digest, and rows whose window ended are deleted by the next count a minute or
    more later, so the table holds no readable personal data, and none for long.
    """

    __tablename__ = "rate_limit_counter"

    key_digest: Mapped[str] = mapped_column(
        String(64),
        primary_key=True,
        info={"personal": False, "why": "digest of a rate-limit key, short-lived"},
    )
    count: Mapped[int] = mapped_column(Integer)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)
