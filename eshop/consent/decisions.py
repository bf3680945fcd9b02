"""The decision log's use cases: write the proof, purge it, count it for the owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func
from sqlalchemy.exc import IntegrityError

from eshop.clock import utcnow
from eshop.extensions import db

from .models import ConsentDecision, ConsentPolicy
from .registry import OPTIONAL_CATEGORIES, Category, Registry
from .state import ConsentState


def log_decision(state: ConsentState, registry: Registry) -> ConsentDecision:
    """Write one proof-of-consent row for the decision in force, and commit it."""
    assert state.consent_id and state.source and state.decided_at
    entry = ConsentDecision(
        consent_id=state.consent_id,
        decided_at=state.decided_at,
        policy_version=registry.policy_version,
        registry_hash=registry.registry_hash,
        text_version=registry.text_version,
        source=state.source,
        audience=state.allows(Category.AUDIENCE),
        advertising=state.allows(Category.ADVERTISING),
        sharing=state.allows(Category.SHARING),
        gpc=state.gpc,
    )
    db.session.add(entry)
    keep_policy_snapshot(registry)
    db.session.commit()
    return entry


def keep_policy_snapshot(registry: Registry) -> None:
    """Store this policy version's cookie declarations once, on its first decision."""
    if db.session.get(ConsentPolicy, registry.policy_version) is not None:
        return
    snapshot = ConsentPolicy(
        version=registry.policy_version,
        registry_hash=registry.registry_hash,
        text_version=registry.text_version,
        cookies=[spec.as_dict() for spec in registry],
    )
    try:
        with db.session.begin_nested():  # another process may store it first
            db.session.add(snapshot)
    except IntegrityError:
        pass


@dataclass(frozen=True)
class Proof:
    """Every decision logged under one consent id, with the policies they refer to."""

    consent_id: str
    decisions: list[ConsentDecision]
    policies: dict[str, ConsentPolicy]


def proof_of_consent(consent_id: str) -> Proof:
    """What the visitor with this consent id agreed to, and when (oldest first)."""
    decisions = list(
        db.session.execute(
            db.select(ConsentDecision)
            .where(ConsentDecision.consent_id == consent_id)
            .order_by(ConsentDecision.decided_at, ConsentDecision.id)
        ).scalars()
    )
    versions = {decision.policy_version for decision in decisions}
    policies = {
        policy.version: policy
        for policy in db.session.execute(
            db.select(ConsentPolicy).where(ConsentPolicy.version.in_(versions))
        ).scalars()
    }
    return Proof(consent_id, decisions, policies)


def purge_consent_log(now: datetime) -> int:
    """Delete the decisions older than CONSENT_LOG_RETENTION_DAYS; return how many."""
    cutoff = now - timedelta(days=current_app.config["CONSENT_LOG_RETENTION_DAYS"])
    result = db.session.execute(
        db.delete(ConsentDecision).where(ConsentDecision.decided_at < cutoff)
    )
    db.session.commit()
    return result.rowcount or 0


@dataclass(frozen=True)
class DecisionsOnDay:
    """How many decisions were made on one day, and how many accepted each category.

    ``accepted`` maps each optional category's name ("audience", "advertising",
    "sharing") to the number of that day's decisions accepting it.
    """

    day: date
    decisions: int = 0
    accepted: dict[str, int] = field(default_factory=dict)


def _utc_hour(column: Any) -> Any:
    """SQL truncating a timestamp to its UTC hour, on PostgreSQL and SQLite."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _as_utc(hour: datetime | str) -> datetime:
    if isinstance(hour, str):  # SQLite gives text, in UTC
        hour = datetime.fromisoformat(hour)
    return hour.replace(tzinfo=UTC) if hour.tzinfo is None else hour


def decisions_per_day(
    days: int, *, now: datetime | None = None
) -> list[DecisionsOnDay]:
    """The last ``days`` days (today included, the shop's time zone), oldest first,
    with days without decisions counted as zero: ready for the admin's charts.

    The database counts per UTC hour (a year is at most 8,784 groups, whatever the
    traffic); each hour then falls into its local day, exact for whole-hour zones.
    """
    if days < 1:
        return []
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))
    today = (now or utcnow()).astimezone(zone).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=zone)
    hour = _utc_hour(ConsentDecision.decided_at).label("hour")
    accepted_columns = [
        ConsentDecision.audience,
        ConsentDecision.advertising,
        ConsentDecision.sharing,
    ]
    rows = db.session.execute(
        db.select(
            hour,
            func.count(ConsentDecision.id),
            *(func.sum(case((column, 1), else_=0)) for column in accepted_columns),
        )
        .where(ConsentDecision.decided_at >= since)
        .group_by(hour)
    )
    counts = {first_day + timedelta(days=n): [0, 0, 0, 0] for n in range(days)}
    for started_at, *figures in rows:
        day = _as_utc(started_at).astimezone(zone).date()
        if day not in counts:
            continue  # decided "in the future": a clock skew, not worth a chart bar
        tally = counts[day]
        for index, figure in enumerate(figures):
            tally[index] += int(figure or 0)
    names = [category.value for category in OPTIONAL_CATEGORIES]
    return [
        DecisionsOnDay(day, tally[0], dict(zip(names, tally[1:], strict=True)))
        for day, tally in counts.items()
    ]
