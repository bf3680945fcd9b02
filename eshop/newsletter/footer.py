"""The footer's signup form, rendered once per language and kept as HTML.

Rendering the WTForms form on every page cost about a quarter of a storefront
page's CPU. Its HTML depends only on the language, the link shape (an explicit
``?lang=``, the script root) and the visitor's CSRF token, so the rest is kept
and only the token is put in per request. A form built from posted data (errors,
values to show again) is always rendered in full.
"""

from __future__ import annotations

import threading

from flask import current_app, render_template, request
from markupsafe import Markup

from eshop.csrf import csrf_token
from eshop.layout import link_shape

EXTENSION_KEY = "lavande.newsletter.footer"
TEMPLATE = "newsletter/_footer_fragment.html"
_lock = threading.Lock()
TOKEN_PLACEHOLDER = "\x00lavande-csrf-token\x00"  # cannot occur in rendered HTML


def _cached_fragments() -> dict[tuple[str, str | None, str], str]:
    return current_app.extensions.setdefault(EXTENSION_KEY, {})


def _fragment_with_placeholder(token: str) -> str | None:
    """The rendered form with the token swapped for a placeholder (None if the token
    does not appear exactly once, then nothing is kept)."""
    html = render_template(TEMPLATE)
    if html.count(token) != 1:
        return None
    return html.replace(token, TOKEN_PLACEHOLDER)


def footer_html() -> Markup:
    """The footer's signup form for this request, with the visitor's CSRF token."""
    token = csrf_token()  # also keeps the token in the session, as the form did
    if request.method not in ("GET", "HEAD"):
        return Markup(render_template(TEMPLATE))
    key = link_shape()
    fragments = _cached_fragments()
    fragment = fragments.get(key)
    if fragment is None:
        fragment = _fragment_with_placeholder(token)
        if fragment is None:
            return Markup(render_template(TEMPLATE))
        with _lock:
            fragments[key] = fragment
    # The token is URL-safe (letters, digits, "-_."): nothing to escape.
    return Markup(fragment.replace(TOKEN_PLACEHOLDER, token, 1))
