"""Audience figures for the owner: pages, searches, and product views → purchases.

Everything is counted from the pseudonymous events; visitors are counted as distinct
random ids, never linked to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func

from eshop.catalog.models import Product
from eshop.extensions import db

from .models import AudienceEvent, EventKind


@dataclass(frozen=True)
class Count:
    """One line of a ranking: what, how many times, by how many visitors."""

    label: str
    events: int
    visitors: int


@dataclass(frozen=True)
class ProductFunnel:
    product_id: int
    name: str
    views: int
    purchases: int

    @property
    def conversion_percent(self) -> float | None:
        return None if not self.views else 100 * self.purchases / self.views


def _ranking(kind: str, since: datetime, limit: int, *extra) -> list[Count]:
    rows = db.session.execute(
        db.select(
            AudienceEvent.target,
            func.count(),
            func.count(func.distinct(AudienceEvent.visitor_id)),
        )
        .where(AudienceEvent.kind == kind, AudienceEvent.occurred_at >= since, *extra)
        .group_by(AudienceEvent.target)
        .order_by(func.count().desc(), AudienceEvent.target)
        .limit(limit)
    ).all()
    return [Count(target, events, visitors) for target, events, visitors in rows]


def top_pages(since: datetime, limit: int = 10) -> list[Count]:
    """The most viewed pages (route templates such as ``/products/<slug>``)."""
    return _ranking(EventKind.PAGE, since, limit)


def top_searches(since: datetime, limit: int = 10) -> list[Count]:
    return _ranking(EventKind.SEARCH, since, limit)


def searches_without_results(since: datetime, limit: int = 10) -> list[Count]:
    """What visitors looked for and the catalogue did not have."""
    return _ranking(EventKind.SEARCH, since, limit, AudienceEvent.results_count == 0)


def visitors_count(since: datetime) -> int:
    return db.session.execute(
        db.select(func.count(func.distinct(AudienceEvent.visitor_id))).where(
            AudienceEvent.occurred_at >= since
        )
    ).scalar_one()


def product_funnel(
    since: datetime, locale: str, limit: int = 10
) -> list[ProductFunnel]:
    """The most viewed products, each with how often it was then bought."""
    counts: dict[int, dict[str, int]] = {}
    rows = db.session.execute(
        db.select(AudienceEvent.product_id, AudienceEvent.kind, func.count())
        .where(
            AudienceEvent.kind.in_([EventKind.PRODUCT, EventKind.PURCHASE]),
            AudienceEvent.occurred_at >= since,
            AudienceEvent.product_id.is_not(None),
        )
        .group_by(AudienceEvent.product_id, AudienceEvent.kind)
    ).all()
    for product_id, kind, number in rows:
        counts.setdefault(product_id, {})[kind] = number
    ranked = sorted(
        counts.items(),
        key=lambda item: (
            -item[1].get(EventKind.PRODUCT, 0),
            -item[1].get(EventKind.PURCHASE, 0),
            item[0],
        ),
    )[:limit]
    names = {
        product.id: product.name(locale)
        for product in db.session.execute(
            db.select(Product).where(Product.id.in_([pid for pid, _ in ranked]))
        ).scalars()
    }
    return [
        ProductFunnel(
            product_id=product_id,
            name=names.get(product_id, f"#{product_id}"),
            views=numbers.get(EventKind.PRODUCT, 0),
            purchases=numbers.get(EventKind.PURCHASE, 0),
        )
        for product_id, numbers in ranked
    ]
