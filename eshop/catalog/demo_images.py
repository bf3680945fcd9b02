# ruff: noqa: E501  (drawing coordinates read better on one line)
"""Pictures for the demo catalogue, drawn with Pillow: nothing is downloaded.

Each category gets its own object (a bunch, a bottle, a soap bar…) over its colour,
with a little variation taken from the product's slug so no two look the same.
"""

from __future__ import annotations

import hashlib
import io
import random

from PIL import Image, ImageDraw, ImageFilter

SIZE = 720
LAVENDER = [(125, 104, 181), (108, 88, 160), (150, 128, 200), (92, 74, 140)]
STEM = (107, 142, 78)


def _sprig(
    draw: ImageDraw.ImageDraw, x: float, y: float, height: float, rng: random.Random
) -> None:
    draw.line([(x, y), (x + rng.uniform(-8, 8), y - height)], fill=STEM, width=4)
    top = y - height
    for i in range(9):
        cy = top + i * height * 0.045
        spread = 5 + i * 0.8
        colour = rng.choice(LAVENDER)
        for dx in (-spread, spread):
            draw.ellipse([x + dx - 7, cy - 10, x + dx + 7, cy + 10], fill=colour)


def _bunch(draw, rng, w, h):
    for _ in range(28):
        _sprig(
            draw,
            w / 2 + rng.uniform(-40, 40),
            h * 0.82,
            rng.uniform(h * 0.45, h * 0.62),
            rng,
        )
    draw.rectangle([w / 2 - 48, h * 0.70, w / 2 + 48, h * 0.75], fill=(120, 72, 140))


def _bottle(draw, rng, w, h):
    glass = (rng.randint(90, 130), rng.randint(60, 80), rng.randint(30, 50))
    draw.rounded_rectangle(
        [w * 0.36, h * 0.38, w * 0.64, h * 0.84], radius=26, fill=glass
    )
    draw.rectangle([w * 0.44, h * 0.28, w * 0.56, h * 0.39], fill=glass)
    draw.rectangle([w * 0.42, h * 0.2, w * 0.58, h * 0.29], fill=(40, 40, 48))
    draw.rectangle([w * 0.39, h * 0.52, w * 0.61, h * 0.7], fill=(250, 246, 236))
    _sprig(draw, w * 0.5, h * 0.68, h * 0.13, rng)


def _soap(draw, rng, w, h):
    tone = rng.choice(
        [(233, 222, 188), (196, 206, 150), (216, 196, 230), (242, 236, 220)]
    )
    shadow = tuple(max(0, c - 40) for c in tone)
    draw.rounded_rectangle(
        [w * 0.2, h * 0.45, w * 0.82, h * 0.78], radius=30, fill=shadow
    )
    draw.rounded_rectangle([w * 0.18, h * 0.4, w * 0.8, h * 0.72], radius=30, fill=tone)
    draw.rounded_rectangle(
        [w * 0.3, h * 0.5, w * 0.68, h * 0.62], radius=12, outline=shadow, width=5
    )


def _tube(draw, rng, w, h):
    draw.polygon(
        [
            (w * 0.4, h * 0.2),
            (w * 0.6, h * 0.2),
            (w * 0.66, h * 0.78),
            (w * 0.34, h * 0.78),
        ],
        fill=(250, 248, 252),
    )
    draw.rectangle([w * 0.34, h * 0.78, w * 0.66, h * 0.86], fill=rng.choice(LAVENDER))
    _sprig(draw, w * 0.5, h * 0.64, h * 0.22, rng)


def _jar(draw, rng, w, h):
    fill = rng.choice([(232, 176, 60), (214, 150, 40), (190, 90, 60), (120, 140, 70)])
    draw.rounded_rectangle([w * 0.3, h * 0.34, w * 0.7, h * 0.84], radius=36, fill=fill)
    draw.rectangle([w * 0.32, h * 0.24, w * 0.68, h * 0.34], fill=(200, 60, 60))
    for x in range(int(w * 0.32), int(w * 0.68), 18):
        draw.rectangle([x, h * 0.24, x + 9, h * 0.34], fill=(250, 250, 250))
    draw.rectangle([w * 0.36, h * 0.52, w * 0.64, h * 0.66], fill=(250, 246, 236))


def _candle(draw, rng, w, h):
    draw.rounded_rectangle(
        [w * 0.32, h * 0.4, w * 0.68, h * 0.84], radius=18, fill=(235, 238, 240)
    )
    draw.rectangle([w * 0.34, h * 0.42, w * 0.66, h * 0.8], fill=rng.choice(LAVENDER))
    draw.line([(w * 0.5, h * 0.42), (w * 0.5, h * 0.34)], fill=(40, 40, 40), width=4)
    draw.ellipse([w * 0.47, h * 0.22, w * 0.53, h * 0.34], fill=(250, 190, 60))


def _box(draw, rng, w, h):
    draw.rectangle([w * 0.2, h * 0.42, w * 0.8, h * 0.84], fill=(196, 160, 118))
    draw.rectangle([w * 0.17, h * 0.34, w * 0.83, h * 0.44], fill=(176, 140, 100))
    ribbon = rng.choice(LAVENDER)
    draw.rectangle([w * 0.46, h * 0.34, w * 0.54, h * 0.84], fill=ribbon)
    draw.ellipse([w * 0.36, h * 0.26, w * 0.5, h * 0.36], outline=ribbon, width=10)
    draw.ellipse([w * 0.5, h * 0.26, w * 0.64, h * 0.36], outline=ribbon, width=10)


DRAWINGS = {
    "lavande-sechee": _bunch,
    "huiles-essentielles": _bottle,
    "savons": _soap,
    "soins": _tube,
    "epicerie": _jar,
    "maison": _candle,
    "coffrets": _box,
}


def product_picture(
    slug: str, category_slug: str, colour: tuple[int, int, int]
) -> bytes:
    """A PNG picture for a demo product."""
    rng = random.Random(hashlib.sha256(slug.encode()).digest())
    image = Image.new("RGB", (SIZE, SIZE), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(6):  # soft field rows in the background
        y = rng.uniform(SIZE * 0.75, SIZE)
        draw.ellipse(
            [-SIZE * 0.2, y, SIZE * 1.2, y + SIZE * 0.5],
            fill=tuple(max(0, c - 18) for c in colour),
        )
    image = image.filter(ImageFilter.GaussianBlur(6))
    draw = ImageDraw.Draw(image)
    DRAWINGS.get(category_slug, _bunch)(draw, rng, SIZE, SIZE)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
