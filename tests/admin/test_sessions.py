"""Sessions that really end: logout and a new password end every copy of the owner's
session cookie, a login lasts ADMIN_SESSION_MAX_HOURS however active, and the server
refuses any session cookie signed more than SESSION_MAX_AGE_HOURS ago."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from flask import Flask
from flask.testing import FlaskClient

from eshop.clock import utcnow

from .conftest import OWNER_PASSWORD, AdminActions

LOGIN = "/admin/login"


def copy_of_session(source: FlaskClient, app: Flask) -> FlaskClient:
    """Another client holding a copy of ``source``'s session cookie (a thief's)."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def test_a_copy_of_the_session_cookie_stops_working_at_logout(admin, app):
    """Given a copy of the owner's session cookie taken while logged in, when the
    owner logs out, then the copy no longer opens /admin/."""
    thief = copy_of_session(admin.client, app)
    assert thief.get("/admin/").status_code == 200
    assert admin.logout().status_code == 302
    assert admin.client.get("/admin/").status_code == 302
    response = thief.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(LOGIN)


def test_a_copy_of_the_session_cookie_stops_working_at_a_new_password(admin, app):
    thief = copy_of_session(admin.client, app)
    changed = admin.post(
        "/admin/password",
        {
            "current_password": OWNER_PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert changed.status_code == 302
    assert admin.client.get("/admin/").status_code == 200
    assert thief.get("/admin/").status_code == 302


def test_create_admin_resetting_the_password_ends_every_session(admin, app, runner):
    runner.invoke(
        args=["create-admin", "owner@lavande.example"],
        input="a brand new secret\na brand new secret\n",
    )
    assert admin.client.get("/admin/").status_code == 302


def test_logging_in_again_after_logout_works(admin):
    admin.logout()
    assert admin.login().status_code == 302
    assert admin.client.get("/admin/").status_code == 200


def test_a_login_lasts_twelve_hours_however_active(app, client, owner):
    """Given an owner active every 25 minutes, when 12 hours have passed since the
    login, then the next admin page asks to log in again and says why."""
    assert app.config["ADMIN_SESSION_MAX_HOURS"] == 12
    with time_machine.travel(utcnow(), tick=False) as clock:
        assert AdminActions(client).login().status_code == 302
        for _ in range(28):  # 11 h 40 min
            clock.shift(timedelta(minutes=25))
            assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=20, seconds=1))
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response.headers["Location"].startswith(LOGIN)
        page = client.get(response.headers["Location"])
        assert "Votre session a pris fin" in page.text
        assert AdminActions(client).login().status_code == 302
        assert client.get("/admin/").status_code == 200


def test_the_absolute_lifetime_is_configurable(app, client, owner):
    app.config["ADMIN_SESSION_MAX_HOURS"] = 1
    with time_machine.travel(utcnow(), tick=False) as clock:
        AdminActions(client).login()
        for _ in range(2):
            clock.shift(timedelta(minutes=29))
            assert client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=2, seconds=1))
        assert client.get("/admin/").status_code == 302


def test_a_session_without_a_login_time_logs_nobody_in(admin):
    """A session from before this rule (no login time) is ended, not trusted."""
    with admin.client.session_transaction() as session:
        del session["admin_logged_in_at"]
    assert admin.client.get("/admin/").status_code == 302


def test_a_session_cookie_signed_400_days_ago_is_refused(app, client):
    """Given a session cookie signed 400 days ago (the shop's own: a CSRF token),
    then the server reads it as an empty session; one signed an hour ago is read."""
    assert app.config["SESSION_MAX_AGE_HOURS"] == 24
    now = utcnow()
    with time_machine.travel(now - timedelta(days=400), tick=False):
        with client.session_transaction() as session:
            session["csrf_token"] = "from long ago"
    with time_machine.travel(now, tick=False):
        with client.session_transaction() as session:
            assert "csrf_token" not in session
            session["csrf_token"] = "recent"
    with time_machine.travel(now + timedelta(hours=23), tick=False):
        with client.session_transaction() as session:
            assert session.get("csrf_token") == "recent"
    with time_machine.travel(now + timedelta(hours=24, seconds=2), tick=False):
        with client.session_transaction() as session:
            assert "csrf_token" not in session


def test_an_old_admin_session_cookie_does_not_log_in(admin, app):
    """A copy of the owner's session cookie kept 400 days opens nothing, even when
    the owner never logged out."""
    thief = copy_of_session(admin.client, app)
    with time_machine.travel(utcnow() + timedelta(days=400), tick=False):
        assert thief.get("/admin/").status_code == 302


def test_a_session_signed_ahead_of_this_hosts_clock_is_read(app, client):
    """Another host of the shop, its clock a minute ahead, signed the cookie."""
    now = utcnow()
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        with client.session_transaction() as session:
            session["csrf_token"] = "from a host ahead"
    with time_machine.travel(now, tick=False):
        with client.session_transaction() as session:
            assert session.get("csrf_token") == "from a host ahead"


def test_a_session_signed_before_a_key_rotation_still_reads(app, client):
    with client.session_transaction() as session:
        session["csrf_token"] = "before the rotation"
    old_key = app.secret_key
    app.config["SECRET_KEY"] = app.secret_key = "a-new-key-" + "x" * 40
    with client.session_transaction() as session:
        assert "csrf_token" not in session  # the new key alone refuses it
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    with client.session_transaction() as session:
        assert session.get("csrf_token") == "before the rotation"


def test_a_session_cookie_is_verified_once_and_a_forgery_never_kept(app, client):
    from eshop.consent.session import VERIFIED

    with client.session_transaction() as session:
        session["csrf_token"] = "kept"
    genuine = client.get_cookie("session").value
    for _ in range(2):
        with client.session_transaction() as session:
            assert session.get("csrf_token") == "kept"
    assert VERIFIED.info().hits >= 1
    size = len(VERIFIED)
    forged = genuine[:-2] + ("AA" if genuine[-2:] != "AA" else "BB")
    client.set_cookie("session", forged)
    for _ in range(2):
        with client.session_transaction() as session:
            assert "csrf_token" not in session
    assert len(VERIFIED) == size
