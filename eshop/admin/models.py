"""The shop owner's back-office accounts."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db

# Staff login data, not customer data: the privacy data map accepts this exemption.
OWNER_EMAIL_INFO = {"personal": False, "why": "shop owner's own login"}


class Owner(UserMixin, db.Model):
    """Someone who runs the shop from /admin; only a password hash is stored."""

    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, info=OWNER_EMAIL_INFO)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def get_id(self) -> str:
        """The id kept in the session, stamped with the last password change so that
        changing the password ends every other session."""
        return f"{self.id}:{password_stamp(self.password_changed_at)}"


def password_stamp(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)
