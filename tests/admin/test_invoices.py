"""The back office: an order's invoice, and the CSV export's VAT per rate."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest

from eshop.extensions import db as _db
from eshop.orders.models import Order, OrderLine, OrderStatus
from eshop.orders.services import mark_paid

from .test_orders import make_order


def add_honey_line(order_id: int) -> None:
    """A 10,00 € jar of honey at 5.5 % in the order (its totals follow)."""
    order = _db.session.get(Order, order_id)
    order.lines.append(
        OrderLine(
            product_name="Miel de lavande",
            quantity=1,
            unit_price_cents=1000,
            vat_rate_bp=550,
            net_cents=948,
            tax_cents=52,
            gross_cents=1000,
        )
    )
    order.subtotal_cents += 1000
    order.total_cents += 1000
    _db.session.commit()


def test_the_csv_export_breaks_vat_down_per_rate(admin, db):
    """2 x 12,50 € at 20 % + 10,00 € at 5.5 % + 4,90 € shipping: shipping splits
    3,50 € / 1,40 €, and the rates add up to the order's total."""
    order_id = make_order(status=OrderStatus.PAID)
    add_honey_line(order_id)

    response = admin.client.get("/admin/orders/export.csv")
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    assert row["gross_eur"] == "39.90"
    assert (row["net_eur_vat_20"], row["tax_eur_vat_20"]) == ("23.75", "4.75")
    assert (row["net_eur_vat_5.5"], row["tax_eur_vat_5.5"]) == ("10.81", "0.59")
    assert (row["net_eur"], row["tax_eur"]) == ("34.56", "5.34")
    assert row["tax_eur_vat_10"] == ""


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("fr", ["Facture F2026-000001", "Vendeur", "Taux de TVA", "39,90\xa0€"]),
        ("en", ["Invoice F2026-000001", "Seller", "VAT rate", "€39.90"]),
    ],
)
def test_the_owner_prints_the_invoice_of_a_paid_order(admin, db, lang, texts):
    order_id = make_order()
    add_honey_line(order_id)
    assert admin.client.get(f"/admin/orders/{order_id}/invoice").status_code == 404

    mark_paid(order_id)
    _db.session.expire_all()
    number = _db.session.get(Order, order_id).invoice_number
    detail = admin.client.get(f"/admin/orders/{order_id}?lang={lang}").text
    response = admin.client.get(f"/admin/orders/{order_id}/invoice?lang={lang}")

    assert number == f"F{datetime.now(UTC).year}-000001"
    assert f"/admin/orders/{order_id}/invoice" in detail
    assert response.status_code == 200
    assert re.search(r'href="/static/(\w+/)?css/print\.css"', response.text)
    for text in texts:
        assert text.replace("2026", str(datetime.now(UTC).year)) in response.text


def test_the_invoice_screen_needs_the_owner(client, db):
    response = client.get("/admin/orders/1/invoice")
    assert response.status_code in (302, 303)
    assert "/admin/login" in response.headers["Location"]
