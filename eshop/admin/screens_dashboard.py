"""Admin: the dashboard (sales, top products, stock alerts, consent figures)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import func

from eshop.catalog.models import Product
from eshop.clock import utcnow
from eshop.consent.decisions import decisions_per_day
from eshop.extensions import db
from eshop.i18n import current_language
from eshop.money import format_price
from eshop.orders.models import Order, OrderLine, OrderStatus

from .blueprint import bp
from .charts import Point, bar_chart, line_chart, percent_bars

PERIODS = (30, 365)
PAID_STATES = (OrderStatus.PAID, OrderStatus.SHIPPED, OrderStatus.DELIVERED)
TOP_PRODUCTS = 10
MAX_STOCK_ALERTS = 50


@dataclass
class DaySales:
    """One day of sales: orders placed (not cancelled), those still awaiting
    payment, and the revenue of paid ones."""

    day: date
    orders: int = 0
    awaiting_payment: int = 0
    revenue_cents: int = 0


@dataclass(frozen=True)
class TopProduct:
    product_id: int | None
    name: str
    quantity: int
    revenue_cents: int


def shop_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "UTC"))


def first_moment(days: int) -> tuple[date, datetime]:
    """The first day of the period (today included) and its midnight, shop time."""
    zone = shop_zone()
    first_day = utcnow().astimezone(zone).date() - timedelta(days=days - 1)
    return first_day, datetime.combine(first_day, datetime.min.time(), tzinfo=zone)


def sales_per_day(days: int) -> list[DaySales]:
    """Orders and paid revenue for each of the last ``days`` days, oldest first."""
    first_day, since = first_moment(days)
    sales = {
        first_day + timedelta(days=n): DaySales(first_day + timedelta(days=n))
        for n in range(days)
    }
    rows = db.session.execute(
        db.select(Order.created_at, Order.status, Order.total_cents).where(
            Order.created_at >= since, Order.status != OrderStatus.CANCELLED
        )
    )
    zone = shop_zone()
    for created_at, status, total_cents in rows:
        day_sales = sales.get(created_at.astimezone(zone).date())
        if day_sales is None:
            continue
        day_sales.orders += 1
        if status in PAID_STATES:
            day_sales.revenue_cents += total_cents
        elif status == OrderStatus.PENDING_PAYMENT:
            day_sales.awaiting_payment += 1
    return list(sales.values())


def top_products(days: int) -> list[TopProduct]:
    """The best sellers of the period by revenue, counting paid orders only."""
    _, since = first_moment(days)
    revenue = func.sum(OrderLine.gross_cents)
    rows = db.session.execute(
        db.select(
            OrderLine.product_id,
            func.max(OrderLine.product_name),
            func.sum(OrderLine.quantity),
            revenue,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.created_at >= since, Order.status.in_(PAID_STATES))
        .group_by(OrderLine.product_id)
        .order_by(revenue.desc())
        .limit(TOP_PRODUCTS)
    )
    return [
        TopProduct(pid, name, int(qty), int(cents)) for pid, name, qty, cents in rows
    ]


def stock_alerts() -> list[Product]:
    """Products on sale whose stock is at or below the alert threshold."""
    threshold = current_app.config.get("STOCK_ALERT_THRESHOLD", 5)
    return list(
        db.session.execute(
            db.select(Product)
            .where(Product.active.is_(True), Product.stock <= threshold)
            .order_by(Product.stock, Product.name_fr)
            .limit(MAX_STOCK_ALERTS)
        ).scalars()
    )


def day_label(day: date, locale: str) -> str:
    return format_date(day, "d MMM", locale=locale)


def euros_axis(locale: str) -> Callable[[float], str]:
    def format_axis(cents: float) -> str:
        return format_currency(
            cents / 100, "EUR", format="#,##0 ¤", locale=locale, currency_digits=False
        )

    return format_axis


def count_axis(locale: str) -> Callable[[float], str]:
    def format_axis(value: float) -> str:
        return format_decimal(value, format="#,##0", locale=locale)

    return format_axis


def awaiting_payment_text(count: int) -> str:
    """How many orders of the period still wait for their payment, in words.

    Three plain messages rather than ngettext: the domains' merged catalogues do
    not agree on French plural forms."""
    if count == 0:
        return _("No order awaiting payment.")
    if count == 1:
        return _("1 order awaiting payment.")
    return _("%(count)s orders awaiting payment.", count=count)


def sales_charts(days: int, locale: str) -> dict[str, object]:
    sales = sales_per_day(days)
    draw = bar_chart if days <= 31 else line_chart
    revenue_points = [
        Point(
            day_label(s.day, locale),
            s.revenue_cents,
            format_price(s.revenue_cents, locale),
        )
        for s in sales
    ]
    order_points = [
        Point(day_label(s.day, locale), s.orders, str(s.orders)) for s in sales
    ]
    total_revenue = sum(s.revenue_cents for s in sales)
    total_orders = sum(s.orders for s in sales)
    awaiting = sum(s.awaiting_payment for s in sales)
    return {
        "total_revenue": total_revenue,
        "awaiting_payment": awaiting,
        "awaiting_payment_text": awaiting_payment_text(awaiting),
        "active_days": [
            (format_date(s.day, "EEE d MMM y", locale=locale), s)
            for s in reversed(sales)
            if s.orders
        ],
        "total_orders": total_orders,
        "revenue_chart": draw(
            revenue_points,
            title=_("Revenue of paid orders per day, last %(days)s days", days=days),
            axis_format=euros_axis(locale),
            tick_unit=100,  # whole euros
            description=_(
                "%(total)s in all over %(days)s days.",
                total=format_price(total_revenue, locale),
                days=days,
            ),
        ),
        "orders_chart": draw(
            order_points,
            title=_("Orders placed per day, last %(days)s days", days=days),
            axis_format=count_axis(locale),
            description=_(
                "%(count)s orders over %(days)s days.", count=total_orders, days=days
            ),
        ),
    }


def consent_charts(days: int, locale: str) -> dict[str, object]:
    per_day = decisions_per_day(days)
    total = sum(d.decisions for d in per_day)
    draw = bar_chart if days <= 31 else line_chart
    labels = {
        "audience": _("Audience measurement"),
        "advertising": _("Advertising"),
        "sharing": _("Sharing buttons"),
    }
    rates = []
    for category, label in labels.items():
        accepted = sum(d.accepted.get(category, 0) for d in per_day)
        rates.append((label, accepted * 100 / total if total else None))
    return {
        "consent_total": total,
        "consent_chart": draw(
            [
                Point(day_label(d.day, locale), d.decisions, str(d.decisions))
                for d in per_day
            ],
            title=_("Cookie decisions per day, last %(days)s days", days=days),
            axis_format=count_axis(locale),
            description=_(
                "%(count)s decisions over %(days)s days.", count=total, days=days
            ),
        ),
        "consent_rates": percent_bars(
            rates,
            title=_("Share of decisions accepting each kind of cookie"),
            description="; ".join(
                f"{label}: {_('no data') if rate is None else f'{rate:.0f} %'}"
                for label, rate in rates
            ),
        ),
    }


@bp.get("/")
def dashboard() -> ResponseReturnValue:
    """The owner's overview: sales, best sellers, low stock, cookie decisions."""
    days = request.args.get("days", type=int)
    if days not in PERIODS:
        days = PERIODS[0]
    locale = current_language()
    return render_template(
        "admin/dashboard.html",
        days=days,
        periods=PERIODS,
        top=top_products(days),
        alerts=stock_alerts(),
        threshold=current_app.config.get("STOCK_ALERT_THRESHOLD", 5),
        **sales_charts(days, locale),
        **consent_charts(days, locale),
    )
