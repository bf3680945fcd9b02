"""The newsletter: subscribers (double opt-in), campaigns and one delivery per
recipient, so that a send can resume after a crash without mailing anyone twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from eshop.clock import utcnow
from eshop.db_types import UTCDateTime
from eshop.extensions import db
from eshop.personal_data import personal


class SubscriberStatus:
    PENDING = "pending"  # signed up, confirmation link not followed yet
    CONFIRMED = "confirmed"  # followed the link: receives campaigns
    UNSUBSCRIBED = "unsubscribed"  # left; receives nothing until a new opt-in


class SubscriptionSource:
    FOOTER = "footer"  # the form in every page's footer
    PAGE = "page"  # the /newsletter page
    CHECKOUT = "checkout"  # the opt-in box at checkout

    ALL = (FOOTER, PAGE, CHECKOUT)


class CampaignStatus:
    DRAFT = "draft"  # being written; can be edited, previewed, test-sent
    SENDING = "sending"  # deliveries being queued (or a queuing run crashed)
    SENT = "sent"  # every confirmed subscriber has a delivery in the outbox


class DeliveryStatus:
    QUEUED = "queued"  # handed to the outbox; the outbox row tells what happened next
    CANCELLED = "cancelled"  # the subscriber left before it was sent


class Subscriber(db.Model):
    """One email address and the proof of its consent to the newsletter."""

    __tablename__ = "newsletter_subscriber"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'unsubscribed')", name="status"
        ),
        CheckConstraint("source IN ('footer', 'page', 'checkout')", name="source"),
        Index("ix_newsletter_subscriber_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(
        String(254),
        unique=True,
        info=personal(
            "newsletter",
            "newsletter_active",
            description="email address the newsletter is sent to",
        ),
    )
    first_name: Mapped[str | None] = mapped_column(
        String(80),
        info=personal(
            "newsletter",
            "newsletter_active",
            description="optional first name used to greet the subscriber",
        ),
    )
    status: Mapped[str] = mapped_column(String(20), default=SubscriberStatus.PENDING)
    language: Mapped[str] = mapped_column(String(5), default="fr")
    source: Mapped[str] = mapped_column(String(20))
    wording_version: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime,
        default=utcnow,
        info=personal(
            "newsletter",
            "newsletter_active",
            description="when the address was first given",
        ),
    )
    last_confirmation_sent_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime,
        info=personal(
            "newsletter",
            "newsletter_pending",
            description="when the last confirmation link was sent",
        ),
    )
    confirmed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime,
        info=personal(
            "newsletter",
            "newsletter_active",
            description="when the subscriber confirmed (proof of consent)",
        ),
    )
    unsubscribed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime,
        info=personal(
            "newsletter",
            "newsletter_unsubscribed",
            description="when the subscriber left",
        ),
    )


class Campaign(db.Model):
    """One newsletter issue: a subject and a Markdown body, sent once."""

    __tablename__ = "newsletter_campaign"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'sending', 'sent')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.DRAFT)
    recipients_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow
    )
    sending_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignDelivery(db.Model):
    """A campaign handed to the outbox for one subscriber: at most one per pair."""

    __tablename__ = "newsletter_delivery"
    __table_args__ = (
        UniqueConstraint("campaign_id", "subscriber_id"),
        CheckConstraint("status IN ('queued', 'cancelled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_campaign.id", ondelete="CASCADE")
    )
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("newsletter_subscriber.id", ondelete="CASCADE"), index=True
    )
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
