"""Subscriptions: double opt-in, one-click leaving, the owner's list, and the purges
the privacy domain runs.

Retention rules named in the models' ``personal`` declarations:
``newsletter_pending`` (unconfirmed rows go when their link expires,
``purge_unconfirmed``), ``newsletter_active`` (kept while subscribed) and
``newsletter_unsubscribed`` (kept as proof for a while, ``purge_unsubscribed``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import Flask, current_app
from flask_babel import force_locale, gettext, lazy_gettext
from sqlalchemy import delete, func, select, update

from eshop.clock import utcnow
from eshop.emails import InvalidEmailAddress, normalise_email
from eshop.extensions import db
from eshop.mail import HeaderInjection, cancel_pending, check_header_value, enqueue
from eshop.mail.models import OutboxMessage, OutboxStatus
from eshop.personal_data import register_purge

from . import tokens
from .errors import ExpiredLink, InvalidEmail, InvalidFirstName, InvalidLink
from .models import (
    CampaignDelivery,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
    SubscriptionSource,
)

# The consent text shown beside every signup form; bump the version when it changes,
# so each confirmation records which wording the subscriber agreed to.
WORDING_VERSION = "2026-11"
CONSENT_WORDING = lazy_gettext(
    "One letter a month at most about our lavender, new products and the harvest. "
    "We use your address for this newsletter only, never share it, and every letter "
    "has a one-click unsubscribe link."
)
RESEND_INTERVAL = timedelta(hours=1)
MAX_EMAIL_LENGTH = 254
MAX_FIRST_NAME_LENGTH = 80
DEFAULT_TOKEN_MAX_AGE_DAYS = 7


# --- addresses ---------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    """The shop's one spelling of an address (``eshop.emails.normalise_email``), or
    InvalidEmail with a message saying what is wrong.

    Other domains (privacy export and erase) use it to find a subscriber. A
    non-ASCII local part is refused: the mail transport cannot deliver to one.
    """
    value = (raw or "").strip()
    try:
        check_header_value(value, "email")
    except HeaderInjection as error:
        raise InvalidEmail(gettext("An email address fits on one line.")) from error
    if not value:
        raise InvalidEmail(gettext("Please enter your email address."))
    if len(value) > MAX_EMAIL_LENGTH:
        raise InvalidEmail(gettext("This email address is too long."))
    try:
        validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as error:
        raise InvalidEmail(
            gettext("This does not look like a valid email address.")
        ) from error
    try:
        return normalise_email(value, allow_smtputf8=False)
    except InvalidEmailAddress as error:
        raise InvalidEmail(gettext("This email address is too long.")) from error


def clean_first_name(raw: str | None) -> str | None:
    """An optional first name on one line, or InvalidFirstName."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        check_header_value(value, "first name")
    except HeaderInjection as error:
        raise InvalidFirstName(gettext("A first name fits on one line.")) from error
    if len(value) > MAX_FIRST_NAME_LENGTH:
        raise InvalidFirstName(gettext("This first name is too long."))
    return value


def token_max_age() -> timedelta:
    """How long a confirmation link stays valid (NEWSLETTER_TOKEN_MAX_AGE_DAYS)."""
    days = current_app.config.get(
        "NEWSLETTER_TOKEN_MAX_AGE_DAYS", DEFAULT_TOKEN_MAX_AGE_DAYS
    )
    return timedelta(days=int(days))


def public_url(path: str) -> str:
    """An absolute link for an email: mails are built outside any request."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def take_write_lock() -> None:
    """On SQLite, start the transaction as a writer (BEGIN IMMEDIATE): a reader that
    later writes would fail if another writer committed in between. PostgreSQL
    locks the rows read with FOR UPDATE instead."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# --- subscribing ---------------------------------------------------------------------


