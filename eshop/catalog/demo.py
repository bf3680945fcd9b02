"""Loading the demo catalogue (``flask --app eshop seed-demo``)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from eshop.clock import utcnow
from eshop.extensions import db

from .demo_catalog import CATEGORIES, PRODUCTS
from .demo_images import add_demo_picture
from .models import Category, Product


def catalogue_is_empty() -> bool:
    return not db.session.execute(select(func.count()).select_from(Product)).scalar()


def load_demo_catalogue() -> int:
    """Create the demo categories and products, each with the drawing of its kind;
    return how many products were added. Products whose slug exists are left alone."""
    existing = set(db.session.execute(select(Product.slug)).scalars())
    categories = {c.slug: c for c in db.session.execute(select(Category)).scalars()}
    for position, demo in enumerate(CATEGORIES):
        if demo.slug not in categories:
            category = Category(
                slug=demo.slug,
                name_fr=demo.name_fr,
                name_en=demo.name_en,
                position=position,
            )
            db.session.add(category)
            categories[demo.slug] = category
    db.session.flush()
    vat_rates = {demo.slug: demo.vat_rate_bp for demo in CATEGORIES}
    now = utcnow()
    added = 0
    for age, demo in enumerate(reversed(PRODUCTS)):
        if demo.slug in existing:
            continue
        created = now - timedelta(days=age * 3)
        product = Product(
            slug=demo.slug,
            category=categories[demo.category],
            name_fr=demo.name_fr,
            name_en=demo.name_en,
            description_fr=demo.description_fr,
            description_en=demo.description_en,
            price_cents=demo.price_cents,
            vat_rate_bp=vat_rates[demo.category],
            stock=demo.stock,
            featured="f" in demo.flags,
            sponsored="s" in demo.flags,
            created_at=created,
            updated_at=created,
        )
        db.session.add(product)
        add_demo_picture(product, demo.picture, demo.name_fr, demo.name_en)
        added += 1
    db.session.commit()
    return added
