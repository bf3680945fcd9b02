"""Campaigns: a Markdown letter, previewed, test-sent, then queued in the outbox for
every confirmed subscriber, a committed batch at a time, resumable after a crash."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import func, insert, select

from eshop.clock import utcnow
from eshop.extensions import db
from eshop.mail import HeaderInjection, check_header_value, enqueue
from eshop.mail.models import OutboxMessage, OutboxStatus
from eshop.mail.services import RenderedMail, enqueue_many

from . import tokens
from .errors import CampaignError, CampaignNotFound
from .models import (
    Campaign,
    CampaignDelivery,
    CampaignStatus,
    DeliveryStatus,
    Subscriber,
    SubscriberStatus,
)
from .rendering import markdown_to_html, markdown_to_text
from .subscriptions import normalize_email, public_url, take_write_lock

MAX_SUBJECT_LENGTH = 200
UNSUBSCRIBE_PLACEHOLDER = "lavande-unsubscribe-url-placeholder"


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
        take_write_lock()
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
