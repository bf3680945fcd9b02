"""The owner confirms a cash-on-delivery order in the back office (issue 12), so
that it no longer expires unpaid; a second click says it was already done."""

from __future__ import annotations

from eshop.extensions import db as _db
from eshop.orders.models import Order

from .test_orders import click, make_order


def test_the_owner_confirms_a_cash_on_delivery_order_once(admin, db):
    order_id = make_order(payment_method="cash_on_delivery")
    page = admin.client.get(f"/admin/orders/{order_id}?lang=en").text
    assert f"/admin/orders/{order_id}/confirm" in page
    assert "cancelled and restocked 10 days after" in page

    done = click(admin, order_id, "confirm")
    assert "is confirmed" in done.text or "est confirmée" in done.text
    assert _db.session.get(Order, order_id).confirmed_at is not None
    assert f"/admin/orders/{order_id}/confirm" not in done.text

    again = click(admin, order_id, "confirm")
    assert "already confirmed" in again.text or "déjà confirmée" in again.text


def test_a_bank_transfer_has_no_confirm_button_and_cannot_be_confirmed(admin, db):
    order_id = make_order()
    assert (
        f"/{order_id}/confirm" not in admin.client.get(f"/admin/orders/{order_id}").text
    )
    refused = click(admin, order_id, "confirm")
    assert 'class="flash flash--error"' in refused.text
    _db.session.expire_all()
    assert _db.session.get(Order, order_id).confirmed_at is None
