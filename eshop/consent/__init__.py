"""Consent: the one gateway for cookies (registry, service, guard, session).

Other packages import the functions below and never touch ``request.cookies``,
``response.set_cookie`` or a Set-Cookie header themselves.

Global Privacy Control: a browser sending ``Sec-GPC: 1`` is treated as refusing
every optional category. It sees a one-line notice instead of the banner (OK, or
Choose), and only an explicit opt-in on /consent or an embed's "enable" button
outweighs the signal; an "Accept all" click on the banner does not.
"""

from __future__ import annotations

from flask import Flask

from eshop.personal_data import register_purge

from .banner import BANNER_TEMPLATE, banner_to_show, embed_placeholder, form_values
from .blocked import cookies_blocked_page, request_has_cookies
from .decisions import DecisionsOnDay, decisions_per_day, purge_consent_log
from .forms import current_path
from .guard import ConsentGuard, CookieViolation
from .registry import Category, CookieSpec, Registry
from .service import (
    UnregisteredCookie,
    allows,
    banner_kind,
    cookie_expires_at,
    cookie_was_rejected,
    current_state,
    delete_cookie,
    delete_refused_cookies,
    init_registry,
    policy_version,
    read_cookie,
    record_decision,
    registry,
    set_cookie,
    vary_on_what_was_read,
)
from .session import ConsentSessionInterface
from .state import ConsentState

__all__ = [
    "BANNER_TEMPLATE",
    "Category",
    "ConsentGuard",
    "ConsentState",
    "CookieSpec",
    "CookieViolation",
    "DecisionsOnDay",
    "Registry",
    "UnregisteredCookie",
    "allows",
    "banner_kind",
    "banner_to_show",
    "cookie_expires_at",
    "cookie_was_rejected",
    "cookies_blocked_page",
    "current_path",
    "current_state",
    "decisions_per_day",
    "delete_cookie",
    "form_values",
    "init_app",
    "policy_version",
    "purge_consent_log",
    "read_cookie",
    "record_decision",
    "registry",
    "request_has_cookies",
    "set_cookie",
]


def init_app(app: Flask) -> None:
    """Install the registry, the session interface, the guard and template helpers
    (the page layout shows the banner: ``banner_to_show``)."""
    reg = init_registry(app)
    app.session_interface = ConsentSessionInterface()
    app.after_request(vary_on_what_was_read)
    app.after_request(delete_refused_cookies)  # runs first: Vary then sees the read
    app.wsgi_app = ConsentGuard(  # type: ignore[method-assign]
        app.wsgi_app, reg, strict=app.debug or app.testing
    )
    register_purge(
        app, "consent log: decisions past retention deleted", purge_consent_log
    )
    app.jinja_env.globals.update(
        consent_allows=allows,
        consent_state=current_state,
        consent_banner=banner_kind,
        consent_embed_placeholder=embed_placeholder,
        consent_here=current_path,  # where the banner and embeds come back to
    )
