"""The decision log kept as proof: purge after the retention period, daily figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from eshop.consent import decisions_per_day, purge_consent_log
from eshop.consent.models import ConsentDecision

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def log(db, decided_at, *, audience=False, advertising=False, sharing=False):
    db.session.add(
        ConsentDecision(
            consent_id="abcdefgh12345678",
            decided_at=decided_at,
            policy_version="0123456789ab",
            registry_hash="0123456789ab",
            text_version="2026-11",
            source="banner",
            audience=audience,
            advertising=advertising,
            sharing=sharing,
        )
    )
    db.session.commit()


def test_purge_deletes_only_the_decisions_past_retention(app, db):
    retention = timedelta(days=app.config["CONSENT_LOG_RETENTION_DAYS"])
    log(db, NOW - retention - timedelta(days=1))
    log(db, NOW - retention - timedelta(seconds=1))
    log(db, NOW - retention + timedelta(days=1))
    log(db, NOW)
    assert purge_consent_log(NOW) == 2
    assert purge_consent_log(NOW) == 0
    left = db.session.execute(db.select(ConsentDecision.decided_at)).scalars().all()
    assert sorted(left) == [NOW - retention + timedelta(days=1), NOW]


@pytest.mark.parametrize("app_config", [{"CONSENT_LOG_RETENTION_DAYS": 30}])
def test_the_retention_period_comes_from_config(db):
    log(db, NOW - timedelta(days=31))
    log(db, NOW - timedelta(days=29))
    assert purge_consent_log(NOW) == 1


def test_decisions_per_day_counts_decisions_and_acceptances(db):
    log(db, NOW, audience=True, advertising=True, sharing=True)
    log(db, NOW - timedelta(hours=1), audience=True)
    log(db, NOW - timedelta(days=2))
    log(db, NOW - timedelta(days=10), audience=True)  # outside the window
    days = decisions_per_day(3, now=NOW)
    assert [d.day for d in days] == [
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 26),
    ]
    assert [d.decisions for d in days] == [1, 0, 2]
    assert days[2].accepted == {"audience": 2, "advertising": 1, "sharing": 1}
    assert days[1].accepted == {"audience": 0, "advertising": 0, "sharing": 0}


def test_days_follow_the_shop_time_zone(db):
    # 23:30 UTC on the 25th is already the 26th in Paris
    log(db, datetime(2026, 11, 25, 23, 30, tzinfo=UTC))
    days = decisions_per_day(2, now=NOW)
    assert [d.decisions for d in days] == [0, 1]


def test_no_days_asked_gives_no_figures(db):
    assert decisions_per_day(0, now=NOW) == []


def test_a_logged_decision_respects_the_known_sources(db):
    from sqlalchemy.exc import IntegrityError

    entry = ConsentDecision(
        consent_id="abcdefgh12345678",
        policy_version="x",
        registry_hash="x",
        text_version="x",
        source="guess",
        audience=True,
        advertising=True,
        sharing=True,
    )
    db.session.add(entry)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
