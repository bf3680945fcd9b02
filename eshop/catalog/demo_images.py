"""Pictures for the demo catalogue: one small hand-drawn SVG per kind of product.

The drawings live in ``static/img/demo/<kind>.svg``; a demo product names its kind
in ``demo_catalog.py``. Products of one kind share a drawing and two kinds never do,
so a tea towel never shows a candle. Each picture is copied into the product image
storage, where the storefront serves it like an uploaded photo. The drawings are the
shop's own files: uploads still go through ``images.add_product_image``, which
accepts raster images only.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from .images import store_product_image
from .models import Product, ProductImage

KINDS = (
    # dried lavender
    "lavender-bunch",
    "sachet",
    "loose-flowers",
    "wreath",
    "wands",
    # oils and waters
    "essential-oil",
    "floral-water",
    "diffuser",
    # soaps
    "soap-bar",
    "soap-cube",
    "liquid-soap",
    "soap-dish",
    # skin care
    "hand-cream",
    "lip-balm",
    "massage-oil",
    "bath-salts",
    "eau-de-toilette",
    "deodorant",
    # pantry
    "honey",
    "sugar",
    "herbal-tea",
    "herbs",
    "biscuits",
    "jam",
    "olive-oil",
    # home and linen
    "candle",
    "linen-water",
    "tea-towel",
    "tablecloth",
    "neck-pillow",
    "basket",
    # gifts
    "gift-box",
    "gift-card",
)


class UnknownKind(ValueError):
    """A demo product names a kind that has no drawing."""


def picture_file(kind: str) -> Path:
    """The drawing of ``kind`` among the app's static files."""
    if kind not in KINDS:
        raise UnknownKind(f"no demo picture for the kind {kind!r}")
    return Path(current_app.static_folder or "static") / "img" / "demo" / f"{kind}.svg"


def add_demo_picture(
    product: Product, kind: str, alt_fr: str, alt_en: str
) -> ProductImage:
    """Give ``product`` the drawing of its kind, with its alternative texts; the
    caller commits. The full picture and its thumbnail are the same small SVG."""
    drawing = picture_file(kind).read_bytes()
    return store_product_image(product, "svg", drawing, drawing, alt_fr, alt_en)
