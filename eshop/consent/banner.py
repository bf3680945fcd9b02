"""The consent banner, rendered once per language and kind and kept as HTML.

A first visit pays for the banner on every page until the visitor decides; its
HTML depends only on the language, the link shape (an explicit ``?lang=``, the
script root) and the kind of banner, so that much is kept, and the visitor's CSRF
token and the way back to this page are put in per request.
"""

from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from eshop.i18n import current_language

from .forms import current_path
from .service import banner_kind

EXTENSION_KEY = "lavande.consent.banner"
TEMPLATE = "consent/_banner_fragment.html"
# Placeholders that cannot occur in rendered HTML nor in a token.
TOKEN_PLACEHOLDER = "\x00lavande-banner-token\x00"
NEXT_PLACEHOLDER = "\x00lavande-banner-next\x00"


def banner_html() -> Markup:
    """The banner for this request, or nothing once the visitor has decided (and
    on the preferences page, which asks the same question in full)."""
    if request.endpoint == "consent.preferences":
        return Markup("")
    kind = banner_kind()
    if kind is None:
        return Markup("")
    key = (current_language(), g.get("explicit_lang"), request.script_root, kind)
    fragments: dict = current_app.extensions.setdefault(EXTENSION_KEY, {})
    fragment = fragments.get(key)
    if fragment is None:
        fragment = fragments[key] = render_template(
            TEMPLATE,
            kind=kind,
            banner_token=TOKEN_PLACEHOLDER,
            banner_next=NEXT_PLACEHOLDER,
        )
    # The token first: the way back, inserted last, is never scanned again.
    with_token = fragment.replace(TOKEN_PLACEHOLDER, generate_csrf())
    return Markup(with_token.replace(NEXT_PLACEHOLDER, str(escape(current_path()))))
