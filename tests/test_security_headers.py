"""Security headers on every GET route, and cookie attributes in production."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import DEMO_SHOP_IDENTITY, ProductionConfig
from eshop import create_app
from eshop.extensions import db as _db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE)


def every_get_path(app) -> list[str]:
    """One path per GET route; arguments get a harmless placeholder value."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name].__class__.__name__
            values[name] = 1 if "Integer" in converter else "placeholder"
        paths.add(rule.build(values, append_unknown=False)[1])
    return sorted(paths)


def policy_of(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def test_every_get_route_sends_the_security_headers(app, client):
    paths = every_get_path(app)
    assert "/" in paths and "/privacy" in paths
    for path in paths:
        response = client.get(path)
        headers = response.headers
        assert response.status_code < 500, path
        csp = policy_of(headers["Content-Security-Policy"])
        assert csp["script-src"] == ["'self'"], path
        assert "'unsafe-inline'" not in csp.get("style-src", []), path
        assert csp["frame-ancestors"] == ["'none'"], path
        assert csp["object-src"] == ["'none'"], path
        assert csp["base-uri"] == ["'self'"], path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] in {
            "strict-origin-when-cross-origin",
            "no-referrer",  # pages reached by a personal link are stricter
        }, path
        assert "Strict-Transport-Security" not in headers, path  # not over http
        for cookie in headers.getlist("Set-Cookie"):
            assert "SameSite=Lax" in cookie, (path, cookie)
            assert "HttpOnly" in cookie, (path, cookie)


def test_no_page_carries_inline_script_style_or_event_handlers(app, client):
    for path in every_get_path(app):
        response = client.get(path)
        if response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), path
        assert not INLINE_STYLE.search(html), path
        assert not INLINE_HANDLER.search(html), path


@pytest.fixture
def production_app(migrated_database: str, tmp_path: Path):
    config = type(
        "ProductionTestConfig",
        (ProductionConfig,),
        {
            **DEMO_SHOP_IDENTITY,
            "SQLALCHEMY_DATABASE_URI": migrated_database,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "x" * 48,
            "PUBLIC_BASE_URL": "https://shop.example",
        },
    )
    app = create_app(config)
    yield app
    with app.app_context():
        _db.engine.dispose()


def test_production_sends_hsts_and_secure_cookies(production_app):
    client = production_app.test_client()
    response = client.get("/privacy/request", base_url="https://shop.example")
    assert response.status_code == 200
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "the form's CSRF token needs the session cookie"
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
