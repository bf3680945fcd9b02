"""Sponsored products: the owner's picks, personalised only with advertising consent.

With consent, the ``ads`` cookie remembers which categories the visitor looked at
(to rank the picks) and how often each pick was shown (none more than 3 times).
Without it, everyone sees the same picks and nothing is remembered.
"""

from __future__ import annotations

from typing import Any

from flask import g, render_template
from flask.wrappers import Response
from markupsafe import Markup

from eshop import consent
from eshop.catalog.services import ProductCard, cached, sponsored_cards
from eshop.i18n import current_language
from eshop.layout import link_shape

FREQUENCY_CAP = 3  # times one sponsored product may be shown to one visitor
BLOCK_SIZE = 3
MAX_REMEMBERED = 40  # categories or products kept in the cookie, so it stays small


def read_profile() -> dict[str, dict[str, int]]:
    """The visitor's ``ads`` cookie as {"interests": {...}, "shown": {...}}, or empty
    when there is no consent or no valid cookie."""
    raw = consent.read_cookie("ads")
    profile: dict[str, dict[str, int]] = {"interests": {}, "shown": {}}
    if not isinstance(raw, dict):
        return profile
    for part in ("interests", "shown"):
        values = raw.get(part)
        if isinstance(values, dict):
            profile[part] = {
                str(key): value
                for key, value in values.items()
                if isinstance(value, int) and 0 <= value < 10_000
            }
    return profile


def _ranked(
    exclude_id: int | None,
    limit: int,
    capped_ids: set[int],
    interests: dict[str, int],
) -> list[ProductCard]:
    """The owner's picks (kept in the catalogue's cache), minus the page's own
    product and the capped ones, the visitor's favourite categories first."""
    cards = [
        card
        for card in sponsored_cards()
        if card.id != exclude_id and card.id not in capped_ids
    ]
    if interests:
        cards.sort(key=lambda card: -interests.get(str(card.category_id), 0))
    return cards[:limit]


def sponsored_products(
    exclude: Any = None, limit: int = BLOCK_SIZE
) -> list[ProductCard]:
    """The products of the sponsored block for this page.

    Without advertising consent: the owner's picks in a fixed order. With it: picks
    shown fewer than 3 times to this visitor, the categories they viewed first.
    """
    exclude_id = getattr(exclude, "id", exclude)
    if not isinstance(exclude_id, int):
        exclude_id = None
    if not consent.allows("advertising"):
        return _ranked(exclude_id, limit, set(), {})
    profile = read_profile()
    capped = {
        int(key)
        for key, count in profile["shown"].items()
        if key.isdigit() and count >= FREQUENCY_CAP
    }
    chosen = _ranked(exclude_id, limit, capped, profile["interests"])
    g.sponsored_shown = [product.id for product in chosen]
    return chosen


def sponsored_block() -> Markup:
    """The sponsored section of the home and product pages (empty without picks).

    Without advertising consent everyone sees the same picks, so that block is
    kept with the catalogue's fragments (dropped when the catalogue changes).
    """
    product = g.get("viewed_product")
    if consent.allows("advertising"):
        return _block(sponsored_products(product), personalised=True)
    exclude_id = getattr(product, "id", None)
    if all(card.id != exclude_id for card in sponsored_cards()):
        exclude_id = None  # the same block as everywhere: one entry, not one a product
    return cached(
        ("sponsored-block", *link_shape(), exclude_id),
        lambda: _block(sponsored_products(product), personalised=False),
    )


def _block(chosen: list[ProductCard], personalised: bool) -> Markup:
    if not chosen:
        return Markup("")
    return Markup(
        render_template(
            "privacy/_sponsored.html",
            personalised=personalised,
            products=chosen,
            lang=current_language(),
        )
    )


def _trim(counts: dict[str, int]) -> dict[str, int]:
    biggest = sorted(counts.items(), key=lambda item: -item[1])[:MAX_REMEMBERED]
    return dict(biggest)


def remember(response: Response) -> None:
    """Update the ``ads`` cookie with this page's views (advertising consent only)."""
    if not consent.allows("advertising"):
        return
    shown_now = g.get("sponsored_shown") or []
    product = g.get("viewed_product")
    category_id = getattr(product, "category_id", None)
    if not shown_now and category_id is None:
        return
    if shown_now:
        response.vary.add("Cookie")  # the block depends on this visitor's cookie
    profile = read_profile()
    for product_id in shown_now:
        key = str(product_id)
        profile["shown"][key] = profile["shown"].get(key, 0) + 1
    if category_id is not None:
        key = str(category_id)
        profile["interests"][key] = profile["interests"].get(key, 0) + 1
    consent.set_cookie(
        response,
        "ads",
        {"interests": _trim(profile["interests"]), "shown": _trim(profile["shown"])},
    )
