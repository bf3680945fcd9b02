"""The owner's audience screen: rankings and the views → purchases funnel as SVG."""

from __future__ import annotations

from datetime import timedelta

import pytest

from eshop.catalog.models import Category, Product
from eshop.clock import utcnow
from eshop.extensions import db as _db
from eshop.privacy.models import AudienceEvent


@pytest.fixture
def events(app) -> None:
    """Two visitors: pages, searches (one finding nothing), views and a purchase;
    plus an event older than the longest period, which must not count."""
    now = utcnow()
    with app.app_context():
        category = Category(slug="huiles", name_fr="Huiles", name_en="Oils")
        _db.session.add(category)
        _db.session.flush()
        product = Product(
            slug="huile-fine",
            category_id=category.id,
            name_fr="Huile fine",
            name_en="Fine oil",
            price_cents=1200,
        )
        _db.session.add(product)
        _db.session.flush()
        rows = [
            ("a" * 16, "page", "/", None, None),
            ("b" * 16, "page", "/", None, None),
            ("a" * 16, "page", "/products/<slug>", None, None),
            ("a" * 16, "search", "lavande", None, 3),
            ("b" * 16, "search", "lavande", None, 3),
            ("b" * 16, "search", "mimosa", None, 0),
            ("a" * 16, "product", "", product.id, None),
            ("b" * 16, "product", "", product.id, None),
            ("a" * 16, "purchase", "", product.id, None),
        ]
        for visitor, kind, target, product_id, count in rows:
            _db.session.add(
                AudienceEvent(
                    visitor_id=visitor,
                    kind=kind,
                    target=target,
                    product_id=product_id,
                    results_count=count,
                    occurred_at=now - timedelta(hours=1),
                )
            )
        _db.session.add(
            AudienceEvent(
                visitor_id="c" * 16,
                kind="page",
                target="/ancienne-page",
                occurred_at=now - timedelta(days=400),
            )
        )
        _db.session.commit()


def test_the_audience_screen_needs_the_owner(client):
    response = client.get("/admin/audience")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_the_audience_screen_shows_rankings_and_the_funnel(logged_in_client, events):
    page = logged_in_client.get("/admin/audience?lang=en")
    assert page.status_code == 200
    html = page.text
    assert html.count("<svg") == 3
    assert "<code>/</code>" in html and "/products/&lt;slug&gt;" in html
    assert "mimosa" in html  # the search with no result
    assert "Fine oil" in html and "50 %" in html  # 2 views, 1 purchase
    assert "/ancienne-page" not in html
    assert "<script" not in html.split("<main", 1)[1]


@pytest.mark.parametrize("days", ["7", "365", "9999", "abc", ""])
def test_any_period_answers_without_error(logged_in_client, events, days):
    assert logged_in_client.get(f"/admin/audience?days={days}").status_code == 200
