"""The dashboard's figures and the server-side SVG charts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import time_machine

from eshop.admin.charts import Point, bar_chart, line_chart, nice_ceiling, percent_bars
from eshop.catalog.models import Category, Product
from eshop.consent.models import ConsentDecision
from eshop.extensions import db as _db
from eshop.orders.models import Order, OrderLine, OrderStatus

NOW = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
_numbers = count(1)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def add_product(name: str, stock: int = 20, active: bool = True) -> int:
    number = next(_numbers)
    category = _db.session.execute(_db.select(Category)).scalars().first()
    if category is None:
        category = Category(slug="savons", name_fr="Savons", name_en="Soaps")
    product = Product(
        slug=f"produit-{number}",
        category=category,
        name_fr=name,
        name_en=name,
        price_cents=1000,
        stock=stock,
        active=active,
    )
    _db.session.add(product)
    _db.session.commit()
    return product.id


def add_order(
    product_id: int, *, quantity: int, status: str, days_ago: int, price: int = 1000
) -> None:
    number = next(_numbers)
    gross = price * quantity
    order = Order(
        number=f"2026-{number:06d}",
        public_id=f"public-{number}",
        checkout_token=f"token-{number}",
        status=status,
        payment_method="bank_transfer",
        shipping_method="colissimo",
        subtotal_cents=gross,
        shipping_cents=0,
        total_cents=gross,
        email="camille@example.org",
        full_name="Camille Martin",
        street="1 rue des Lilas",
        postal_code="84000",
        city="Avignon",
        country="FR",
        created_at=NOW - timedelta(days=days_ago),
    )
    tax = gross // 6
    order.lines.append(
        OrderLine(
            product_id=product_id,
            product_name=_db.session.get(Product, product_id).name_fr,
            quantity=quantity,
            unit_price_cents=price,
            vat_rate_bp=2000,
            net_cents=gross - tax,
            tax_cents=tax,
            gross_cents=gross,
        )
    )
    _db.session.add(order)
    _db.session.commit()


def add_decision(*, audience: bool, advertising: bool, sharing: bool) -> None:
    _db.session.add(
        ConsentDecision(
            consent_id=f"c{next(_numbers)}",
            decided_at=NOW - timedelta(hours=1),
            policy_version="v1",
            registry_hash="h",
            text_version="2026-11",
            source="banner",
            audience=audience,
            advertising=advertising,
            sharing=sharing,
        )
    )
    _db.session.commit()


@pytest.fixture
def shop(app, frozen):
    """A month of a small shop's life: orders in several states, low stock, and
    cookie decisions."""
    with app.app_context():
        soap = add_product("Savon", stock=2)
        honey = add_product("Miel", stock=50)
        add_product("Ancien produit", stock=0, active=False)
        add_order(soap, quantity=1, status=OrderStatus.PAID, days_ago=0)
        add_order(honey, quantity=3, status=OrderStatus.DELIVERED, days_ago=3)
        add_order(soap, quantity=2, status=OrderStatus.PENDING_PAYMENT, days_ago=1)
        add_order(honey, quantity=9, status=OrderStatus.CANCELLED, days_ago=2)
        add_order(soap, quantity=5, status=OrderStatus.SHIPPED, days_ago=100)
        for audience, advertising in [(True, False), (True, True), (True, False)]:
            add_decision(audience=audience, advertising=advertising, sharing=False)
        add_decision(audience=False, advertising=False, sharing=False)


def figure(html: str, label: str) -> str:
    match = re.search(
        r'admin-figure__value">([^<]*)</span> <span class="admin-figure__label">'
        + re.escape(label),
        html,
    )
    assert match, label
    return match.group(1).replace("\u202f", " ").replace("\xa0", " ")


def test_the_last_30_days(admin, shop):
    """Paid, shipped and delivered orders make the revenue; pending ones count as
    orders only; cancelled ones count for nothing."""
    page = admin.client.get("/admin/?lang=en")
    assert page.status_code == 200
    html = page.text
    assert figure(html, "revenue of paid orders") == "€40.00"
    assert figure(html, "orders placed") == "3"
    assert figure(html, "stock alerts") == "1"
    assert figure(html, "cookie decisions") == "4"
    assert html.count('role="img"') == 4  # revenue, orders, decisions, rates
    best = html[html.index("Best sellers") :]
    assert best.index("Miel") < best.index(
        "Savon"
    )  # 30 € paid before 10 € paid (pending is not a sale)


def test_the_last_365_days(admin, shop):
    html = admin.client.get("/admin/?days=365&lang=en").text
    assert figure(html, "revenue of paid orders") == "€90.00"
    assert figure(html, "orders placed") == "4"
    assert "chart--line" in html


@pytest.mark.parametrize("days", ["7", "abc", "-30", "99999999999999999999", ""])
def test_an_unknown_period_shows_the_last_30_days(admin, shop, days):
    response = admin.client.get(f"/admin/?days={days}")
    assert response.status_code == 200
    assert 'aria-current="page">' in response.text


def test_stock_alerts_list_products_on_sale_at_or_below_the_threshold(admin, shop):
    html = admin.client.get("/admin/").text
    alerts = html[html.index('id="stock-alerts"') :]
    alerts = alerts[: alerts.index("</section>")]
    assert "Savon" in alerts
    assert "Miel" not in alerts  # 50 in stock
    assert "Ancien produit" not in alerts  # off sale


def test_consent_acceptance_rates(admin, shop):
    html = admin.client.get("/admin/?lang=en").text
    assert "Audience measurement: 75 %" in html
    assert "Advertising: 25 %" in html
    assert "Sharing buttons: 0 %" in html


def test_an_empty_shop_has_a_calm_dashboard(admin, frozen):
    html = admin.client.get("/admin/?lang=en").text
    assert "No paid order in this period yet." in html
    assert "No product is running low." in html
    assert "Audience measurement: no data" in html


# --- charts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (0.3, 0.5), (7, 10), (12, 20), (40, 50), (101, 200)]
)
def test_axes_end_on_round_numbers(value, ceiling):
    assert nice_ceiling(value) == ceiling


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_charts_escape_labels_and_carry_a_title(draw):
    points = [Point("<b>lundi</b>", 3, "3 <script>"), Point("mardi", 5, "5")]
    svg = str(draw(points, title="Ventes & <commandes>"))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<b>" not in svg and "<script>" not in svg
    assert "&lt;b&gt;lundi&lt;/b&gt;" in svg
    assert "Ventes &amp; &lt;commandes&gt;" in svg
    assert 'role="img"' in svg and "aria-labelledby" in svg
    assert "style=" not in svg  # the CSP forbids inline style


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_charts_draw_one_mark_per_point_and_survive_no_data(draw):
    points = [Point(f"j{n}", n, str(n)) for n in range(30)]
    svg = str(draw(points, title="t"))
    marks = svg.count("<rect") if draw is bar_chart else svg.count("<circle")
    assert marks == 30
    assert svg.count('class="chart__axis"') <= 3 + 4  # value axis + day labels
    assert str(draw([], title="rien")).endswith("</svg>")


def test_percent_bars_show_rates_and_missing_data():
    svg = str(percent_bars([("Audience", 75.0), ("Pub", None)], title="Taux"))
    assert "75 %" in svg and "—" in svg
    assert svg.count('class="chart__bar"') == 2


def test_the_figures_behind_the_charts_are_in_a_table(admin, shop):
    html = admin.client.get("/admin/?lang=en").text
    table = html[html.index("Figures for each day with orders") :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 3  # header + three days with orders
    assert "Thu 26 Nov 2026" in table
