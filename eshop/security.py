"""Security headers on every response: a strict CSP without inline script, and more.

A view that needs another host in its policy (the sharing buttons, once accepted)
calls ``allow_csp_source``; nothing else loosens the policy.
"""

from __future__ import annotations

from flask import Flask, g
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
    policy = {key: list(values) for key, values in BASE_POLICY.items()}
    for directive, source in g.get("csp_extra", []):
        values = policy.setdefault(directive, [])
        if values == ["'none'"]:
            values.clear()
        if source not in values:
            values.append(source)
    return "; ".join(f"{key} {' '.join(values)}" for key, values in policy.items())


def set_security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", content_security_policy())
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    response.headers.setdefault(
        "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
    )
    if g.get("hsts"):
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
        )
    return response


def init_app(app: Flask) -> None:
    production = not (app.debug or app.testing)

    @app.before_request
    def _mark_hsts() -> None:
        g.hsts = production and app.config.get("SESSION_COOKIE_SECURE", False)

    app.after_request(set_security_headers)
