"""The member area's tables: members, their saved addresses, and sign-in links.

A member is an email address that signed in at least once; there is no password.
Every personal column declares its purpose and retention (``eshop.personal_data``):
members and their addresses go after ``ACCOUNT_RETENTION_MONTHS`` without a sign-in,
sign-in links once they have expired (``eshop.account.services.register_purges``).
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db
from eshop.personal_data import personal

MAX_SAVED_ADDRESSES = 3
# Retention rules (described on /privacy, applied by `flask privacy purge`).
ACCOUNT_RETENTION = "account_inactive"  # until ACCOUNT_RETENTION_MONTHS idle
LINK_RETENTION = "sign_in_link"  # until the link expires


def _account_personal(description: str) -> dict:
    return personal("order_processing", ACCOUNT_RETENTION, description=description)


def new_session_stamp() -> str:
    """A fresh, unguessable session stamp."""
    return secrets.token_hex(16)


class Member(db.Model):
    """An email address that signed in with an emailed link; no password is kept."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(
        String(254),
        unique=True,
        info=_account_personal("email address the member signs in with"),
    )
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        default=utcnow,
        info=_account_personal("when the member first signed in"),
    )
    last_sign_in_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        default=utcnow,
        index=True,
        info=_account_personal("when the member last signed in"),
    )
    # Carried in every session of this member; signing out gives a new one, which
    # ends every copy of every session cookie issued before.
    session_stamp: Mapped[str] = mapped_column(String(32), default=new_session_stamp)

    addresses: Mapped[list[MemberAddress]] = relationship(
        back_populates="member",
        order_by="MemberAddress.slot",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class MemberAddress(db.Model):
    """A delivery address the member chose to keep: at most three, one per slot
    (the database refuses a fourth, even from two checkouts at once)."""

    __tablename__ = "member_address"
    __table_args__ = (
        UniqueConstraint("member_id", "slot"),
        CheckConstraint(f"slot >= 1 AND slot <= {MAX_SAVED_ADDRESSES}", name="slot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("member.id", ondelete="CASCADE"), index=True
    )
    slot: Mapped[int]
    full_name: Mapped[str] = mapped_column(
        String(120), info=_account_personal("saved address: name")
    )
    street: Mapped[str] = mapped_column(
        String(200), info=_account_personal("saved address: street")
    )
    postal_code: Mapped[str] = mapped_column(
        String(12), info=_account_personal("saved address: postal code")
    )
    city: Mapped[str] = mapped_column(
        String(100), info=_account_personal("saved address: city")
    )
    country: Mapped[str] = mapped_column(
        String(2), info=_account_personal("saved address: country")
    )
    phone: Mapped[str | None] = mapped_column(
        String(30), info=_account_personal("saved address: phone for the carrier")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship(back_populates="addresses")


class SignInLink(db.Model):
    """One emailed sign-in link: only a digest of its token is kept, so a copy of
    the database signs nobody in. Valid for a few minutes, usable once."""

    __tablename__ = "member_sign_in_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    # None for a request about an address with no order: the row is written all
    # the same (the answer takes the same time), but no link was sent.
    email: Mapped[str | None] = mapped_column(
        String(254),
        info=personal(
            "order_processing",
            LINK_RETENTION,
            description="address a sign-in link was sent to",
        ),
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
