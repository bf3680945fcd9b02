"""The dashboard keeps paid orders apart from orders awaiting payment: best sellers
count paid orders only, and say so when there is none yet."""

from __future__ import annotations

import re

import pytest
import time_machine

from eshop.orders.models import OrderStatus

from .test_dashboard import NOW, add_order, add_product

NO_PAID_ORDER = {
    "fr": "Pas encore de commande payée",
    "en": "No paid order",
}
AWAITING = {
    "fr": {
        0: "Aucune commande en attente de paiement",
        1: "1 commande en attente de paiement",
        5: "5 commandes en attente de paiement",
    },
    "en": {
        0: "No order awaiting payment",
        1: "1 order awaiting payment",
        5: "5 orders awaiting payment",
    },
}
BEST_SELLERS = {"fr": "Meilleures ventes", "en": "Best sellers"}


@pytest.fixture
def frozen():
    """The day the orders below are placed relative to."""
    with time_machine.travel(NOW, tick=False):
        yield


def section(html: str, heading: str) -> str:
    """The dashboard card under ``heading``, tags stripped, spaces made plain."""
    start = html.index(f"<h2>{heading}</h2>")
    text = html[start : html.index("</section>", start)]
    text = re.sub(r"<[^>]+>", " ", text).replace("\xa0", " ").replace("\u202f", " ")
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("waiting", [0, 1, 5])
def test_without_a_paid_order_best_sellers_say_so_and_count_the_waiting_ones(
    admin, app, frozen, lang, waiting
):
    with app.app_context():
        soap = add_product("Savon")
        for day in range(waiting):
            add_order(
                soap, quantity=1, status=OrderStatus.PENDING_PAYMENT, days_ago=day
            )
        add_order(soap, quantity=4, status=OrderStatus.CANCELLED, days_ago=1)

    html = admin.client.get(f"/admin/?lang={lang}").text
    best = section(html, BEST_SELLERS[lang])

    assert NO_PAID_ORDER[lang] in best
    assert AWAITING[lang][waiting] in best
    assert "Savon" not in best  # an unpaid order is not a sale
    if waiting:
        assert "/admin/orders?status=pending_payment" in html


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_best_sellers_count_paid_orders_and_name_the_waiting_ones_apart(
    admin, app, frozen, lang
):
    with app.app_context():
        soap = add_product("Savon")
        honey = add_product("Miel")
        add_order(soap, quantity=2, status=OrderStatus.PAID, days_ago=0)
        add_order(honey, quantity=7, status=OrderStatus.PENDING_PAYMENT, days_ago=1)
        add_order(honey, quantity=1, status=OrderStatus.PENDING_PAYMENT, days_ago=2)

    html = admin.client.get(f"/admin/?lang={lang}").text
    best = section(html, BEST_SELLERS[lang])

    assert "Savon" in best
    assert "Miel" not in best
    assert NO_PAID_ORDER[lang] not in best
    assert AWAITING[lang][5].replace("5", "2") in best


@pytest.mark.parametrize(
    ("lang", "label"), [("fr", "en attente de paiement"), ("en", "awaiting payment")]
)
def test_the_key_figures_show_orders_awaiting_payment(admin, app, frozen, lang, label):
    with app.app_context():
        soap = add_product("Savon")
        add_order(soap, quantity=1, status=OrderStatus.PAID, days_ago=0)
        for day in range(3):
            add_order(
                soap, quantity=1, status=OrderStatus.PENDING_PAYMENT, days_ago=day
            )

    html = admin.client.get(f"/admin/?lang={lang}").text

    match = re.search(
        r'admin-figure__value">(\d+)</span> <span class="admin-figure__label">'
        + re.escape(label),
        html,
    )
    assert match and match.group(1) == "3"
