"""Member sessions end: after ACCOUNT_IDLE_TIMEOUT_MINUTES without a request, after
ACCOUNT_SESSION_MAX_HOURS in any case, and everywhere at sign-out."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from eshop.clock import utcnow

from .conftest import Member


def copy_of(member: Member) -> Member:
    """Another browser holding a copy of the member's session cookie (a thief's)."""
    thief = member.app.test_client()
    thief.set_cookie("session", member.client.get_cookie("session").value)
    return Member(thief, member.app)


def test_signed_out_after_30_minutes_without_a_request(app, shopper):
    assert app.config.get("ACCOUNT_IDLE_TIMEOUT_MINUTES", 30) == 30
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.sign_in()
        clock.shift(timedelta(minutes=29, seconds=59))
        assert shopper.signed_in()
        clock.shift(timedelta(minutes=30, seconds=1))
        page = shopper.home()
        assert "Send me a sign-in link" in page.text
        assert "signed out after 30 minutes without activity" in page.text
        assert not shopper.signed_in()


def test_the_idle_time_follows_the_setting_and_each_request_restarts_it(app, shopper):
    app.config["ACCOUNT_IDLE_TIMEOUT_MINUTES"] = 5
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.sign_in()
        for _ in range(6):  # active every 4 minutes for 24 minutes
            clock.shift(timedelta(minutes=4))
            assert shopper.signed_in()
        clock.shift(timedelta(minutes=5, seconds=1))
        assert not shopper.signed_in()


def test_signed_out_24_hours_after_signing_in_however_active(app, shopper):
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.sign_in()
        for _ in range(57):  # 23 h 45 min, a request every 25 minutes
            clock.shift(timedelta(minutes=25))
            assert shopper.signed_in()
        clock.shift(timedelta(minutes=15, seconds=1))
        page = shopper.home()
        assert "a sign-in lasts 24 hours at most" in page.text
        assert not shopper.signed_in()


def test_a_member_page_after_the_timeout_leads_to_the_sign_in_page(app, shopper):
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.sign_in()
        clock.shift(timedelta(minutes=31))
        response = shopper.client.get("/account/data.json")
        assert response.status_code == 303
        assert response.headers["Location"].endswith("/account")
        page = shopper.client.get(response.headers["Location"] + "?lang=fr")
        assert "Vous avez été déconnecté après 30 minutes d’inactivité" in page.text


def test_sign_out_ends_every_copy_of_the_session(app, member):
    thief = copy_of(member)
    assert thief.signed_in()
    response = member.post("/account/sign-out")
    assert response.status_code == 303
    assert not member.signed_in()
    assert not thief.signed_in()
    assert thief.client.get("/account/data.json").status_code == 303


def test_signing_in_again_after_signing_out_works(app, member):
    member.post("/account/sign-out")
    member.sign_in()
    assert member.signed_in()


def test_sign_out_needs_the_form_token(app, member):
    assert member.client.post("/account/sign-out").status_code == 400
    assert member.signed_in()


def test_a_forged_session_value_signs_nobody_in(app, member):
    """The session is signed: a client cannot write a member id into it."""
    forged = member.app.test_client()
    forged.set_cookie("session", "eyJtZW1iZXIiOnsiaWQiOjF9fQ.forged.signature")
    assert not Member(forged, member.app).signed_in()


def test_any_request_to_the_shop_counts_as_activity(app, shopper):
    """Browsing the catalogue, not only the account pages, keeps a member in."""
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.sign_in()
        for _ in range(6):  # two hours on the shop's other pages
            clock.shift(timedelta(minutes=20))
            assert shopper.client.get("/cart?lang=en").status_code == 200
        assert shopper.signed_in()


def test_the_reason_is_told_on_the_next_account_page(app, shopper):
    with time_machine.travel(utcnow(), tick=False) as clock:
        shopper.sign_in()
        clock.shift(timedelta(minutes=31))
        assert shopper.client.get("/cart?lang=en").status_code == 200  # ends there
        page = shopper.home().text
        assert "signed out after 30 minutes without activity" in page
        assert "without activity. Please sign in again" not in shopper.home().text
