"""The rows of the privacy page's tables, built from the data map and the registry."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from eshop import consent
from eshop.newsletter.services import unsubscribed_retention_days
from eshop.personal_data import retention_description

from . import datamap
from .retention import DEFAULT_ORDER_RETENTION_YEARS

PURPOSE_LABELS = {
    "order_processing": _l("Processing and delivering your orders, and our accounts"),
    "newsletter": _l("Sending the newsletter you subscribed to"),
}
CATEGORY_LABELS = {
    "technical": _l("Technical (always on)"),
    "audience": _l("Audience measurement"),
    "advertising": _l("Advertising"),
    "sharing": _l("Sharing"),
}


@dataclass(frozen=True)
class DataRow:
    what: str
    field: str
    purpose: str
    retention: str


@dataclass(frozen=True)
class CookieRow:
    name: str
    category: str
    purpose: str
    lifetime: str
    set_by: str


def retention_label(rule: str) -> str:
    """Say in words how long a retention rule keeps data."""
    config = current_app.config
    if rule == "order_legal":
        years = config.get("ORDER_RETENTION_YEARS", DEFAULT_ORDER_RETENTION_YEARS)
        return gettext(
            "%(years)s years after the order (accounting law), then anonymized",
            years=years,
        )
    if rule == "newsletter_active":
        return gettext("As long as you stay subscribed")
    if rule == "newsletter_pending":
        return gettext("Deleted if the subscription is not confirmed")
    if rule == "newsletter_unsubscribed":
        days = unsubscribed_retention_days(current_app)
        return gettext(
            "%(days)s days after you unsubscribe (proof of your choice)", days=days
        )
    if rule == "outbox_sent":
        days = config.get("OUTBOX_RETENTION_DAYS")
        if days:
            return gettext("%(days)s days after the email was sent", days=days)
        return gettext("A short time after the email was sent")
    return retention_description(current_app, rule) or rule


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def data_rows(locale: str) -> list[DataRow]:
    """One row per personal column the models declare."""
    return [
        DataRow(
            what=sentence_case(
                gettext(field.description) if field.description else field.column
            ),
            field=field.key,
            purpose=str(PURPOSE_LABELS.get(field.purpose, field.purpose)),
            retention=retention_label(field.retention),
        )
        for field in datamap.personal_fields()
    ]


def lifetime_label(max_age_days: int | None) -> str:
    if max_age_days is None:
        return gettext("Until you close the browser")
    if max_age_days >= 365:
        return gettext("%(months)s months", months=round(max_age_days / 30))
    return gettext("%(days)s days", days=max_age_days)


def set_by_label(party: str, host: str | None) -> str:
    if party == "first":
        return gettext("This shop")
    for company in ("Facebook", "Instagram"):
        if company.lower() in (host or ""):
            return company
    return host or ""


def cookie_rows(locale: str) -> list[CookieRow]:
    """One row per cookie the registry declares, third-party ones included."""
    return [
        CookieRow(
            name=spec.name,
            category=str(CATEGORY_LABELS.get(str(spec.category), spec.category)),
            purpose=spec.purpose(locale),
            lifetime=lifetime_label(
                None if spec.max_age is None else spec.max_age.days
            ),
            set_by=set_by_label(spec.party, spec.host),
        )
        for spec in consent.registry()
    ]