def request_subscription(
    email: str,
    *,
    source: str,
    first_name: str | None = None,
    language: str | None = None,
) -> None:
    """Start a double opt-in: a pending subscriber and a confirmation email.

    Runs in the caller's transaction and does NOT commit (checkout calls it inside
    the order's transaction). The caller sees nothing of the address's state: new,
    pending, confirmed and unsubscribed all return None. A confirmed address gets no
    mail; a pending one at most one resend per hour.
    """
    if source not in SubscriptionSource.ALL:
        raise ValueError(f"unknown subscription source {source!r}")
    address = normalize_email(email)
    name = clean_first_name(first_name)
    now = utcnow()
    languages = current_app.config.get("LANGUAGES", ("fr", "en"))
    language = language if language in languages else languages[0]

    subscriber = db.session.execute(
        select(Subscriber).where(Subscriber.email == address)
    ).scalar_one_or_none()
    if subscriber is None:
        subscriber = Subscriber(email=address, status=SubscriberStatus.PENDING)
        db.session.add(subscriber)
    elif subscriber.status == SubscriberStatus.CONFIRMED:
        return
    elif (
        subscriber.status == SubscriberStatus.PENDING
        and subscriber.last_confirmation_sent_at is not None
        and now - subscriber.last_confirmation_sent_at < RESEND_INTERVAL
    ):
        return
    subscriber.status = SubscriberStatus.PENDING
    subscriber.source = source
    subscriber.wording_version = WORDING_VERSION
    subscriber.language = language
    subscriber.last_confirmation_sent_at = now
    if name is not None:
        subscriber.first_name = name
    db.session.flush()
    _enqueue_confirmation(subscriber, now)


def _enqueue_confirmation(subscriber: Subscriber, now: datetime) -> None:
    token = tokens.make_confirmation_token(
        subscriber.id,
        subscriber.email,
        source=subscriber.source,
        wording_version=subscriber.wording_version,
    )
    with force_locale(subscriber.language):
        enqueue(
            to=subscriber.email,
            subject=gettext(
                "Please confirm your subscription to the %(shop)s newsletter",
                shop=current_app.config["SHOP_NAME"],
            ),
            template="mail/newsletter_confirm",
            context={
                "first_name": subscriber.first_name,
                "confirm_url": public_url(
                    f"/newsletter/confirm/{token}?lang={subscriber.language}"
                ),
                "valid_days": token_max_age().days,
            },
            purpose="newsletter",
            dedupe_key=f"newsletter-confirm:{subscriber.id}:{int(now.timestamp())}",
        )


def confirm_subscription(token: str) -> None:
    """Follow a confirmation link: record when, from which form, with which wording.

    Following it twice is harmless. A link sent before the address unsubscribed no
    longer applies. Commits.
    """
    try:
        claim = tokens.read_confirmation_token(
            token, max_age_seconds=int(token_max_age().total_seconds())
        )
    except tokens.ExpiredToken as error:
        raise ExpiredLink(
            gettext("This confirmation link has expired. Please sign up again.")
        ) from error
    except tokens.InvalidToken as error:
        raise InvalidLink(gettext("This confirmation link is not valid.")) from error
    subscriber = db.session.get(Subscriber, claim.subscriber_id)
    if subscriber is None or not tokens.digest_matches(
        subscriber.email, claim.email_digest
    ):
        raise InvalidLink(gettext("This confirmation link is not valid."))
    if subscriber.status == SubscriberStatus.CONFIRMED:
        return
    if (
        subscriber.unsubscribed_at is not None
        and claim.issued_at < subscriber.unsubscribed_at
    ):
        raise InvalidLink(gettext("This confirmation link is no longer valid."))
    subscriber.status = SubscriberStatus.CONFIRMED
    subscriber.confirmed_at = utcnow()
    subscriber.unsubscribed_at = None
    if claim.source in SubscriptionSource.ALL:
        subscriber.source = claim.source
    subscriber.wording_version = claim.wording_version
    db.session.commit()


# --- leaving -------------------------------------------------------------------------


def check_unsubscribe_link(token: str) -> None:
    """Raise InvalidLink unless ``token`` is a genuine unsubscribe link."""
    try:
        tokens.read_unsubscribe_token(token)
    except tokens.InvalidToken as error:
        raise InvalidLink(gettext("This unsubscribe link is not valid.")) from error


def unsubscribe(token: str) -> None:
    """Leave at once: no campaign not yet sent reaches the address any more.

    Queued newsletter mail to the address is cancelled in the same transaction.
    Leaving twice, or with the link of an address since erased, is harmless. Commits.
    """
    try:
        subscriber_id, digest = tokens.read_unsubscribe_token(token)
    except tokens.InvalidToken as error:
        raise InvalidLink(gettext("This unsubscribe link is not valid.")) from error
    # Waits for a campaign batch holding the row (or, on SQLite, the database) to
    # commit, so the mail it queued is visible to the cancellation below.
    take_write_lock()
    subscriber = db.session.execute(
        select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update()
    ).scalar_one_or_none()
    if subscriber is None:
        return
    if not tokens.digest_matches(subscriber.email, digest):
        raise InvalidLink(gettext("This unsubscribe link is not valid."))
    _leave(subscriber)


