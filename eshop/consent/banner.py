"""Which consent banner a visitor sees, and the embed placeholders.

The banner is a slot of every page: the page layout (eshop/layout.py) renders it,
kept per language, link shape and kind, with ``form_values()`` put in per request,
so consent imports no page module. An embed placeholder stands in for third-party
content (``consent/_embed.html``) until its category is accepted.
"""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from eshop import signing

from .forms import current_path
from .service import banner_kind

BANNER_TEMPLATE = "consent/_banner_fragment.html"


def banner_to_show() -> str | None:
    """The kind of banner this page shows ("banner" or "gpc"), or None once the
    visitor has decided, and on the preferences page, which asks the same question
    in full."""
    if request.endpoint == "consent.preferences":
        return None
    return banner_kind()


def form_values() -> dict[str, str]:
    """This request's part of the banner's and placeholders' forms: the visitor's
    CSRF token and the way back to this page."""
    return {"banner_token": signing.csrf_token(), "banner_next": current_path()}


def embed_placeholder(provider: str, category: str) -> Markup:
    """What stands in for third-party content of a category not accepted."""
    return Markup(
        render_template(
            "consent/_embed_placeholder.html",
            provider=provider,
            category=category,
            **form_values(),
        )
    )
