"""The consent cookie: anything wrong with it means "not decided", never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from eshop.consent import service

from .conftest import decide, set_cookies


def signed_consent_cookie(app, payload, expires_in=timedelta(days=30)) -> str:
    """A correctly signed consent cookie with the given payload (an older policy,
    for instance), as a visitor from before a registry change would hold."""
    with app.test_request_context("/"):
        expires = service.utcnow() + expires_in
        return service._serializer("consent").dumps([payload, int(expires.timestamp())])


def valid_cookie(client) -> str:
    decide(client, "accept")
    return client.get_cookie("consent").value


def shows_banner(response) -> bool:
    return 'value="accept"' in response.get_data(as_text=True)


def sends_a_decision(app, cookie_header: str) -> bool:
    """Send a raw Cookie header (the test client's jar would refuse 8 KB values or
    bytes that are not UTF-8); False when the shop sees no decision. Never a 500."""
    raw_client = app.test_client(use_cookies=False)
    page = raw_client.get("/", headers={"Cookie": cookie_header})
    assert page.status_code == 200
    written = raw_client.get("/_probe/optional", headers={"Cookie": cookie_header})
    assert shows_banner(page) == (written.data == b"refused")
    return written.data == b"visitor,ads"


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(
            lambda v: v[:-3] + ("AAA" if v[-3:] != "AAA" else "BBB"), id="bad-signature"
        ),
        pytest.param(lambda v: v[: len(v) // 2], id="truncated"),
        pytest.param(lambda v: v + "A" * 8192, id="8KB"),
        pytest.param(lambda v: "A" * 8192, id="8KB-garbage"),
        pytest.param(lambda v: "not-a-token", id="garbage"),
        pytest.param(lambda v: "", id="empty"),
        pytest.param(lambda v: "e30.AAAA", id="json-without-signature"),
    ],
)
def test_a_mangled_consent_cookie_is_undecided(probe, mangle):
    client = probe.test_client()
    value = valid_cookie(client)
    assert sends_a_decision(probe, f"consent={value}")  # the control: it is sound
    assert not sends_a_decision(probe, f"consent={mangle(value)}")


def test_a_non_utf8_consent_cookie_is_undecided(probe):
    value = valid_cookie(probe.test_client())
    assert not sends_a_decision(probe, f"consent=\xff\xfe{value}; cart=\xc3\x28")
    assert not sends_a_decision(probe, "consent=\xc3\x28\xa0\xa1")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param("old", id="older-policy-version"),
        pytest.param(None, id="no-version"),
        pytest.param("list", id="not-a-dict"),
        pytest.param("unknown-category", id="unknown-category"),
        pytest.param("future", id="decided-in-the-future"),
    ],
)
def test_a_signed_but_unacceptable_decision_is_undecided(probe, payload):
    client = probe.test_client()
    decide(client, "accept")
    good = {
        "i": "abcdefgh12345678",
        "v": probe.extensions["lavande.consent"].policy_version,
        "d": int(service.utcnow().timestamp()),
        "e": int((service.utcnow() + timedelta(days=30)).timestamp()),
        "s": "banner",
        "c": ["audience", "advertising", "sharing"],
    }
    bad = {
        "old": {**good, "v": "0123456789ab"},
        None: {k: v for k, v in good.items() if k != "v"},
        "list": [good],
        "unknown-category": {**good, "c": ["audience", "tracking"]},
        "future": {**good, "d": good["d"] + 86400},
    }[payload]
    client.set_cookie("consent", signed_consent_cookie(probe, bad))
    response = client.get("/")
    assert response.status_code == 200
    assert shows_banner(response)
    assert client.get("/_probe/optional").data == b"refused"
    # the same cookie, with the current version, is a decision: the test is sound
    client.set_cookie("consent", signed_consent_cookie(probe, good))
    assert client.get("/_probe/optional").data == b"visitor,ads"


def test_a_new_policy_version_asks_every_visitor_again(app, probe, tmp_path):
    client = probe.test_client()
    decide(client, "accept")
    assert not shows_banner(client.get("/"))
    probe.config["COOKIE_POLICY_TEXT_VERSION"] = "2027-01"
    from eshop.consent import init_registry

    init_registry(probe)
    assert shows_banner(client.get("/"))
    assert client.get("/_probe/optional").data == b"refused"


def test_the_decision_expires_after_its_lifetime_and_the_banner_returns(probe):
    client = probe.test_client()
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        response = decide(client, "accept")
        consent = set_cookies(response)["consent"]
        assert consent["expires"] == "Thu, 27 May 2027 10:00:00 GMT"  # 182 days
        assert int(consent["max-age"]) == 182 * 86400
    with time_machine.travel("2027-05-27 09:59:00+00:00", tick=False):
        assert client.get("/_probe/optional").data == b"visitor,ads"
    with time_machine.travel("2027-05-27 10:00:01+00:00", tick=False):
        # the browser would have dropped it; a client that still sends it is ignored
        client.set_cookie("consent", consent["value"])
        assert client.get("/_probe/optional").data == b"refused"
        assert shows_banner(client.get("/"))


def test_a_new_decision_keeps_the_consent_id(app, client):
    from eshop.consent.models import ConsentDecision
    from eshop.extensions import db

    decide(client, "accept")
    decide(client, "refuse")
    with app.app_context():
        ids = db.session.execute(db.select(ConsentDecision.consent_id)).scalars().all()
    assert len(ids) == 2 and ids[0] == ids[1]


def test_mail_templates_rendered_outside_a_request_allow_nothing_optional(app):
    with app.app_context():
        template = app.jinja_env.from_string("{{ consent_allows('audience') }}")
        assert template.render() == "False"


def test_vary_names_each_header_once():
    from flask import Response

    from eshop.consent.service import add_vary

    response = Response()
    add_vary(response, "Cookie")
    add_vary(response, "cookie", "Sec-GPC")
    add_vary(response, "Sec-GPC")

    assert response.headers["Vary"] == "Cookie, Sec-GPC"
