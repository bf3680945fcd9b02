"""place_order under concurrency, order numbers, states and the expire command."""

from __future__ import annotations

import threading

import pytest
import time_machine

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order, OrderLine
from eshop.orders.services import (
    CheckoutRequest,
    Customer,
    InvalidTransition,
    OutOfStock,
    PriceRose,
    cancel_order,
    confirm_order,
    mark_delivered,
    mark_paid,
    mark_shipped,
    place_order,
)
from tests.cart.catalogue import add_product, stock_of

CLAIRE = Customer(
    email="claire@example.org",
    full_name="Claire Martin",
    street="3 rue des Lilas",
    postal_code="84000",
    city="Avignon",
    country="FR",
)


def checkout(items, token, payment="bank_transfer", accepted=10**8):
    return CheckoutRequest(
        checkout_token=token,
        customer=CLAIRE,
        items=tuple(items),
        shipping_method="standard",
        payment_method=payment,
        accepted_subtotal_cents=accepted,
    )


def place(app, items, token, **kwargs) -> int:
    with app.app_context():
        return place_order(checkout(items, token, **kwargs)).order.id


def count(app, model) -> int:
    with app.app_context():
        return _db.session.scalar(_db.select(_db.func.count()).select_from(model))


def test_twenty_shoppers_for_the_last_five_units(app):
    """Given 5 units left, when 20 threads each order one at the same moment, then
    exactly 5 orders exist, the stock is 0 and never went below, and every order is
    whole (its line and its two mails)."""
    soap = add_product(app, stock=5)
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def shopper(n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                place_order(checkout([(soap, 1)], f"token-{n:04d}-concurrent"))
                outcomes.append("sold")
            except OutOfStock:
                outcomes.append("sold out")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=shopper, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["sold"] * 5 + ["sold out"] * 15
    assert stock_of(app, soap) == 0
    assert count(app, Order) == 5
    assert count(app, OrderLine) == 5
    assert count(app, OutboxMessage) == 10
    with app.app_context():
        numbers = _db.session.execute(_db.select(Order.number)).scalars().all()
    assert sorted(int(n.split("-")[1]) for n in numbers) == [1, 2, 3, 4, 5]


def test_order_numbers_are_sequential_per_year(app):
    soap = add_product(app, stock=10)
    with time_machine.travel("2026-12-31 22:00:00+00:00"):
        first = place(app, [(soap, 1)], "token-year-0000001")
        second = place(app, [(soap, 1)], "token-year-0000002")
    with time_machine.travel("2027-01-01 09:00:00+00:00"):
        third = place(app, [(soap, 1)], "token-year-0000003")
    with app.app_context():
        numbers = [_db.session.get(Order, i).number for i in (first, second, third)]
        public_ids = [_db.session.get(Order, i).public_id for i in (first, second)]
    assert numbers == ["2026-000001", "2026-000002", "2027-000001"]
    assert len(set(public_ids)) == 2 and all(len(p) >= 32 for p in public_ids)


def test_a_short_line_places_nothing_at_all(app):
    plenty = add_product(app, stock=10)
    short = add_product(app, stock=1)
    with app.app_context(), pytest.raises(OutOfStock) as raised:
        place_order(checkout([(plenty, 3), (short, 2)], "token-short-000001"))
    assert raised.value.available == 1
    assert (stock_of(app, plenty), stock_of(app, short)) == (10, 1)
    assert count(app, Order) == 0 and count(app, OutboxMessage) == 0


def test_a_deactivated_product_cannot_be_ordered(app):
    off = add_product(app, stock=10, active=False)
    with app.app_context(), pytest.raises(OutOfStock):
        place_order(checkout([(off, 1)], "token-inactive-0001"))
    assert stock_of(app, off) == 10


def test_prices_are_read_again_when_placing(app):
    soap = add_product(app, price_cents=1000, stock=10)
    with app.app_context(), pytest.raises(PriceRose) as raised:
        place_order(checkout([(soap, 2)], "token-price-000001", accepted=1800))
    assert raised.value.subtotal_cents == 2000
    assert stock_of(app, soap) == 10 and count(app, Order) == 0


def test_the_same_token_returns_the_same_order(app):
    soap = add_product(app, stock=10)
    with app.app_context():
        first = place_order(checkout([(soap, 1)], "token-same-0000001"))
        second = place_order(checkout([(soap, 1)], "token-same-0000001"))
        assert (first.is_new, first.product_ids) == (True, (soap,))
        assert (second.is_new, second.order.id) == (False, first.order.id)
    assert stock_of(app, soap) == 9


def test_a_bank_transfer_goes_paid_shipped_delivered(app):
    soap = add_product(app, stock=10)
    order_id = place(app, [(soap, 1)], "token-states-00001")
    with app.app_context():
        with pytest.raises(InvalidTransition):
            mark_shipped(order_id)  # not paid yet
        with pytest.raises(InvalidTransition):
            mark_delivered(order_id)
        assert mark_paid(order_id).status == "paid"
        with pytest.raises(InvalidTransition):
            mark_paid(order_id)
        shipped = mark_shipped(order_id, tracking_number=" 6A123 ")
        assert (shipped.status, shipped.tracking_number) == ("shipped", "6A123")
        with pytest.raises(InvalidTransition):
            cancel_order(order_id)
        assert mark_delivered(order_id).status == "delivered"
        subjects = _db.session.execute(
            _db.select(OutboxMessage.dedupe_key).where(
                OutboxMessage.recipient == "claire@example.org"
            )
        ).scalars()
        keys = sorted(k.rsplit("-", 1)[-1] for k in subjects)
    assert keys == sorted(["000001", "paid", "shipped", "delivered"])


def test_cash_on_delivery_may_ship_before_payment(app):
    soap = add_product(app, stock=10)
    order_id = place(app, [(soap, 1)], "token-cod-0000001", payment="cash_on_delivery")
    with app.app_context():
        assert mark_shipped(order_id).status == "shipped"
        delivered = mark_delivered(order_id)
        assert delivered.paid_at is not None


def test_cancelling_restocks_exactly_once(app):
    soap = add_product(app, stock=10)
    order_id = place(app, [(soap, 3)], "token-cancel-00001")
    assert stock_of(app, soap) == 7
    with app.app_context():
        assert cancel_order(order_id).status == "cancelled"
        with pytest.raises(InvalidTransition):
            cancel_order(order_id)  # the second click
        with pytest.raises(InvalidTransition):
            mark_paid(order_id)
    assert stock_of(app, soap) == 10


def test_two_cancels_at_once_restock_once(app):
    soap = add_product(app, stock=10)
    order_id = place(app, [(soap, 4)], "token-cancel-00002")
    start = threading.Barrier(2)
    results = []

    def click() -> None:
        with app.app_context():
            start.wait()
            try:
                cancel_order(order_id)
                results.append("cancelled")
            except InvalidTransition:
                results.append("refused")
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["cancelled", "refused"]
    assert stock_of(app, soap) == 10


def test_a_paid_order_can_be_cancelled(app):
    soap = add_product(app, stock=10)
    order_id = place(app, [(soap, 2)], "token-cancel-00003")
    with app.app_context():
        mark_paid(order_id)
        cancel_order(order_id)
    assert stock_of(app, soap) == 10


def test_expire_cancels_old_unpaid_and_unconfirmed_orders_only(app, runner):
    """A bank transfer never paid and a cash-on-delivery order the owner never
    confirmed both expire (issue 12: no unpaid order holds stock for good); a paid
    order, a confirmed cash-on-delivery one and a recent one stay."""
    soap = add_product(app, stock=20)
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False):
        old_unpaid = place(app, [(soap, 1)], "token-expire-00001")
        old_paid = place(app, [(soap, 1)], "token-expire-00002")
        old_cod = place(
            app, [(soap, 1)], "token-expire-00003", payment="cash_on_delivery"
        )
        confirmed_cod = place(
            app, [(soap, 1)], "token-expire-00005", payment="cash_on_delivery"
        )
        with app.app_context():
            mark_paid(old_paid)
            confirm_order(confirmed_cod)
    with time_machine.travel("2026-11-20 10:00:00+00:00", tick=False):
        recent = place(app, [(soap, 1)], "token-expire-00004")
        result = runner.invoke(args=["orders", "expire", "--days", "10"])
    assert result.exit_code == 0, result.output
    assert "2 unpaid order(s)" in result.output
    with app.app_context():
        states = {
            i: _db.session.get(Order, i).status
            for i in (old_unpaid, old_paid, old_cod, confirmed_cod, recent)
        }
    assert states == {
        old_unpaid: "cancelled",
        old_paid: "paid",
        old_cod: "cancelled",
        confirmed_cod: "pending_payment",
        recent: "pending_payment",
    }
    assert stock_of(app, soap) == 17


def test_expire_uses_the_configured_days(app, runner):
    soap = add_product(app, stock=5)
    with time_machine.travel("2026-11-01 10:00:00+00:00", tick=False):
        place(app, [(soap, 1)], "token-expire-00010")
    with time_machine.travel("2026-11-09 10:00:00+00:00", tick=False):
        assert "0 unpaid" in runner.invoke(args=["orders", "expire"]).output
    with time_machine.travel("2026-11-12 10:00:00+00:00", tick=False):
        assert "1 unpaid" in runner.invoke(args=["orders", "expire"]).output


@pytest.mark.parametrize("days", ["0", "-3", "abc"])
def test_expire_refuses_bad_days(runner, days):
    result = runner.invoke(args=["orders", "expire", "--days", days])
    assert result.exit_code == 2
