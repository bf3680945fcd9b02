"""Sign-in links: emailed, valid ``ACCOUNT_LINK_MAX_AGE_MINUTES``, usable once.

The link carries a random token; the database keeps only its SHA-256 digest, so
neither a copy of the database nor its backups can sign anyone in. A link is sent
only to an address that placed an order (or is a member already): the shop mails
nobody who never gave it their address. Whoever asks gets the same page in the same
time either way: both paths write one link row and queue the email, and only a
customer's is kept (the other's is undone, and its row names no address: nobody
holds its token).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from flask_babel import gettext
from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError

from eshop.clock import utcnow
from eshop.emails import normalise_email
from eshop.extensions import db
from eshop.mail import enqueue
from eshop.orders.models import Order

from .models import Member, SignInLink
from .settings import link_max_age_minutes

MAIL_TEMPLATE = "account/mail/sign_in_link"
MAX_TOKEN_LENGTH = 100


class LinkRefused(ValueError):
    """The sign-in link cannot sign anyone in."""


class LinkNotValid(LinkRefused):
    """No link has this token: mistyped, cut short or made up."""


class LinkExpired(LinkRefused):
    """The link is older than its lifetime."""


class LinkUsed(LinkRefused):
    """The link already signed someone in."""


def token_digest(token: str) -> str:
    """What the database keeps of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def may_sign_in(email: str) -> bool:
    """Whether the address placed an order (not yet anonymised) or is a member:
    one query, the same for any address."""
    ordered = db.select(Order.id).where(Order.email == email).exists()
    member = db.select(Member.id).where(Member.email == email).exists()
    return bool(db.session.execute(db.select(or_(ordered, member))).scalar())


def request_link(raw_email: str, language: str) -> None:
    """Queue a sign-in link for the address if it may sign in; commits.

    Raises ``eshop.emails.InvalidEmailAddress`` for text that is no address (the
    same answer for anyone: it says nothing of the shop's customers).
    """
    email = normalise_email(raw_email)
    now = utcnow()
    token = secrets.token_urlsafe(32)
    known = may_sign_in(email)
    link = SignInLink(
        token_digest=token_digest(token),
        email=email if known else None,
        created_at=now,
        expires_at=now + timedelta(minutes=link_max_age_minutes()),
    )
    db.session.add(link)
    db.session.flush()
    context = {
        "link": current_app.config["PUBLIC_BASE_URL"].rstrip("/")
        + url_for("account.open_link", token=token, lang=language),
        "minutes": link_max_age_minutes(),
    }
    # The same work for any address: the mail is queued in a savepoint, kept for
    # a customer only; for anyone else it is undone and never leaves the shop.
    queued = db.session.begin_nested()
    enqueue(
        to=email,
        subject=gettext(
            "Your sign-in link for %(shop)s", shop=current_app.config["SHOP_NAME"]
        ),
        template=MAIL_TEMPLATE,
        context=context,
        purpose="order",
        dedupe_key=f"account-sign-in:{link.token_digest}",
    )
    if known:
        queued.commit()
    else:
        queued.rollback()
    db.session.commit()


def _link_for(token: str) -> SignInLink | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        db.select(SignInLink).where(SignInLink.token_digest == token_digest(token))
    ).scalar_one_or_none()


def check_link(token: str, now: datetime | None = None) -> str:
    """The address a link signs in, without using it up; raises LinkRefused."""
    now = now or utcnow()
    link = _link_for(token)
    if link is None or link.email is None:
        raise LinkNotValid()
    if link.used_at is not None:
        raise LinkUsed()
    if link.expires_at <= now:
        raise LinkExpired()
    return link.email


def use_link(token: str) -> Member:
    """Use the link up and return its member (created at the first sign-in);
    raises LinkRefused. Of two uses at the same moment, only one succeeds: the
    link is marked used by a conditional update."""
    try:
        return _use_link(token)
    except IntegrityError:
        # Two links of one address used at once, both creating the member: the
        # other one did, this transaction is undone and tried again.
        db.session.rollback()
        return _use_link(token)


def _use_link(token: str) -> Member:
    now = utcnow()
    email = check_link(token, now)
    used = db.session.execute(
        update(SignInLink)
        .where(
            SignInLink.token_digest == token_digest(token),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:
        db.session.rollback()
        raise LinkUsed()
    member = db.session.execute(
        db.select(Member).where(Member.email == email)
    ).scalar_one_or_none()
    if member is None:
        member = Member(email=email, created_at=now)
        db.session.add(member)
    member.last_sign_in_at = now
    db.session.commit()
    return member


def delete_expired_links(now: datetime) -> int:
    """Forget links past their lifetime, used or not (the caller commits)."""
    result = db.session.execute(
        db.delete(SignInLink).where(SignInLink.expires_at <= now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
