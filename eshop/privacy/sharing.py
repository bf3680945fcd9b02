"""Share buttons on product pages: nothing from Facebook or Instagram before consent.

Until the visitor accepts ``sharing``, the page shows a local placeholder and sends
no request to those hosts. Once accepted, the real buttons are framed, and this
response's Content Security Policy admits exactly their two hosts.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, g, url_for
from markupsafe import Markup

from eshop import consent, signing
from eshop.layout import render_kept
from eshop.security import allow_csp_source

PROVIDER = "Facebook & Instagram"  # as the placeholder names them
FACEBOOK_ORIGIN = "https://www.facebook.com"
INSTAGRAM_ORIGIN = "https://www.instagram.com"


def share_buttons_enabled() -> bool:
    """True when the sharing buttons may load; then the CSP admits their hosts."""
    if not consent.allows("sharing"):
        return False
    allow_csp_source("frame-src", FACEBOOK_ORIGIN)
    allow_csp_source("frame-src", INSTAGRAM_ORIGIN)
    return True


def facebook_share_frame_url(page_url: str) -> str:
    query = urlencode({"href": page_url, "layout": "button", "size": "small"})
    return f"{FACEBOOK_ORIGIN}/plugins/share_button.php?{query}"


def instagram_profile_frame_url() -> str:
    account = current_app.config.get("INSTAGRAM_ACCOUNT", "lavande.provence")
    return f"{INSTAGRAM_ORIGIN}/{account}/embed/"


def share_block() -> Markup:
    """The product page's share section: the real buttons once "sharing" is
    accepted, the consent placeholder until then."""
    product = g.get("viewed_product")
    if product is None:
        return Markup("")
    if not share_buttons_enabled():
        return render_kept(
            "privacy/_share.html",
            False,
            {"enabled": False, "provider": PROVIDER, "category": "sharing"},
            banner_token=signing.csrf_token(),
            banner_next=consent.current_path(),
        )
    page = url_for("catalog.product_detail", slug=product.slug, lang=None)
    return render_kept(
        "privacy/_share.html",
        True,
        {"enabled": True},
        facebook_url=facebook_share_frame_url(
            current_app.config["PUBLIC_BASE_URL"].rstrip("/") + page
        ),
        instagram_url=instagram_profile_frame_url(),
    )
