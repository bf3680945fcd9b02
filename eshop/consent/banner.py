"""The consent banner and embed placeholders, rendered once and kept as HTML.

A visitor pays for the banner on every page until they decide, and for the
placeholder of each third-party embed (share buttons) until they accept it. That
HTML depends only on the language, the link shape (an explicit ``?lang=``, the
script root) and the banner's kind or the embed's provider, so that much is kept,
and the visitor's CSRF token and the way back to this page are put in per request.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from flask import current_app, g, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from eshop.i18n import current_language

from .forms import current_path
from .service import banner_kind

EXTENSION_KEY = "lavande.consent.fragments"
# Placeholders that cannot occur in rendered HTML nor in a token.
TOKEN_PLACEHOLDER = "\x00lavande-banner-token\x00"
NEXT_PLACEHOLDER = "\x00lavande-banner-next\x00"


def _kept(template: str, *key: Hashable, **context: Any) -> Markup:
    """``template`` rendered once per key and link shape, with this request's CSRF
    token and way back put in."""
    full_key = (template, current_language(), g.get("explicit_lang"))
    full_key += (request.script_root, *key)
    fragments: dict = current_app.extensions.setdefault(EXTENSION_KEY, {})
    fragment = fragments.get(full_key)
    if fragment is None:
        fragment = fragments[full_key] = render_template(
            template,
            banner_token=TOKEN_PLACEHOLDER,
            banner_next=NEXT_PLACEHOLDER,
            **context,
        )
    # The token first: the way back, inserted last, is never scanned again.
    with_token = fragment.replace(TOKEN_PLACEHOLDER, generate_csrf())
    return Markup(with_token.replace(NEXT_PLACEHOLDER, str(escape(current_path()))))


def banner_html() -> Markup:
    """The banner for this request, or nothing once the visitor has decided (and
    on the preferences page, which asks the same question in full)."""
    if request.endpoint == "consent.preferences":
        return Markup("")
    kind = banner_kind()
    if kind is None:
        return Markup("")
    return _kept("consent/_banner_fragment.html", kind, kind=kind)


def embed_placeholder(provider: str, category: str) -> Markup:
    """What stands in for third-party content of a category not accepted."""
    return _kept(
        "consent/_embed_placeholder.html",
        provider,
        category,
        provider=provider,
        category=category,
    )
