"""The footer's signup form, rendered once per language and kept as HTML.

Rendering the WTForms form on every page cost about a quarter of a storefront
page's CPU. Its HTML depends only on the language, the link shape (an explicit
``?lang=``, the script root) and the visitor's CSRF token, so the rest is kept
and only the token is put in per request (eshop/layout.py). A form built from
posted data (errors, values to show again) is always rendered in full, except on an
error page, whose error may be that the posted body could not be read.
"""

from __future__ import annotations

from flask import render_template, request
from markupsafe import Markup

from eshop import signing
from eshop.errors import rendering_error_page
from eshop.layout import render_kept

TEMPLATE = "newsletter/_footer_fragment.html"


def footer_html() -> Markup:
    """The footer's signup form for this request, with the visitor's CSRF token."""
    if request.method not in ("GET", "HEAD") and not rendering_error_page():
        return Markup(render_template(TEMPLATE))  # a posted form shows its errors
    return render_kept(TEMPLATE, signup_token=signing.csrf_token())
