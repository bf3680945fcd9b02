"""The fast CSRF token is Flask-WTF's token, and Flask-WTF accepts it."""

from __future__ import annotations

from flask import Flask, g, session
from flask_wtf.csrf import generate_csrf, validate_csrf

from eshop.csrf import csrf_token


def test_csrf_token_is_the_token_flask_wtf_makes(app: Flask) -> None:
    with app.test_request_context("/"):
        token = csrf_token()
        raw = session["csrf_token"]
        assert csrf_token() == token  # cached for the request, like generate_csrf
        del g.csrf_token
        assert generate_csrf() == token  # same raw value, key, salt and second
        validate_csrf(token)
        assert session["csrf_token"] == raw


def test_generate_csrf_tokens_are_kept_by_csrf_token(app: Flask) -> None:
    with app.test_request_context("/"):
        token = generate_csrf()
        assert csrf_token() == token


def test_a_form_posted_with_csrf_token_passes_csrf_protect(app: Flask) -> None:
    client = app.test_client()
    with app.test_request_context("/"):
        token = csrf_token()
        cookie = dict(session)
    with client.session_transaction() as client_session:
        client_session.update(cookie)
    refused = client.post("/consent/decide", data={"choice": "refuse"})
    accepted = client.post(
        "/consent/decide", data={"choice": "refuse", "csrf_token": token}
    )
    assert refused.status_code == 400
    assert accepted.status_code == 303


def test_a_later_page_of_the_visit_still_gets_flask_wtfs_token(
    app: Flask, monkeypatch
) -> None:
    """The encoded raw token is remembered between requests: the signed token
    must still be exactly what Flask-WTF makes, with the new timestamp."""
    monkeypatch.setattr("time.time", lambda: 1_800_000_000.0)
    with app.test_request_context("/"):
        first = csrf_token()
        raw = session["csrf_token"]
    monkeypatch.setattr("time.time", lambda: 1_800_000_042.0)
    with app.test_request_context("/"):
        session["csrf_token"] = raw
        later = csrf_token()
        del g.csrf_token
        assert generate_csrf() == later != first
        validate_csrf(later)


def test_the_csrf_check_runs_for_unsafe_methods_only(app: Flask, monkeypatch) -> None:
    """Flask-WTF's hook is skipped on GET (nothing to protect) and still refuses
    a POST without a token."""
    from eshop.extensions import csrf

    asked = []
    protect = csrf.protect
    monkeypatch.setattr(
        csrf, "protect", lambda *a, **kw: asked.append(1) or protect(*a, **kw)
    )
    client = app.test_client()
    assert client.get("/products").status_code == 200
    assert asked == []
    assert client.post("/consent/decide", data={"choice": "refuse"}).status_code == 400
    assert asked == [1]
