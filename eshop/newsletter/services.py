"""The newsletter's rules: double opt-in, one-click leaving, campaigns to confirmed
subscribers only, and the purges the privacy domain runs.

Retention rules named in the models' ``personal`` declarations:
``newsletter_pending`` (unconfirmed rows go when their link expires,
``purge_unconfirmed``), ``newsletter_active`` (kept while subscribed) and
``newsletter_unsubscribed`` (kept as proof for a while, ``purge_unsubscribed``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template
from flask_babel import force_locale, gettext, lazy_gettext
from markupsafe import escape
from sqlalchemy import delete, func, insert, select, update

from eshop.clock import utcnow
from eshop.extensions import db
from eshop.mail import HeaderInjection, cancel_pending, check_header_value, enqueue
from eshop.mail.models import OutboxMessage, OutboxStatus
from eshop.mail.services import RenderedMail, enqueue_many

from . import tokens
from .models import (
    Campaign,
    CampaignDelivery,
    CampaignStatus,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
    SubscriptionSource,
)
from .rendering import markdown_to_html, markdown_to_text

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
MAX_LOCAL_PART_LENGTH = 64  # RFC 5321; email-validator lets longer ones through
MAX_FIRST_NAME_LENGTH = 80
MAX_SUBJECT_LENGTH = 200
DEFAULT_TOKEN_MAX_AGE_DAYS = 7
UNSUBSCRIBE_PLACEHOLDER = "lavande-unsubscribe-url-placeholder"


class NewsletterError(ValueError):
    """A request the newsletter refuses, with a message fit for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidEmail(NewsletterError):
    """The address cannot receive a newsletter."""


class InvalidFirstName(NewsletterError):
    """The first name is too long or contains line breaks."""


class InvalidLink(NewsletterError):
    """A confirmation or unsubscribe link is not genuine or no longer applies."""


class ExpiredLink(InvalidLink):
    """A genuine confirmation link, used after its lifetime."""


class CampaignError(NewsletterError):
    """The campaign cannot be saved or sent as asked."""


class CampaignNotFound(CampaignError):
    """No campaign has this id."""


# --- addresses ---------------------------------------------------------------------


def normalize_email(raw: str) -> str:
    """The canonical form of an address (lowercase, ASCII domain), or InvalidEmail.

    Other domains (privacy export and erase) use it to find a subscriber.
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
        checked = validate_email(
            value, check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError as error:
        raise InvalidEmail(
            gettext("This does not look like a valid email address.")
        ) from error
    canonical = checked.ascii_email.lower()
    if len(checked.local_part) > MAX_LOCAL_PART_LENGTH or (
        len(canonical) > MAX_EMAIL_LENGTH
    ):
        raise InvalidEmail(gettext("This email address is too long."))
    return canonical


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
    if subscriber is None or tokens.email_digest(subscriber.email) != (
        claim.email_digest
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
    _take_write_lock()
    subscriber = db.session.execute(
        select(Subscriber).where(Subscriber.id == subscriber_id).with_for_update()
    ).scalar_one_or_none()
    if subscriber is None:
        return
    if tokens.email_digest(subscriber.email) != digest:
        raise InvalidLink(gettext("This unsubscribe link is not valid."))
    if subscriber.status != SubscriberStatus.UNSUBSCRIBED:
        subscriber.status = SubscriberStatus.UNSUBSCRIBED
        subscriber.unsubscribed_at = utcnow()
    db.session.flush()
    _cancel_queued_newsletters(subscriber)
    db.session.commit()


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


# --- campaigns -----------------------------------------------------------------------


def _checked_campaign_fields(subject: str, body_markdown: str) -> tuple[str, str]:
    subject = (subject or "").strip()
    body_markdown = (body_markdown or "").strip()
    if not subject:
        raise CampaignError(gettext("A campaign needs a subject."))
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise CampaignError(gettext("The subject is too long."))
    try:
        check_header_value(subject, "subject")
    except HeaderInjection as error:
        raise CampaignError(gettext("The subject fits on one line.")) from error
    if not body_markdown:
        raise CampaignError(gettext("A campaign needs a body."))
    return subject, body_markdown + "\n"


def create_campaign(subject: str, body_markdown: str) -> Campaign:
    """Save a draft campaign. Commits."""
    subject, body_markdown = _checked_campaign_fields(subject, body_markdown)
    campaign = Campaign(subject=subject, body_markdown=body_markdown)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def get_campaign(campaign_id: int) -> Campaign:
    """The campaign with this id, or CampaignNotFound."""
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignNotFound(gettext("This campaign does not exist."))
    return campaign


def list_campaigns() -> list[Campaign]:
    """Every campaign, newest first (there are a few a month)."""
    return list(
        db.session.execute(select(Campaign).order_by(Campaign.id.desc())).scalars()
    )


def update_campaign(campaign_id: int, *, subject: str, body_markdown: str) -> Campaign:
    """Change a draft's subject and body; a campaign being sent is final. Commits."""
    campaign = get_campaign(campaign_id)
    if campaign.status != CampaignStatus.DRAFT:
        raise CampaignError(gettext("A campaign can no longer change once sent."))
    campaign.subject, campaign.body_markdown = _checked_campaign_fields(
        subject, body_markdown
    )
    db.session.commit()
    return campaign


