"""A decision's dates are checked on every read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eshop.consent.registry import Category
from eshop.consent.state import UNDECIDED, new_decision, state_from_payload

DECIDED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def payload(**changes: object) -> dict:
    state = new_decision(
        {Category.AUDIENCE},
        source="banner",
        policy_version="v1",
        now=DECIDED,
        lifetime=timedelta(days=180),
    )
    return {**state.to_payload(), **changes}


def test_a_decision_expires() -> None:
    sent = payload()
    read = state_from_payload(sent, policy_version="v1", now=DECIDED)
    assert read.allows(Category.AUDIENCE)
    assert state_from_payload(sent, policy_version="v1", now=DECIDED) == read
    later = DECIDED + timedelta(days=181)
    assert state_from_payload(sent, policy_version="v1", now=later) is UNDECIDED


def test_a_decision_is_not_read_from_before_it_was_made() -> None:
    sent = payload()
    assert state_from_payload(sent, policy_version="v1", now=DECIDED).decided
    too_early = DECIDED - timedelta(hours=1)
    assert state_from_payload(sent, policy_version="v1", now=too_early) is UNDECIDED


def test_another_policy_version_or_a_changed_field_is_parsed_again() -> None:
    sent = payload()
    assert state_from_payload(sent, policy_version="v1", now=DECIDED).decided
    assert state_from_payload(sent, policy_version="v2", now=DECIDED) is UNDECIDED
    unknown = payload(c=["audience", "telemetry"])
    assert state_from_payload(unknown, policy_version="v1", now=DECIDED) is UNDECIDED
    for broken in (payload(c="audience"), payload(c=[{}]), [1, 2], None):
        assert state_from_payload(broken, policy_version="v1", now=DECIDED) is UNDECIDED
