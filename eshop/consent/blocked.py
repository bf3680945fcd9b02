"""Browsers that block cookies: tell the shopper why a form failed, and what to allow.

A form posted with no Cookie header at all cannot carry the session's CSRF token;
rather than "this form has expired", the shopper is told the browser blocks cookies,
which technical cookies the cart and the forms need (from the registry), and how to
allow them for this site only.
"""

from __future__ import annotations

from flask import render_template, request

from .registry import Category
from .service import registry
from .views import policy_helpers


def request_has_cookies() -> bool:
    """True when the browser sent any cookie at all with this request."""
    return bool(request.headers.get("Cookie", "").strip())


def cookies_blocked_page() -> str:
    """The page explaining blocked cookies, in the page's language."""
    specs = [
        spec
        for spec in registry().in_category(Category.TECHNICAL)
        if spec.party == "first"
    ]
    return render_template(
        "consent/cookies_blocked.html", specs=specs, **policy_helpers()
    )