def _campaign_context(
    campaign: Campaign, body_html: str, body_text: str, unsubscribe_url: str
) -> dict:
    return {
        "subject": campaign.subject,
        "body_html": body_html,
        "body_text": body_text,
        "unsubscribe_url": unsubscribe_url,
    }


def render_campaign(
    campaign: Campaign, unsubscribe_url: str | None = None
) -> tuple[str, str]:
    """The campaign as a subscriber will see it: (HTML, plain text), in the layout."""
    context = _campaign_context(
        campaign,
        markdown_to_html(campaign.body_markdown),
        markdown_to_text(campaign.body_markdown),
        unsubscribe_url or public_url("/newsletter"),
    )
    return (
        render_template("mail/newsletter_campaign.html", **context),
        render_template("mail/newsletter_campaign.txt", **context),
    )


@dataclass(frozen=True)
class ListIdentity:
    """Who the list is, for its headers: read once per campaign, not per mail."""

    mailto: str
    list_id: str

    @classmethod
    def from_config(cls) -> ListIdentity:
        config = current_app.config
        sender = config.get("MAIL_NEWSLETTER_SENDER") or config["MAIL_DEFAULT_SENDER"]
        address = parseaddr(sender)[1] or config["MAIL_OWNER_ADDRESS"]
        domain = address.rpartition("@")[2] or "lavande.example"
        return cls(
            mailto=f"mailto:{address}?subject=unsubscribe",
            list_id=f"{config['SHOP_NAME']} <newsletter.{domain}>",
        )


def list_headers(
    unsubscribe_url: str, identity: ListIdentity | None = None
) -> dict[str, str]:
    """RFC 2369 and RFC 8058 headers: mail clients show their own unsubscribe."""
    identity = identity or ListIdentity.from_config()
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>, <{identity.mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": identity.list_id,
    }


def send_test(campaign_id: int, to: str) -> None:
    """Queue the campaign once to ``to`` (the owner), marked as a test. Commits.

    The owner is no subscriber: the unsubscribe link points at the newsletter page,
    and there is no one-click header a mail client could POST to.
    """
    campaign = get_campaign(campaign_id)
    address = normalize_email(to)
    unsubscribe_url = public_url("/newsletter")
    headers = list_headers(unsubscribe_url)
    del headers["List-Unsubscribe-Post"]
    enqueue(
        to=address,
        subject="[TEST] " + campaign.subject,
        template="mail/newsletter_campaign",
        context=_campaign_context(
            campaign,
            markdown_to_html(campaign.body_markdown),
            markdown_to_text(campaign.body_markdown),
            unsubscribe_url,
        ),
        purpose="newsletter",
        dedupe_key=f"newsletter-test:{campaign.id}:{utcnow().timestamp()}",
        headers=headers,
    )
    db.session.commit()


def confirmed_count() -> int:
    """How many subscribers a campaign would reach now."""
    return db.session.execute(
        select(func.count())
        .select_from(Subscriber)
        .where(Subscriber.status == SubscriberStatus.CONFIRMED)
    ).scalar_one()


def _render_once(
    campaign: Campaign, body_html: str, body_text: str, language: str
) -> tuple[str, str]:
    """The campaign in one language with a placeholder for the unsubscribe link:
    rendered once, not once per subscriber."""
    with force_locale(language):
        context = _campaign_context(
            campaign, body_html, body_text, UNSUBSCRIBE_PLACEHOLDER
        )
        return (
            render_template("mail/newsletter_campaign.txt", **context),
            render_template("mail/newsletter_campaign.html", **context),
        )


