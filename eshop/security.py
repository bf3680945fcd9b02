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


def content_security_policy() -> str:
    """The base policy plus the sources this response was allowed to add."""
    policy = {key: list(values) for key, values in BASE_POLICY.items()}
    for directive, source in g.get("csp_extra", []):
        values = policy.setdefault(directive, [])
        if values == ["'none'"]:
            values.clear()
        if source not in values:
            values.append(source)
    return "; ".join(f"{key} {' '.join(values)}" for key, values in policy.items())


def sends_hsts() -> bool:
    """HSTS only in production behind HTTPS (secure cookies), never in development,
    where it would pin 127.0.0.1 to HTTPS in the developer's browser."""
    app = current_app
    production = not (app.debug or app.testing)
    return production and bool(app.config.get("SESSION_COOKIE_SECURE", False))


def set_security_headers(response: Response) -> Response:
    """Add the policy and the other security headers to every response."""
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
    )
    if sends_hsts():
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
        )
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_security_headers)
