"""Admin: audience figures (top pages, searches, product views → purchases) as
server-side SVG charts, from the pseudonymous events of consenting visitors."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from eshop.clock import utcnow
from eshop.i18n import current_language
from eshop.privacy import audience_stats
from eshop.privacy.retention import AUDIENCE_RETENTION_MONTHS

from .blueprint import bp
from .charts import percent_bars

PERIODS = (7, 30, 365)
RANKING_SIZE = 10


def share_rows(counts: list[audience_stats.Count]) -> list[tuple[str, float | None]]:
    """Each line's share of all the lines shown, in percent."""
    total = sum(count.events for count in counts)
    return [
        (count.label, 100 * count.events / total if total else None) for count in counts
    ]


@bp.get("/audience")
def audience() -> ResponseReturnValue:
    """Pages, searches and products, for visitors who accepted audience cookies."""
    days = request.args.get("days", type=int)
    if days not in PERIODS:
        days = PERIODS[1]
    since = utcnow() - timedelta(days=days)
    pages = audience_stats.top_pages(since, RANKING_SIZE)
    searches = audience_stats.top_searches(since, RANKING_SIZE)
    empty_searches = audience_stats.searches_without_results(since, RANKING_SIZE)
    funnel = audience_stats.product_funnel(since, current_language(), RANKING_SIZE)
    return render_template(
        "admin/audience/index.html",
        days=days,
        periods=PERIODS,
        retention_months=AUDIENCE_RETENTION_MONTHS,
        visitors=audience_stats.visitors_count(since),
        pages=pages,
        searches=searches,
        empty_searches=empty_searches,
        funnel=funnel,
        pages_chart=percent_bars(
            share_rows(pages), title=_("Share of page views, most viewed pages")
        ),
        searches_chart=percent_bars(
            share_rows(searches), title=_("Share of searches, most frequent ones")
        ),
        funnel_chart=percent_bars(
            [(item.name, item.conversion_percent) for item in funnel],
            title=_("Product views followed by a purchase, in percent"),
        ),
    )
