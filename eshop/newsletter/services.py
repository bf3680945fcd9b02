"""The newsletter's services, in one place for the views, the checkout, the admin
and the privacy purge: subscriptions (double opt-in, leaving, purges) and campaigns
(writing, previewing, queuing, figures). Each lives in its own module."""

from __future__ import annotations

from .campaigns import (
    ListIdentity,
    campaign_stats,
    confirmed_count,
    create_campaign,
    enqueue_campaign,
    get_campaign,
    list_campaigns,
    list_headers,
    render_campaign,
    send_test,
    update_campaign,
)
from .errors import (
    CampaignError,
    CampaignNotFound,
    ExpiredLink,
    InvalidEmail,
    InvalidFirstName,
    InvalidLink,
    NewsletterError,
)
from .subscriptions import (
    CONSENT_WORDING,
    WORDING_VERSION,
    check_unsubscribe_link,
    clean_first_name,
    confirm_subscription,
    export_subscribers_csv,
    normalize_email,
    public_url,
    purge_unconfirmed,
    purge_unsubscribed,
    request_subscription,
    subscriber_counts,
    token_max_age,
    unsubscribe,
)

__all__ = [
    "CONSENT_WORDING",
    "WORDING_VERSION",
    "CampaignError",
    "CampaignNotFound",
    "ExpiredLink",
    "InvalidEmail",
    "InvalidFirstName",
    "InvalidLink",
    "ListIdentity",
    "NewsletterError",
    "campaign_stats",
    "check_unsubscribe_link",
    "clean_first_name",
    "confirm_subscription",
    "confirmed_count",
    "create_campaign",
    "enqueue_campaign",
    "export_subscribers_csv",
    "get_campaign",
    "list_campaigns",
    "list_headers",
    "normalize_email",
    "public_url",
    "purge_unconfirmed",
    "purge_unsubscribed",
    "render_campaign",
    "request_subscription",
    "send_test",
    "subscriber_counts",
    "token_max_age",
    "unsubscribe",
    "update_campaign",
]
