"""The guard below the app and the service's absolute expiry."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from flask import Blueprint, make_response

from eshop import consent
from eshop.consent import ConsentGuard, CookieViolation
from eshop.consent.guard import check_header, parse_set_cookie
from eshop.consent.registry import Category, RegistryError, build_registry
from eshop.consent.state import UNDECIDED


def add_test_routes(app):
    bp = Blueprint("cookie_tests", __name__)

    @bp.get("/_test/direct")
    def direct():
        response = make_response("hello")
        response.set_cookie("tracker", "1")
        return response

    @bp.get("/_test/direct-registered")
    def direct_registered():
        response = make_response("hello")
        response.set_cookie("cart", "forged-outside-the-service")
        return response

    @bp.get("/_test/visitor")
    def visitor():
        response = make_response("hello")
        written = consent.set_cookie(response, "visitor", "abc")
        response.set_data("written" if written else "refused")
        return response

    @bp.get("/_test/cart")
    def cart():
        response = make_response("hello")
        consent.set_cookie(response, "cart", {"1": 2})
        return response

    app.register_blueprint(bp)


@pytest.fixture
def test_client(app):
    add_test_routes(app)
    return app.test_client()


def test_guard_catches_a_view_that_sets_a_cookie_directly(test_client):
    with pytest.raises(CookieViolation, match="not in the registry"):
        test_client.get("/_test/direct")


def test_guard_catches_a_registered_name_written_around_the_service(test_client):
    with pytest.raises(CookieViolation, match="not written through"):
        test_client.get("/_test/direct-registered")


def test_service_refuses_a_category_without_consent(test_client):
    response = test_client.get("/_test/visitor")
    assert response.data == b"refused"
    assert "Set-Cookie" not in response.headers


def test_a_later_visit_keeps_the_first_expiry(test_client):
    with time_machine.travel("2026-11-26 10:00:00+00:00", tick=False):
        first = test_client.get("/_test/cart").headers["Set-Cookie"]
    with time_machine.travel("2026-12-06 10:00:00+00:00", tick=False):
        second = test_client.get("/_test/cart").headers["Set-Cookie"]
    expires = [parse_set_cookie(h)[2]["expires"] for h in (first, second)]
    assert expires[0] == expires[1] == "Sat, 26 Dec 2026 10:00:00 GMT"
    assert "Max-Age=1728000" in second  # 20 days left, not 30


def test_unregistered_cookie_is_a_programming_error(app):
    with app.test_request_context("/"):
        with pytest.raises(consent.UnregisteredCookie):
            consent.set_cookie(make_response(""), "tracker", "1")


def test_registry_refuses_a_consent_lifetime_over_13_months():
    with pytest.raises(RegistryError):
        build_registry(400, "v1")


def test_check_header_refuses_an_overlong_lifetime(app):
    registry = app.extensions["lavande.consent"]
    header = "cart=abc; Max-Age=99999999; HttpOnly; Path=/"
    problem = check_header(header, registry, UNDECIDED, [("cart", "abc")], None)
    assert problem and "outlive" in problem


def test_every_declared_lifetime_is_at_most_13_months(app):
    for spec in app.extensions["lavande.consent"]:
        assert spec.max_age is None or spec.max_age <= timedelta(days=390)
        assert spec.category in set(Category)


def test_in_production_the_guard_strips_the_cookie_and_logs_it(caplog):
    def leaky_app(environ, start_response):
        start_response(
            "200 OK",
            [("Content-Type", "text/plain"), ("Set-Cookie", "tracker=1; Path=/")],
        )
        return [b"ok"]

    guard = ConsentGuard(leaky_app, build_registry(182, "v1"), strict=False)
    sent = {}

    def start_response(status, headers, exc_info=None):
        sent["headers"] = headers

    with caplog.at_level(logging.ERROR, logger="eshop.consent.guard"):
        assert b"".join(guard({"PATH_INFO": "/"}, start_response)) == b"ok"
    assert sent["headers"] == [("Content-Type", "text/plain")]
    assert "tracker" in caplog.text


def test_guard_catches_flask_logins_remember_me_cookie(app):
    """Flask-Login's remember-me cookie is not registered: the shop must never set
    it (the owner logs in with remember=False), and the guard proves it."""
    from flask_login import UserMixin, login_user

    class Someone(UserMixin):
        id = "someone"

    bp = Blueprint("remember_me_test", __name__)

    @bp.get("/_test/remember-me")
    def remember_me():
        login_user(Someone(), remember=True)
        return "logged in"

    app.register_blueprint(bp)
    with pytest.raises(CookieViolation, match="remember_token"):
        app.test_client().get("/_test/remember-me")