def unsubscribe_address(email: str) -> None:
    """Leave at once, for an address its owner has just proved (the member area):
    the same as following an unsubscribe link. No subscriber: nothing to do.
    Commits."""
    take_write_lock()
    subscriber = db.session.execute(
        select(Subscriber).where(Subscriber.email == email).with_for_update()
    ).scalar_one_or_none()
    if subscriber is None:
        db.session.rollback()
        return
    _leave(subscriber)


def _leave(subscriber: Subscriber) -> None:
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = utcnow()
    db.session.flush()
    _cancel_queued_newsletters(subscriber)
    db.session.commit()


def subscription_status(email: str) -> str | None:
    """The address's newsletter state (a ``SubscriberStatus``), or None when it
    never signed up or its row is gone; for its owner's eyes only."""
    return db.session.execute(
        select(Subscriber.status).where(Subscriber.email == email)
    ).scalar_one_or_none()


def _cancel_queued_newsletters(subscriber: Subscriber) -> None:
    cancel_pending(subscriber.email, "newsletter")
    cancelled_messages = select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.CANCELLED
    )
    db.session.execute(
        update(CampaignDelivery)
        .where(
            CampaignDelivery.subscriber_id == subscriber.id,
            CampaignDelivery.outbox_message_id.in_(cancelled_messages),
        )
        .values(status=DeliveryStatus.CANCELLED)
    )


# --- the owner's view of subscribers -------------------------------------------------


def subscriber_counts() -> dict[str, int]:
    """How many subscribers in each state, and in all."""
    rows = dict(
        db.session.execute(
            select(Subscriber.status, func.count()).group_by(Subscriber.status)
        ).all()
    )
    counts = {
        status: rows.get(status, 0)
        for status in (
            SubscriberStatus.PENDING,
            SubscriberStatus.CONFIRMED,
            SubscriberStatus.UNSUBSCRIBED,
        )
    }
    counts["total"] = sum(counts.values())
    return counts


def _csv_cell(value: str) -> str:
    # A spreadsheet would run a cell starting with these as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def _csv_line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_csv_cell(v) for v in values])
    return buffer.getvalue()


def export_subscribers_csv(batch_size: int = 1000) -> Iterator[str]:
    """Every subscriber as CSV lines (email, status, confirmed at, source), streamed
    a batch at a time so the whole list is never in memory."""
    yield _csv_line(["email", "status", "confirmed_at", "source"])
    last_id = 0
    while True:
        rows = db.session.execute(
            select(
                Subscriber.id,
                Subscriber.email,
                Subscriber.status,
                Subscriber.confirmed_at,
                Subscriber.source,
            )
            .where(Subscriber.id > last_id)
            .order_by(Subscriber.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        for row in rows:
            confirmed = row.confirmed_at.isoformat() if row.confirmed_at else ""
            yield _csv_line([row.email, row.status, confirmed, row.source])
        last_id = rows[-1].id


# --- retention (called by the privacy purge, in its transaction) ---------------------

DEFAULT_UNSUBSCRIBED_RETENTION_DAYS = 3 * 365  # proof of the opt-out, then gone


def unsubscribed_retention_days(app: Flask) -> int:
    """How long a subscriber who left is kept, as proof of their choice."""
    days = app.config.get("NEWSLETTER_UNSUBSCRIBED_RETENTION_DAYS")
    return int(days or DEFAULT_UNSUBSCRIBED_RETENTION_DAYS)


def register_purges(app: Flask) -> None:
    """Give the retention purge the newsletter's two rules (at app set-up)."""
    days = unsubscribed_retention_days(app)
    register_purge(app, "newsletter: unconfirmed sign-ups deleted", purge_unconfirmed)
    register_purge(
        app,
        f"newsletter: unsubscribed for over {days} days deleted",
        lambda now: purge_unsubscribed(now, days),
    )


def purge_unconfirmed(now: datetime) -> int:
    """Delete pending subscribers whose last link has expired; the caller commits."""
    cutoff = now - token_max_age()
    result = db.session.execute(
        delete(Subscriber).where(
            Subscriber.status == SubscriberStatus.PENDING,
            func.coalesce(Subscriber.last_confirmation_sent_at, Subscriber.created_at)
            < cutoff,
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def purge_unsubscribed(now: datetime, older_than_days: int) -> int:
    """Delete subscribers who left more than ``older_than_days`` ago (their delivery
    rows go with them); the caller commits."""
    cutoff = now - timedelta(days=older_than_days)
    result = db.session.execute(
        delete(Subscriber).where(
            Subscriber.status == SubscriberStatus.UNSUBSCRIBED,
            Subscriber.unsubscribed_at < cutoff,
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
