"""Security headers on every response: a strict CSP without inline script, and more.

A view that needs another host in its policy (the sharing buttons, once accepted)
calls ``allow_csp_source``; nothing else loosens the policy.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from flask.wrappers import Response

BASE_POLICY: dict[str, list[str]] = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "frame-src": ["'none'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def allow_csp_source(directive: str, source: str) -> None:
    """Admit ``source`` for ``directive`` in this response's policy only."""
    g.setdefault("csp_extra", []).append((directive, source))


def _policy_header(extra: list[tuple[str, str]]) -> str:
    policy = {key: list(values) for key, values in BASE_POLICY.items()}
    for directive, source in extra:
        values = policy.setdefault(directive, [])
        if values == ["'none'"]:
            values.clear()
        if source not in values:
            values.append(source)
    return "; ".join(f"{key} {' '.join(values)}" for key, values in policy.items())


BASE_CSP = _policy_header([])  # what nearly every response sends, built once

HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)
HSTS = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")


def content_security_policy() -> str:
    """The base policy plus the sources this response was allowed to add."""
    extra = g.get("csp_extra")
    return _policy_header(extra) if extra else BASE_CSP


def sends_hsts() -> bool:
    """HSTS only in production behind HTTPS (secure cookies), never in development,
    where it would pin 127.0.0.1 to HTTPS in the developer's browser."""
    app = current_app
    production = not (app.debug or app.testing)
    return production and bool(app.config.get("SESSION_COOKIE_SECURE", False))


def set_security_headers(response: Response) -> Response:
    """Add the policy and the other security headers to every response, keeping
    any a view set itself (a stricter Referrer-Policy, say)."""
    # One pass over the few headers already there: werkzeug's ``setdefault`` looks
    # each name up by raising and catching a KeyError (2.5 % of a product page).
    present = {key.lower() for key in response.headers.keys()}
    response.headers.extend(
        (key, value)
        for key, value in (
            ("Content-Security-Policy", content_security_policy()),
            *HEADERS,
            *((HSTS,) if sends_hsts() else ()),
        )
        if key.lower() not in present
    )
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
