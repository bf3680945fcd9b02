"""The shop owner's back-office accounts."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db

# Staff login data, not customer data: the privacy data map accepts this exemption.
OWNER_EMAIL_INFO = {"personal": False, "why": "shop owner's own login"}


def new_session_stamp() -> str:
    """A fresh, unguessable session stamp."""
    return secrets.token_hex(16)


class Owner(UserMixin, db.Model):
    """Someone who runs the shop from /admin; only a password hash is stored."""

    __tablename__ = "owner"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, info=OWNER_EMAIL_INFO)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Carried in every session this owner opens; a new one (logout, a new
    # password) ends every copy of every session cookie issued before.
    session_stamp: Mapped[str] = mapped_column(String(32), default=new_session_stamp)

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session, with the owner's session stamp."""
        return f"{self.id}:{self.session_stamp}"
