"""The consent banner and embed placeholders, rendered once and kept as HTML.

A visitor pays for the banner on every page until they decide, and for the
placeholder of each third-party embed (share buttons) until they accept it. That
HTML depends only on the language, the link shape and the banner's kind or the
embed's provider, so it is kept (eshop/layout.py), and the visitor's CSRF token and
the way back to this page are put in per request.
"""

from __future__ import annotations

from flask import request
from markupsafe import Markup

from eshop.csrf import csrf_token
from eshop.layout import render_kept

from .forms import current_path
from .service import banner_kind


def _kept(template: str, key: tuple[str, ...], **context: str) -> Markup:
    return render_kept(
        template,
        key,
        context,
        banner_token=csrf_token(),
        banner_next=current_path(),
    )


def banner_html() -> Markup:
    """The banner for this request, or nothing once the visitor has decided (and
    on the preferences page, which asks the same question in full)."""
    if request.endpoint == "consent.preferences":
        return Markup("")
    kind = banner_kind()
    if kind is None:
        return Markup("")
    return _kept("consent/_banner_fragment.html", (kind,), kind=kind)


def embed_placeholder(provider: str, category: str) -> Markup:
    """What stands in for third-party content of a category not accepted."""
    return _kept(
        "consent/_embed_placeholder.html",
        (provider, category),
        provider=provider,
        category=category,
    )
