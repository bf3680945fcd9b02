"""The back office and the right of withdrawal: the delivery day, the list of
requests (flagged after 14 days), goods received once, the refund within its cap,
and the product flag."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine

from eshop.catalog.models import Product
from eshop.extensions import db as _db
from eshop.orders.models import Order
from eshop.orders.services import mark_delivered, mark_paid, mark_shipped
from eshop.orders.withdrawal_models import WithdrawalRequest
from eshop.orders.withdrawals import declare_withdrawal
from tests.admin.conftest import csrf_token_in
from tests.cart.catalogue import add_product, stock_of
from tests.orders.test_withdrawal import place

SHIPPED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ship(app, order_id: int, when: datetime = SHIPPED) -> None:
    with time_machine.travel(when, tick=False):
        with app.app_context():
            mark_paid(order_id)
            mark_shipped(order_id)


def delivered_order(app, *, units: int = 2, price_cents: int = 1250):
    """A product with 5 in stock, an order of ``units`` delivered on 2 March, and a
    withdrawal of all of it declared on 5 March; returns (product, request id)."""
    soap = add_product(app, stock=5, price_cents=price_cents)
    order_id = place(app, [(soap, units)])
    ship(app, order_id)
    with time_machine.travel(SHIPPED, tick=False):
        with app.app_context():
            mark_delivered(order_id)
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        with app.app_context():
            request_id = declare_withdrawal(order_id).id
    return soap, request_id


def get_request(app, request_id: int) -> WithdrawalRequest:
    with app.app_context():
        request = _db.session.get(WithdrawalRequest, request_id)
        _db.session.expunge(request)
        return request


# --- the delivery day ---------------------------------------------------------------


@pytest.mark.parametrize(
    "lang,done", [("en", "is marked delivered"), ("fr", "est marquée livrée")]
)
def test_the_owner_records_the_day_of_delivery(app, admin, lang, done):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 1)])
    ship(app, order_id)
    with time_machine.travel("2026-03-06 15:00:00+00:00", tick=False):
        page = admin.client.get(f"/admin/orders/{order_id}?lang={lang}")
        assert 'type="date"' in page.text and 'value="2026-03-06"' in page.text
        response = admin.client.post(
            f"/admin/orders/{order_id}/delivered?lang={lang}",
            data={"delivered_on": "2026-03-04", "csrf_token": csrf_token_in(page.text)},
            follow_redirects=True,
        )
    assert done in response.text
    with app.app_context():
        order = _db.session.get(Order, order_id)
        assert order.status == "delivered"
        assert order.delivered_at.date() == date(2026, 3, 4)


@pytest.mark.parametrize(
    "day,lang,message",
    [
        ("2026-03-07", "en", "cannot be in the future or before shipping"),
        ("2026-03-01", "en", "cannot be in the future or before shipping"),
        ("2026-03-07", "fr", "ne peut être ni dans le futur ni avant l’expédition"),
        ("not a day", "en", "Enter a date like"),
    ],
)
def test_a_delivery_day_in_the_future_or_before_shipping_is_refused(
    app, admin, day, lang, message
):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 1)])
    ship(app, order_id)
    with time_machine.travel("2026-03-06 15:00:00+00:00", tick=False):
        page = admin.client.get(f"/admin/orders/{order_id}")
        response = admin.client.post(
            f"/admin/orders/{order_id}/delivered?lang={lang}",
            data={"delivered_on": day, "csrf_token": csrf_token_in(page.text)},
        )
    assert response.status_code == 400
    assert message in response.text
    with app.app_context():
        assert _db.session.get(Order, order_id).status == "shipped"


def test_delivered_without_a_day_means_now(app, admin):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 1)])
    ship(app, order_id)
    with time_machine.travel("2026-03-06 15:00:00+00:00", tick=False):
        page = admin.client.get(f"/admin/orders/{order_id}")
        admin.client.post(
            f"/admin/orders/{order_id}/delivered",
            data={"delivered_on": "", "csrf_token": csrf_token_in(page.text)},
        )
    with app.app_context():
        delivered_at = _db.session.get(Order, order_id).delivered_at
    assert delivered_at == datetime(2026, 3, 6, 15, 0, tzinfo=UTC)


# --- the list -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "lang,flag", [("en", "Open for more than 14 days"), ("fr", "Ouverte depuis plus")]
)
def test_a_request_open_after_14_days_is_flagged(app, admin, lang, flag):
    delivered_order(app)
    with time_machine.travel("2026-03-19 09:50:00+00:00", tick=False):  # 14 days on
        not_yet = admin.client.get(f"/admin/withdrawals?lang={lang}")
    with time_machine.travel("2026-03-19 10:10:00+00:00", tick=False):
        overdue = admin.client.get(f"/admin/withdrawals?lang={lang}")
    assert not_yet.status_code == 200 and flag not in not_yet.text
    assert flag in overdue.text
    assert "admin-row--overdue" in overdue.text


def test_a_refunded_request_is_not_flagged(app, admin):
    _, request_id = delivered_order(app)
    page = admin.client.get("/admin/withdrawals")
    admin.client.post(
        f"/admin/withdrawals/{request_id}/refund",
        data={
            f"r{request_id}-amount": "10",
            f"r{request_id}-csrf_token": csrf_token_in(page.text),
        },
    )
    with time_machine.travel("2026-04-30 10:00:00+00:00", tick=False):
        listing = admin.client.get("/admin/withdrawals?lang=en")
    assert "Open for more than 14 days" not in listing.text
    assert "refunded" in listing.text


def test_the_list_needs_the_owner(client):
    response = client.get("/admin/withdrawals")
    assert response.status_code in (302, 401)


def test_the_menu_links_the_list(admin):
    assert 'href="/admin/withdrawals"' in admin.client.get("/admin/").text


# --- goods received, refund ---------------------------------------------------------


@pytest.mark.parametrize(
    "lang,again", [("en", "already received"), ("fr", "étaient déjà reçus")]
)
def test_goods_received_twice_restock_once(app, admin, lang, again):
    soap, request_id = delivered_order(app, units=2)
    assert stock_of(app, soap) == 3
    token = csrf_token_in(admin.client.get("/admin/withdrawals").text)
    path = f"/admin/withdrawals/{request_id}/received?lang={lang}"
    first = admin.client.post(path, data={"csrf_token": token})
    second = admin.client.post(path, data={"csrf_token": token}, follow_redirects=True)
    assert first.status_code == 303
    assert again in second.text
    assert stock_of(app, soap) == 5
    assert get_request(app, request_id).received_at is not None


def test_goods_received_without_the_token_changes_nothing(app, admin):
    soap, request_id = delivered_order(app)
    response = admin.client.post(f"/admin/withdrawals/{request_id}/received")
    assert response.status_code == 400
    assert stock_of(app, soap) == 3


def refund(admin, request_id: int, amount: str, lang: str = "en"):
    page = admin.client.get("/admin/withdrawals")
    return admin.client.post(
        f"/admin/withdrawals/{request_id}/refund?lang={lang}",
        data={
            f"r{request_id}-amount": amount,
            f"r{request_id}-csrf_token": csrf_token_in(page.text),
        },
    )


def test_the_whole_order_back_refunds_goods_and_shipping(app, admin):
    _, request_id = delivered_order(app, units=2, price_cents=1250)
    request = get_request(app, request_id)
    with app.app_context():
        shipping = _db.session.get(Order, request.order_id).shipping_cents
    assert request.refund_cap_cents == 2500 + shipping
    cap = request.refund_cap_cents
    euros = f"{cap // 100},{cap % 100:02d}"
    assert refund(admin, request_id, euros).status_code == 303
    done = get_request(app, request_id)
    assert done.refund_cents == cap and done.refunded_at is not None
    again = refund(admin, request_id, "1")
    assert again.status_code == 303
    assert get_request(app, request_id).refund_cents == cap


@pytest.mark.parametrize(
    "amount,lang,message",
    [
        ("1000", "en", "at most"),
        ("0", "en", "above 0"),
        ("1000", "fr", "au plus"),
        ("douze", "en", "Type a price in euros"),
        ("", "fr", "Indiquez le montant remboursé"),
    ],
)
def test_a_refund_above_what_was_paid_is_refused(app, admin, amount, lang, message):
    _, request_id = delivered_order(app)
    response = refund(admin, request_id, amount, lang)
    assert response.status_code == 400
    assert message in response.text
    assert get_request(app, request_id).refunded_at is None


def test_an_unknown_request_is_404(admin):
    token = admin.csrf_token("/admin/withdrawals")
    response = admin.client.post(
        "/admin/withdrawals/999/received", data={"csrf_token": token}
    )
    assert response.status_code == 404


# --- the product flag ---------------------------------------------------------------


def test_the_product_form_saves_the_exclusion(app, admin):
    soap = add_product(app, stock=5)
    path = f"/admin/products/{soap}/edit"
    page = admin.client.get(path)
    assert page.status_code == 200, page.text
    assert 'name="excluded_from_withdrawal"' in page.text
    with app.app_context():
        product = _db.session.get(Product, soap)
        data = {
            "name_fr": product.name_fr,
            "name_en": product.name_en,
            "slug": product.slug,
            "category_id": str(product.category_id),
            "price": "12,50",
            "vat_rate_bp": str(product.vat_rate_bp),
            "stock": "5",
            "active": "y",
            "excluded_from_withdrawal": "y",
        }
    response = admin.client.post(
        path, data={**data, "csrf_token": csrf_token_in(page.text)}
    )
    assert response.status_code == 302, response.text
    with app.app_context():
        assert _db.session.get(Product, soap).excluded_from_withdrawal
    box = re.search(
        r'<input[^>]*name="excluded_from_withdrawal"[^>]*>', admin.client.get(path).text
    )
    assert box and "checked" in box.group(0)


@pytest.mark.parametrize("lang,word", [("en", "Withdrawal"), ("fr", "Rétractation")])
def test_the_order_page_shows_its_withdrawals(app, admin, lang, word):
    _, request_id = delivered_order(app)
    order_id = get_request(app, request_id).order_id
    page = admin.client.get(f"/admin/orders/{order_id}?lang={lang}")
    assert f"{word}, " in page.text
    assert 'href="/admin/withdrawals' in page.text