def _take_write_lock() -> None:
    """On SQLite, start the transaction as a writer (BEGIN IMMEDIATE): a reader that
    later writes would fail if another writer committed in between. PostgreSQL
    locks the rows read with FOR UPDATE instead."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        if not connection.connection.driver_connection.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def enqueue_campaign(
    campaign_id: int,
    batch_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Queue the campaign for every confirmed subscriber, one committed batch at a
    time; return how many messages this run queued.

    Only confirmed subscribers are read (never orders or any other list). The unique
    (campaign, subscriber) delivery and the outbox dedupe key make a rerun after a
    crash skip whoever was already queued. ``progress`` gets each batch's size.
    """
    campaign = get_campaign(campaign_id)
    if campaign.status == CampaignStatus.SENT:
        return 0
    if campaign.status == CampaignStatus.DRAFT:
        campaign.status = CampaignStatus.SENDING
        campaign.sending_started_at = utcnow()
        db.session.commit()
    subject = campaign.subject
    body_html = markdown_to_html(campaign.body_markdown)
    body_text = markdown_to_text(campaign.body_markdown)
    rendered: dict[str, tuple[str, str]] = {}
    serializer = tokens.unsubscribe_serializer()
    identity = ListIdentity.from_config()
    queued = 0
    last_id = 0
    while True:
        # Locked until the batch commits: an unsubscribe waits, then cancels what
        # this batch queued (see ``unsubscribe``).
        _take_write_lock()
        batch = db.session.execute(
            select(Subscriber.id, Subscriber.email, Subscriber.language)
            .where(
                Subscriber.status == SubscriberStatus.CONFIRMED,
                Subscriber.id > last_id,
            )
            .order_by(Subscriber.id)
            .limit(batch_size)
            .with_for_update()
        ).all()
        if not batch:
            break
        done = set(
            db.session.execute(
                select(CampaignDelivery.subscriber_id).where(
                    CampaignDelivery.campaign_id == campaign_id,
                    CampaignDelivery.subscriber_id.in_([row.id for row in batch]),
                )
            ).scalars()
        )
        mails = {}
        for row in batch:
            if row.id in done:
                continue
            if row.language not in rendered:
                rendered[row.language] = _render_once(
                    campaign, body_html, body_text, row.language
                )
            text, html = rendered[row.language]
            token = tokens.make_unsubscribe_token(row.id, row.email, serializer)
            url = public_url(f"/newsletter/unsubscribe/{token}")
            mails[row.id] = RenderedMail(
                to=row.email,
                subject=subject,
                text_body=text.replace(UNSUBSCRIBE_PLACEHOLDER, url),
                html_body=html.replace(UNSUBSCRIBE_PLACEHOLDER, str(escape(url))),
                dedupe_key=f"newsletter:{campaign_id}:{row.id}",
                headers=list_headers(url, identity),
            )
        outbox_ids = enqueue_many(list(mails.values()), purpose="newsletter")
        now = utcnow()
        if mails:
            db.session.execute(
                insert(CampaignDelivery.__table__),
                [
                    {
                        "campaign_id": campaign_id,
                        "subscriber_id": subscriber_id,
                        "outbox_message_id": outbox_ids[mail.dedupe_key],
                        "status": DeliveryStatus.QUEUED,
                        "created_at": now,
                    }
                    for subscriber_id, mail in mails.items()
                ],
            )
        db.session.commit()
        queued += len(mails)
        last_id = batch[-1].id
        if progress is not None:
            progress(len(batch))
    campaign = get_campaign(campaign_id)
    campaign.status = CampaignStatus.SENT
    campaign.sent_at = utcnow()
    campaign.recipients_count = db.session.execute(
        select(func.count())
        .select_from(CampaignDelivery)
        .where(CampaignDelivery.campaign_id == campaign_id)
    ).scalar_one()
    db.session.commit()
    return queued


def campaign_stats(campaign_id: int) -> dict[str, int]:
    """Per campaign: queued (not sent yet), sent, failed, cancelled, and how many of
    its recipients unsubscribed since it started."""
    campaign = get_campaign(campaign_id)
    by_status = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count())
            .join(
                CampaignDelivery, CampaignDelivery.outbox_message_id == OutboxMessage.id
            )
            .where(CampaignDelivery.campaign_id == campaign_id)
            .group_by(OutboxMessage.status)
        ).all()
    )
    unsubscribed_since = 0
    if campaign.sending_started_at is not None:
        unsubscribed_since = db.session.execute(
            select(func.count())
            .select_from(CampaignDelivery)
            .join(Subscriber, Subscriber.id == CampaignDelivery.subscriber_id)
            .where(
                CampaignDelivery.campaign_id == campaign_id,
                Subscriber.status == SubscriberStatus.UNSUBSCRIBED,
                Subscriber.unsubscribed_at >= campaign.sending_started_at,
            )
        ).scalar_one()
    return {
        "recipients": sum(by_status.values()),
        "queued": by_status.get(OutboxStatus.QUEUED, 0)
        + by_status.get(OutboxStatus.SENDING, 0),
        "sent": by_status.get(OutboxStatus.SENT, 0),
        "failed": by_status.get(OutboxStatus.FAILED, 0),
        "cancelled": by_status.get(OutboxStatus.CANCELLED, 0),
        "unsubscribed_since": unsubscribed_since,
    }


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
