"""The retention purge: exact boundaries, a dry run, and a second run that changes
nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.newsletter.models import Subscriber
from eshop.orders.models import Order
from eshop.personal_data import register_purge, registered_purges
from eshop.privacy.models import AudienceEvent
from eshop.privacy.retention import months_before, purge

from .test_subject_rights import add_message, add_order

NOW = datetime(2036, 11, 26, 12, 0, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
ORDER_CUTOFF = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)  # 10 years before NOW
AUDIENCE_CUTOFF = datetime(2034, 10, 26, 12, 0, 0, tzinfo=UTC)  # 25 months before


@pytest.fixture
def old_data(app) -> None:
    with app.app_context():
        add_order("at-cutoff@example.org", "2026-000001", created_at=ORDER_CUTOFF)
        add_order(
            "before-cutoff@example.org", "2026-000002", created_at=ORDER_CUTOFF - SECOND
        )
        for number, moment in enumerate((AUDIENCE_CUTOFF, AUDIENCE_CUTOFF - SECOND)):
            _db.session.add(
                AudienceEvent(
                    visitor_id=f"visitor-{number:012d}",
                    kind="page",
                    target="/",
                    occurred_at=moment,
                )
            )
        _db.session.add(
            Subscriber(
                email="never-confirmed@example.org",
                status="pending",
                source="footer",
                wording_version="v1",
                created_at=NOW - timedelta(days=400),
                last_confirmation_sent_at=NOW - timedelta(days=400),
            )
        )
        add_message("sent-long-ago@example.org", "old-1", "old news")
        _db.session.flush()
        _db.session.execute(
            _db.update(OutboxMessage).values(
                sent_at=NOW - timedelta(days=400), created_at=NOW - timedelta(days=400)
            )
        )
        _db.session.commit()


def orders_by_email(app) -> dict[str, str]:
    with app.app_context():
        orders = _db.session.execute(_db.select(Order)).scalars()
        return {o.number: (o.email, o.full_name, o.total_cents) for o in orders}


def audience_times(app) -> list[datetime]:
    with app.app_context():
        return sorted(
            _db.session.execute(_db.select(AudienceEvent.occurred_at)).scalars()
        )


def test_retention_boundaries_are_exact(app, old_data):
    with time_machine.travel(NOW, tick=False), app.app_context():
        steps = purge(NOW)
    orders = orders_by_email(app)
    assert orders["2026-000001"] == ("at-cutoff@example.org", "Jeanne Martin", 2990)
    assert orders["2026-000002"] == ("", "", 2990)  # anonymized, amounts kept
    assert audience_times(app) == [AUDIENCE_CUTOFF]
    rows = {step.rule.split(":")[0].split(" older")[0]: step.rows for step in steps}
    assert rows["orders"] == 1
    assert rows["audience events"] == 1


def test_one_second_later_the_next_ones_go(app, old_data):
    with time_machine.travel(NOW + SECOND, tick=False), app.app_context():
        purge(NOW + SECOND)
    orders = orders_by_email(app)
    assert orders["2026-000001"][0] == ""
    assert audience_times(app) == []


def test_the_purge_command_reports_and_a_second_run_changes_nothing(
    app, runner, old_data
):
    with time_machine.travel(NOW, tick=False):
        first = runner.invoke(args=["privacy", "purge"])
        second = runner.invoke(args=["privacy", "purge"])
    assert first.exit_code == 0, first.output
    assert "orders older than 2026-11-26: personal fields anonymized: 1" in first.output
    assert "newsletter: unconfirmed sign-ups deleted: 1" in first.output
    assert "outbox: sent messages past retention deleted: 1" in first.output
    assert "Total: 0 row(s) changed." not in first.output
    assert second.exit_code == 0, second.output
    assert "Total: 0 row(s) changed." in second.output
    with app.app_context():
        assert _db.session.execute(_db.select(Subscriber)).scalars().all() == []
        assert _db.session.execute(_db.select(OutboxMessage)).scalars().all() == []


def test_a_dry_run_reports_what_would_change_and_changes_nothing(app, runner, old_data):
    with time_machine.travel(NOW, tick=False):
        dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "personal fields anonymized: 1 row(s) would change" in dry.output
    assert "unconfirmed sign-ups deleted: 1 row(s) would change" in dry.output
    assert orders_by_email(app)["2026-000002"][0] == "before-cutoff@example.org"
    assert len(audience_times(app)) == 2
    with app.app_context():
        assert len(_db.session.execute(_db.select(Subscriber)).scalars().all()) == 1
        assert len(_db.session.execute(_db.select(OutboxMessage)).scalars().all()) == 1


@pytest.mark.parametrize("app_config", [{"ORDER_RETENTION_YEARS": 3}])
def test_the_order_retention_is_configurable(app, old_data):
    with app.app_context():
        add_order(
            "recent@example.org", "2033-000001", created_at=NOW.replace(year=2033)
        )
        add_order(
            "older@example.org",
            "2033-000002",
            created_at=NOW.replace(year=2033) - SECOND,
        )
        _db.session.commit()
    with time_machine.travel(NOW, tick=False), app.app_context():
        purge(NOW)
    orders = orders_by_email(app)
    assert orders["2033-000001"][0] == "recent@example.org"
    assert orders["2033-000002"][0] == ""


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        ("2036-11-26T12:00:00", 25, "2034-10-26T12:00:00"),
        ("2026-03-31T08:00:00", 1, "2026-02-28T08:00:00"),
        ("2028-03-31T08:00:00", 1, "2028-02-29T08:00:00"),
        ("2036-02-29T00:00:00", 120, "2026-02-28T00:00:00"),
        ("2026-01-15T00:00:00", 13, "2024-12-15T00:00:00"),
    ],
)
def test_months_are_counted_on_the_calendar(moment, months, expected):
    start = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    assert months_before(start, months).isoformat() == expected + "+00:00"


def test_the_datamap_command_lists_every_personal_column(runner):
    result = runner.invoke(args=["privacy", "datamap"])
    assert result.exit_code == 0, result.output
    assert "customer_order.email" in result.output
    assert "newsletter_subscriber.email" in result.output


def test_each_package_registers_its_rules_at_set_up(app):
    rules = [purge.rule for purge in registered_purges(app)]
    assert rules == [
        "consent log: decisions past retention deleted",
        "outbox: sent messages past retention deleted",
        "payments: handled webhook event ids deleted",
        "newsletter: unconfirmed sign-ups deleted",
        "newsletter: unsubscribed for over 1095 days deleted",
        "accounts: unused for 36 months deleted, with their saved addresses",
        "accounts: expired sign-in links deleted",
    ]


def test_a_registered_rule_is_run_and_reported(app, runner):
    """Given a rule registered at set-up, the purge calls it with the time and
    reports its rows; a dry run reports them too."""
    seen = []

    def forget(now):
        seen.append(now)
        return 7

    register_purge(app, "samples: forgotten", forget)
    with time_machine.travel(NOW, tick=False):
        result = runner.invoke(args=["privacy", "purge"])
        dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert "samples: forgotten: 7 row(s) changed" in result.output
    assert "samples: forgotten: 7 row(s) would change" in dry.output
    assert seen == [NOW, NOW]
