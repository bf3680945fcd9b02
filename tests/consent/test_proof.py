"""Proof of consent: the owner can show what a visitor agreed to, and when."""

from __future__ import annotations

import time_machine

from eshop.consent.decisions import proof_of_consent

from .conftest import csrf_token, decide


def consent_id_of(app, client) -> str:
    with app.test_request_context(
        "/", headers={"Cookie": f"consent={client.get_cookie('consent').value}"}
    ):
        from eshop.consent import current_state

        return current_state().consent_id


def test_each_decision_is_kept_with_the_policy_it_agreed_to(app, client):
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        decide(client, "accept")
    with time_machine.travel("2026-11-27 09:00:00+00:00", tick=False):
        token = csrf_token(client, "/consent")
        client.post("/consent", data={"csrf_token": token, "category": ["sharing"]})
        consent_id = consent_id_of(app, client)
    with app.app_context():
        proof = proof_of_consent(consent_id)
        assert [(d.source, d.audience, d.sharing) for d in proof.decisions] == [
            ("banner", True, True),
            ("preferences", False, True),
        ]
        registry = app.extensions["lavande.consent"]
        [policy] = proof.policies.values()
        assert policy.version == registry.policy_version
        assert {c["name"] for c in policy.cookies} == {s.name for s in registry}


def test_the_proof_command_prints_the_history(app, client, runner):
    decide(client, "refuse")
    consent_id = consent_id_of(app, client)
    with app.app_context():
        result = runner.invoke(args=["consent", "proof", consent_id])
    assert result.exit_code == 0, result.output
    assert "banner" in result.output and "nothing optional" in result.output
    assert '"name": "visitor"' in result.output


def test_the_proof_command_says_when_nothing_is_logged(app, runner):
    with app.app_context():
        result = runner.invoke(args=["consent", "proof", "nobody-at-all"])
    assert result.exit_code != 0
    assert "No decision" in result.output


def test_consent_ids_can_be_pasted_into_the_command_line():
    from datetime import timedelta

    from eshop.clock import utcnow
    from eshop.consent.state import new_decision

    ids = {
        new_decision(
            set(),
            source="banner",
            policy_version="v",
            now=utcnow(),
            lifetime=timedelta(days=1),
        ).consent_id
        for _ in range(200)
    }

    assert len(ids) == 200
    assert all(len(i) == 24 and not i.startswith("-") and i.isalnum() for i in ids)
