"""Issue 12, point 10: the kept decisions, a decision's own expiry, and the optional
cookies of a visitor who refused them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from eshop.consent.registry import Category
from eshop.consent.state import UNDECIDED, state_from_payload

from .conftest import decide, is_deletion, set_cookies
from .test_consent_cookie import signed_consent_cookie

DECIDED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def payload(**changes: object) -> dict:
    return {
        "i": "0123456789abcdef01234567",
        "v": "v1",
        "d": int(DECIDED.timestamp()),
        "e": int((DECIDED + timedelta(days=30)).timestamp()),
        "s": "banner",
        "c": ["audience"],
        **changes,
    }


def test_a_refused_payload_stays_refused_after_a_lookalike_was_kept() -> None:
    # given the list form of a decision, parsed and kept
    kept = state_from_payload(payload(), policy_version="v1", now=DECIDED)
    assert kept.allows(Category.AUDIENCE)
    # when the same id, version and dates come with the categories as a dict
    as_dict = payload(c={"audience": True})
    # then it is refused, as it is when parsed fresh
    assert state_from_payload(as_dict, policy_version="v1", now=DECIDED) is UNDECIDED


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"c": ("audience",)}, id="tuple"),
        pytest.param({"i": True, "c": ["audience"]}, id="bool-id"),
        pytest.param({"x": 1}, id="extra-field"),
    ],
)
def test_only_the_exact_payload_shares_a_kept_decision(changes) -> None:
    first = state_from_payload(payload(), policy_version="v1", now=DECIDED)
    other = state_from_payload(payload(**changes), policy_version="v1", now=DECIDED)
    assert other is not first


def test_a_decision_never_outlasts_the_policy_maximum() -> None:
    # given a signed decision claiming to last five years
    five_years = payload(e=int((DECIDED + timedelta(days=5 * 365)).timestamp()))
    max_age = timedelta(days=182)
    # when it is read
    state = state_from_payload(
        five_years, policy_version="v1", now=DECIDED, max_age=max_age
    )
    # then it expires with the policy's maximum, counted from the decision
    assert state.expires_at == DECIDED + max_age
    later = DECIDED + max_age + timedelta(seconds=1)
    assert (
        state_from_payload(five_years, policy_version="v1", now=later, max_age=max_age)
        is UNDECIDED
    )


def test_a_decision_beyond_thirteen_months_is_capped_without_a_given_maximum() -> None:
    ten_years = payload(e=int((DECIDED + timedelta(days=3650)).timestamp()))
    state = state_from_payload(ten_years, policy_version="v1", now=DECIDED)
    assert state.expires_at == DECIDED + timedelta(days=390)


def test_the_shop_caps_a_signed_decision_at_consent_max_age_days(probe):
    # given a decision made 100 days ago that claims to last 1000 days, in an
    # envelope signed today (valid for CONSENT_MAX_AGE_DAYS, 182)
    client = probe.test_client()
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    decided = now - timedelta(days=100)
    long_lived = {
        "i": "abcdefgh12345678",
        "v": probe.extensions["lavande.consent"].policy_version,
        "d": int(decided.timestamp()),
        "e": int((decided + timedelta(days=1000)).timestamp()),
        "s": "banner",
        "c": ["audience", "advertising", "sharing"],
    }
    with time_machine.travel(now, tick=False):
        cookie = signed_consent_cookie(probe, long_lived, timedelta(days=182))
        client.set_cookie("consent", cookie)
        assert client.get("/_probe/optional").data == b"visitor,ads"
    # when it is read 90 days later: the envelope is valid, the decision 190 days old
    with time_machine.travel(now + timedelta(days=90), tick=False):
        client.set_cookie("consent", cookie)
        # then it no longer holds
        assert client.get("/_probe/optional").data == b"refused"
    with time_machine.travel(now + timedelta(days=81), tick=False):
        client.set_cookie("consent", cookie)
        assert client.get("/_probe/optional").data == b"visitor,ads"


def optional_cookies_deleted(response) -> set[str]:
    return {
        name
        for name, attrs in set_cookies(response).items()
        if name in {"visitor", "ads"} and is_deletion(attrs)
    }


@pytest.mark.parametrize("path", ["/", "/products", "/cookies", "/_probe/optional"])
def test_a_visitor_who_refused_gets_the_optional_cookies_they_still_send_deleted(
    probe, path
):
    # given a visitor who refused everything optional
    client = probe.test_client()
    decide(client, "refuse")
    # when their browser still sends the audience and advertising cookies
    client.set_cookie("visitor", "left-over")
    client.set_cookie("ads", "left-over")
    response = client.get(path)
    # then the response deletes both (and the guard lets it)
    assert response.status_code == 200
    assert optional_cookies_deleted(response) == {"visitor", "ads"}
    assert "Cookie" in response.headers.get("Vary", "")
    assert client.get_cookie("visitor") is None
    assert client.get_cookie("ads") is None


def test_gpc_counts_as_refusing_the_cookies_sent(probe):
    client = probe.test_client()
    client.set_cookie("ads", "left-over")
    response = client.get("/", headers={"Sec-GPC": "1"})
    assert optional_cookies_deleted(response) == {"ads"}


def test_accepted_cookies_are_left_alone(probe):
    client = probe.test_client()
    decide(client, "accept")
    assert client.get("/_probe/optional").data == b"visitor,ads"
    response = client.get("/")
    assert optional_cookies_deleted(response) == set()
    assert client.get_cookie("ads") is not None


def test_a_visitor_sending_no_optional_cookie_gets_no_deletion(probe):
    client = probe.test_client()
    decide(client, "refuse")
    shown = set_cookies(client.get("/cookies"))  # shows the flashed confirmation
    assert set(shown) <= {"session"} and not any(map(is_deletion, shown.values()))
    assert set_cookies(client.get("/")) == {}
