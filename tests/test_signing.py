"""The one serializer factory signs with SECRET_KEY, still opens what the fallbacks
signed (key rotation), and refuses forgeries and other purposes' values."""

from __future__ import annotations

import pytest
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer

from eshop import signing

OLD_KEY = "an-old-key-" + "o" * 40


def test_values_are_signed_with_the_secret_key(app) -> None:
    with app.app_context():
        token = signing.serializer("s").dumps({"a": [1, 2]})
    assert URLSafeSerializer(app.secret_key, salt="s").loads(token) == {"a": [1, 2]}


def test_old_keys_still_open_and_forgeries_do_not(app) -> None:
    signed_with_old = URLSafeSerializer(OLD_KEY, salt="s").dumps("v")
    with app.app_context():
        with pytest.raises(BadSignature):
            signing.serializer("s").loads(signed_with_old)
        app.config["SECRET_KEY_FALLBACKS"] = [OLD_KEY]
        assert signing.serializer("s").loads(signed_with_old) == "v"
        with pytest.raises(BadSignature):
            signing.serializer("s").loads(signed_with_old[:-2] + "xx")
        with pytest.raises(BadSignature):  # another purpose, another salt
            signing.serializer("other").loads(signed_with_old)


def test_timed_values_expire(app, monkeypatch) -> None:
    monkeypatch.setattr("time.time", lambda: 1_700_000_000.0)
    with app.app_context():
        token = signing.timed_serializer("t").dumps("v")
        monkeypatch.setattr("time.time", lambda: 1_700_000_100.0)
        assert signing.timed_serializer("t").loads(token, max_age=100) == "v"
        with pytest.raises(SignatureExpired):
            signing.timed_serializer("t").loads(token, max_age=99)


def test_a_cookie_is_verified_once_and_each_read_gets_its_own_copy(app) -> None:
    with app.test_request_context("/"):
        token = signing.serializer("c").dumps({"c": ["audience"]})
        first = signing.loads_cookie("c", token)
        first["c"].append("advertising")
        hits = signing.VERIFIED.info().hits
        assert signing.loads_cookie("c", token) == {"c": ["audience"]}
        assert signing.VERIFIED.info().hits == hits + 1


def test_a_forged_cookie_is_refused_every_time_and_never_kept(app) -> None:
    with app.test_request_context("/"):
        forged = signing.serializer("c").dumps("v")[:-2] + "xx"
        size = len(signing.VERIFIED)
        for _ in range(2):
            with pytest.raises(BadSignature):
                signing.loads_cookie("c", forged)
        assert len(signing.VERIFIED) == size


def test_a_key_rotation_is_seen_by_kept_cookies(app) -> None:
    with app.test_request_context("/"):
        token = signing.serializer("c").dumps("v")
        assert signing.loads_cookie("c", token) == "v"
        app.config["SECRET_KEY"] = "a-new-key-" + "x" * 40
        with pytest.raises(BadSignature):
            signing.loads_cookie("c", token)


def test_the_csrf_token_is_flask_wtfs_signed_once_a_minute(app, monkeypatch) -> None:
    from flask import session
    from flask_wtf.csrf import validate_csrf

    monkeypatch.setattr("time.time", lambda: 1_800_000_000.0)
    with app.test_request_context("/"):
        first = signing.csrf_token()  # the visit's first form: a raw token is made
        raw = session["csrf_token"]
        validate_csrf(first)
    monkeypatch.setattr("time.time", lambda: 1_800_000_030.0)
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        kept = signing.csrf_token()
        assert signing.csrf_token() == kept
        validate_csrf(kept)  # Flask-WTF accepts it as its own
    monkeypatch.setattr("time.time", lambda: 1_800_000_090.0)
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        later = signing.csrf_token()
        assert later != kept  # a new minute: signed again
        validate_csrf(later)
    with app.test_request_context("/"):
        session["csrf_token"] = "another visitor"
        assert signing.csrf_token() != later
