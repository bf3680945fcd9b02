"""Helpers for the catalogue tests: a small catalogue built straight from the models."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from eshop.catalog.models import Category, Product, ProductImage
from eshop.clock import utcnow


def png_bytes(size: tuple[int, int] = (64, 48), colour: str = "purple") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def make_category(db) -> Callable[..., Category]:
    def make(
        slug: str = "savons",
        name_fr: str = "Savons",
        name_en: str = "Soaps",
        position: int = 0,
    ) -> Category:
        category = Category(
            slug=slug, name_fr=name_fr, name_en=name_en, position=position
        )
        db.session.add(category)
        db.session.commit()
        return category

    return make


@pytest.fixture
def make_product(db, make_category) -> Callable[..., Product]:
    """Create and commit a product; unnamed arguments get believable defaults."""
    counter = iter(range(1, 100_000))
    default_category: list[Category] = []

    def make(**values: Any) -> Product:
        n = next(counter)
        if "category" not in values:
            if not default_category:
                default_category.append(make_category())
            values["category"] = default_category[0]
        created = utcnow() - timedelta(days=n)
        product = Product(
            **{
                "slug": f"produit-{n}",
                "name_fr": f"Produit {n}",
                "name_en": f"Product {n}",
                "description_fr": "Une description.",
                "description_en": "A description.",
                "price_cents": 1000 + n,
                "vat_rate_bp": 2000,
                "stock": 20,
                "created_at": created,
                "updated_at": created,
                **values,
            }
        )
        db.session.add(product)
        db.session.commit()
        return product

    return make


@pytest.fixture
def with_image(db) -> Callable[[Product], ProductImage]:
    def attach(product: Product) -> ProductImage:
        image = ProductImage(
            product=product,
            filename=f"{product.slug}.jpg",
            alt_fr="photo",
            alt_en="photo",
        )
        db.session.add(image)
        db.session.commit()
        return image

    return attach
