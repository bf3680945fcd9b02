"""Owner access: login, logout, inactivity timeout, lockout, password, create-admin."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from eshop.admin.services import authenticate
from eshop.clock import utcnow

from .conftest import OWNER_EMAIL, OWNER_PASSWORD, AdminActions, csrf_token_in

LOGIN = "/admin/login"
WRONG = "Adresse e-mail ou mot de passe incorrect."


def admin_urls(app) -> list[tuple[str, str]]:
    """(method, url) for every /admin route but the login, arguments filled in."""
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin") or rule.endpoint == "admin.login":
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name].__class__.__name__
            values[name] = 1 if "Integer" in converter else "x"
        path = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


def test_every_admin_route_sends_anonymous_visitors_to_the_login_page(app, client):
    """Given nobody logged in, when any admin route is asked for (with a valid CSRF
    token on posts), then the answer is a redirect to the login page."""
    urls = admin_urls(app)
    assert ("GET", "/admin/") in urls and ("GET", "/admin/products") in urls
    token = csrf_token_in(client.get(LOGIN).text)
    for method, path in urls:
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (method, path, response.status_code)
        assert response.headers["Location"].startswith(LOGIN), (method, path)


def test_login_opens_the_dashboard_and_logout_closes_it(client, owner):
    actions = AdminActions(client)
    response = actions.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert OWNER_EMAIL in dashboard.text

    response = actions.logout()
    assert response.headers["Location"] == LOGIN
    assert client.get("/admin/").status_code == 302
    assert client.get_cookie("session") is None or "_user_id" not in str(
        client.get_cookie("session").value
    )


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(client, owner):
    response = client.get("/admin/products?q=savon")
    assert response.headers["Location"] == "/admin/login?next=/admin/products?q%3Dsavon"
    page = client.get(response.headers["Location"])
    response = client.post(
        "/admin/login?next=/admin/products?q%3Dsavon",
        data={
            "email": OWNER_EMAIL,
            "password": OWNER_PASSWORD,
            "csrf_token": csrf_token_in(page.text),
        },
    )
    assert response.headers["Location"] == "/admin/products?q=savon"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/"])
def test_login_never_redirects_off_the_back_office(client, owner, target):
    page = client.get(LOGIN)
    response = client.post(
        LOGIN,
        query_string={"next": target},
        data={
            "email": OWNER_EMAIL,
            "password": OWNER_PASSWORD,
            "csrf_token": csrf_token_in(page.text),
        },
    )
    assert response.headers["Location"] == "/admin/"


def test_unknown_email_and_wrong_password_get_the_same_answer(client, owner):
    actions = AdminActions(client)
    unknown = actions.login(email="nobody@lavande.example")
    wrong = actions.login(password="not the password")
    assert unknown.status_code == wrong.status_code == 200
    assert WRONG in unknown.text and WRONG in wrong.text
    strip = re.compile(r'value="[^"]*"')
    assert strip.sub("", unknown.text).replace("nobody@lavande.example", "") == (
        strip.sub("", wrong.text).replace(OWNER_EMAIL, "")
    )
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": "", "password": ""},
        {"email": OWNER_EMAIL},
        {"email": "x" * 5000, "password": "y"},
        {"email": "owner\x00@lavande.example", "password": OWNER_PASSWORD},
        {"email": "<script>alert(1)</script>", "password": "p"},
    ],
)
def test_bad_login_input_is_refused_without_error(client, owner, data):
    token = csrf_token_in(client.get(LOGIN).text)
    response = client.post(LOGIN, data={**data, "csrf_token": token})
    assert response.status_code in (200, 400)
    assert "<script>alert(1)</script>" not in response.text
    assert client.get("/admin/").status_code == 302


def test_the_login_form_requires_its_csrf_token(client, owner):
    response = client.post(
        LOGIN, data={"email": OWNER_EMAIL, "password": OWNER_PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_admin_pages_are_never_cached_nor_indexed(admin):
    for path in ("/admin/", "/admin/products", "/admin/login"):
        response = admin.client.get(path)
        assert response.headers["Cache-Control"] == "no-store", path
        assert "noindex" in response.headers["X-Robots-Tag"], path


def test_four_failures_then_the_right_password_logs_in(client, owner):
    actions = AdminActions(client)
    for _ in range(4):
        actions.login(password="wrong password")
    assert actions.login().status_code == 302


def test_inactivity_logs_the_owner_out(admin):
    """Given a logged-in owner, when 30 minutes pass without a request, then the next
    admin page asks to log in again; activity before that keeps the session."""
    timeout = admin.client.application.config["ADMIN_IDLE_TIMEOUT_MINUTES"]
    assert timeout == 30
    with time_machine.travel(utcnow(), tick=False) as clock:
        assert admin.client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert admin.client.get("/admin/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert admin.client.get("/admin/products").status_code == 200
        clock.shift(timedelta(minutes=30, seconds=1))
        response = admin.client.get("/admin/products")
        assert response.status_code == 302
        assert response.headers["Location"].startswith(LOGIN)
        login_page = admin.client.get(response.headers["Location"])
        assert "inactivité" in login_page.text
        assert admin.client.get("/admin/").status_code == 302


@pytest.mark.parametrize("app_config", [{"ADMIN_IDLE_TIMEOUT_MINUTES": 5}])
def test_the_idle_timeout_is_configurable(admin):
    with time_machine.travel(utcnow(), tick=False) as clock:
        clock.shift(timedelta(minutes=5, seconds=1))
        assert admin.client.get("/admin/").status_code == 302


def test_logout_with_a_stray_remember_cookie_sets_no_unregistered_cookie(admin):
    """Flask-Login wants to delete a remember-me cookie the browser sends; the shop
    never sets one, so logging out must not emit that deletion (the guard would
    raise)."""
    admin.client.set_cookie("remember_token", "anything")
    response = admin.logout()
    assert response.status_code == 302
    assert all(
        not header.startswith("remember_token")
        for header in response.headers.getlist("Set-Cookie")
    )


def test_change_password(admin, app):
    page = "/admin/password"
    wrong = admin.post(
        page,
        {
            "current_password": "not it at all",
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert wrong.status_code == 400
    assert "mot de passe actuel n’est pas correct" in wrong.text

    mismatch = admin.post(
        page,
        {
            "current_password": OWNER_PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "another new secret",
        },
    )
    assert mismatch.status_code == 400

    short = admin.post(
        page,
        {
            "current_password": OWNER_PASSWORD,
            "new_password": "short",
            "confirm": "short",
        },
    )
    assert short.status_code == 400

    done = admin.post(
        page,
        {
            "current_password": OWNER_PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert done.status_code == 302
    with app.app_context():
        assert authenticate(OWNER_EMAIL, OWNER_PASSWORD) is None
        assert authenticate(OWNER_EMAIL, "a brand new secret") is not None


def test_create_admin_reads_the_password_from_the_environment(runner, app, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "from the environment")
    result = runner.invoke(args=["create-admin", "Boss@Lavande.example"])
    assert result.exit_code == 0, result.output
    assert "created" in result.output
    with app.app_context():
        owner = authenticate("boss@lavande.example", "from the environment")
        assert owner is not None
        assert owner.password_hash.startswith("pbkdf2:sha256:1000")


def test_create_admin_asks_twice_and_resets_an_existing_account(runner, app, owner):
    result = runner.invoke(
        args=["create-admin", OWNER_EMAIL], input="typed twice ok\ntyped twice ok\n"
    )
    assert result.exit_code == 0, result.output
    assert "password changed" in result.output
    with app.app_context():
        assert authenticate(OWNER_EMAIL, "typed twice ok") is not None


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "long enough secret", "pas valide"),
        ("owner@lavande.example", "short", "au moins 10"),
    ],
)
def test_create_admin_refuses_bad_input(runner, monkeypatch, email, password, message):
    monkeypatch.setenv("ADMIN_PASSWORD", password)
    result = runner.invoke(args=["create-admin", email])
    assert result.exit_code != 0
    assert message in result.output


def test_passwords_are_stored_hashed(app, owner):
    from eshop.admin.models import Owner
    from eshop.extensions import db

    with app.app_context():
        stored = db.session.get(Owner, owner.id)
        assert OWNER_PASSWORD not in stored.password_hash
        assert stored.password_hash.startswith("pbkdf2:")


def test_changing_the_password_ends_every_other_session(admin, app, client, owner):
    """Given the owner logged in on two browsers, when the password is changed on
    one, then the other must log in again and the first stays logged in."""
    other = AdminActions(app.test_client())
    assert other.login().status_code == 302
    assert other.client.get("/admin/").status_code == 200
    done = admin.post(
        "/admin/password",
        {
            "current_password": OWNER_PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert done.status_code == 302
    assert admin.client.get("/admin/").status_code == 200
    assert other.client.get("/admin/").status_code == 302


@pytest.mark.parametrize("path", ["/admin/logout", "/admin/password"])
def test_logout_and_password_forms_require_the_csrf_token(admin, path):
    response = admin.client.post(
        path,
        data={
            "current_password": OWNER_PASSWORD,
            "new_password": "a brand new secret",
            "confirm": "a brand new secret",
        },
    )
    assert response.status_code == 400
    assert admin.client.get("/admin/").status_code == 200


def test_a_forged_session_id_logs_nobody_in(app, owner):
    """A session naming the owner's id without the current password stamp (or
    with garbage) is anonymous."""
    for forged in (str(owner.id), f"{owner.id}:0", "x:y", ""):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = forged
            session["_fresh"] = True
            session["admin_last_seen"] = 2**40
        assert client.get("/admin/").status_code == 302, forged
