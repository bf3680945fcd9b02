"""Helpers for the consent tests: read a form's CSRF token, decide, read Set-Cookie."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Blueprint, make_response, render_template_string

from eshop import consent
from eshop.consent.guard import parse_set_cookie

CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: Any, path: str = "/") -> str:
    """The CSRF token of the first form on ``path``."""
    match = CSRF_TOKEN.search(client.get(path).get_data(as_text=True))
    assert match, f"no form with a CSRF token on {path}"
    return match.group(1)


def decide(client: Any, choice: str, **headers: str) -> Any:
    """Click a banner button ("accept" or "refuse") the way a browser without
    JavaScript does."""
    token = csrf_token(client, "/consent")
    return client.post(
        "/consent/decide",
        data={"csrf_token": token, "choice": choice, "next": "/"},
        headers=headers,
    )


def set_cookies(response: Any) -> dict[str, dict[str, str]]:
    """The response's Set-Cookie headers: name → attributes (value under "value")."""
    cookies = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, value, attrs = parse_set_cookie(header)
        cookies[name] = {"value": value, **attrs}
    return cookies


def is_deletion(attrs: dict[str, str]) -> bool:
    return attrs.get("max-age") == "0"


OPTIONAL_COOKIE_PAGE = """{% from "consent/_embed.html" import consent_embed %}
{% call consent_embed("Facebook") %}<p id="real-embed">the real button</p>{% endcall %}
"""


@pytest.fixture
def probe(app):
    """Routes that try to write the optional cookies, as the privacy domain will."""
    bp = Blueprint("consent_probe", __name__)

    @bp.get("/_probe/optional")
    def write_optional():
        response = make_response("")
        written = [
            name
            for name in ("visitor", "ads")
            if consent.set_cookie(response, name, "probe")
        ]
        response.set_data(",".join(written) or "refused")
        return response

    @bp.get("/_probe/embed")
    def embed():
        return render_template_string(OPTIONAL_COOKIE_PAGE)

    app.register_blueprint(bp)
    return app
