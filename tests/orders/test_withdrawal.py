"""The right of withdrawal from the order page: 14 days after delivery, some lines or
the whole order, acknowledged by email; before delivery the button cancels."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
import time_machine

from eshop.catalog.models import Product
from eshop.catalog.services import names_excluded_from_withdrawal
from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from eshop.orders.services import (
    CheckoutRequest,
    Customer,
    mark_delivered,
    mark_paid,
    mark_shipped,
    place_order,
)
from eshop.orders.withdrawal_models import WithdrawalRequest
from eshop.orders.withdrawals import (
    NothingToWithdraw,
    declare_withdrawal,
    mark_goods_received,
)
from tests.cart.catalogue import add_product, change_product, stock_of

CLAIRE = Customer(
    email="claire@example.org",
    full_name="Claire Martin",
    street="3 rue des Lilas",
    postal_code="84000",
    city="Avignon",
    country="FR",
)
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# Delivered on Monday 2 March 2026 at 10:00 in Paris (UTC+1): the 14 days run from
# 3 March to the end of 16 March, Paris time.
DELIVERED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY_14_LATE_EVENING = "2026-03-16 22:30:00+00:00"  # 23:30 in Paris
DAY_15_JUST_AFTER_MIDNIGHT = "2026-03-16 23:30:00+00:00"  # 00:30 on 17 March

MESSAGES = {
    "en": {
        "recorded": "Your withdrawal is recorded",
        "over": "The 14 days to withdraw from this order are over",
        "subject": "Your withdrawal from order",
        "withdraw_button": "Withdraw from this order",
        "cancel_button": "Cancel this order",
        "excluded": "This product is excluded from the right of withdrawal",
        "cancelled": "Your order is cancelled.",
        "mail_body": "and the standard shipping",
    },
    "fr": {
        "recorded": "Votre rétractation est enregistrée",
        "over": "Les 14 jours pour vous rétracter de cette commande sont passés",
        "subject": "Votre rétractation de la commande",
        "withdraw_button": "Me rétracter de cette commande",
        "cancel_button": "Annuler cette commande",
        "excluded": "Ce produit est exclu du droit de rétractation",
        "cancelled": "Votre commande est annulée.",
        "mail_body": "et la livraison standard",
    },
}


def place(app, items, *, locale="en", token="token-withdrawal-0001") -> int:
    with app.app_context():
        return place_order(
            CheckoutRequest(
                checkout_token=token,
                customer=CLAIRE,
                items=tuple(items),
                shipping_method="standard",
                payment_method="bank_transfer",
                accepted_subtotal_cents=10**8,
                locale=locale,
            )
        ).order.id


def deliver(app, order_id: int, delivered_at: datetime = DELIVERED) -> None:
    """Pay, ship and deliver the order, the delivery recorded on ``delivered_at``."""
    with time_machine.travel(delivered_at, tick=False):
        with app.app_context():
            mark_paid(order_id)
            mark_shipped(order_id)
            mark_delivered(order_id)


def public_id(app, order_id: int) -> str:
    with app.app_context():
        return _db.session.get(Order, order_id).public_id


def lines_of(app, order_id: int) -> list[int]:
    with app.app_context():
        return [line.id for line in _db.session.get(Order, order_id).lines]


def post_form(client, path: str, lang: str, data: dict | None = None):
    """Open the withdrawal page for its CSRF token, then post ``data`` to ``path``."""
    pid = path.split("/")[2]
    page = client.get(f"/orders/{pid}/withdrawal?lang={lang}")
    token = CSRF_FIELD.search(page.text)
    fields = {**(data or {}), "csrf_token": token.group(1) if token else ""}
    return client.post(f"{path}?lang={lang}", data=fields)


def withdraw(client, pid: str, lang: str, data: dict):
    return post_form(client, f"/orders/{pid}/withdrawal", lang, data)


def acknowledgements(app) -> list[OutboxMessage]:
    with app.app_context():
        return list(
            _db.session.execute(
                _db.select(OutboxMessage).where(
                    OutboxMessage.dedupe_key.like("withdrawal-received-%")
                )
            ).scalars()
        )


def requests(app) -> list[WithdrawalRequest]:
    with app.app_context():
        found = list(_db.session.execute(_db.select(WithdrawalRequest)).scalars())
        for request in found:
            _ = [line.quantity for line in request.lines]
        _db.session.expunge_all()
        return found


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_day_14_after_delivery_is_accepted_and_acknowledged(app, client, lang):
    """Given an order delivered on 2 March, when the shopper withdraws from all of it
    at 23:30 on 16 March (Paris), then it is recorded and the acknowledgement is
    queued in the order's language."""
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 2)], locale=lang)
    deliver(app, order_id)
    pid = public_id(app, order_id)
    with time_machine.travel(DAY_14_LATE_EVENING, tick=False):
        response = withdraw(client, pid, lang, {"scope": "all"})
        assert response.status_code == 303
        page = client.get(response.headers["Location"])
    assert MESSAGES[lang]["recorded"] in page.text
    [request] = requests(app)
    assert request.kind == "withdrawal" and request.includes_shipping
    assert [line.quantity for line in request.lines] == [2]
    [mail] = acknowledgements(app)
    assert mail.subject.startswith(MESSAGES[lang]["subject"])
    assert mail.recipient == "claire@example.org"
    assert MESSAGES[lang]["mail_body"] in mail.text_body
    assert "2 × " in mail.text_body and pid in mail.text_body


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_day_15_after_delivery_is_refused(app, client, lang):
    """At 00:30 on 17 March (Paris), the 14 days are over: 409, nothing recorded,
    no mail, the message in the page's language."""
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 2)], locale=lang)
    deliver(app, order_id)
    pid = public_id(app, order_id)
    with time_machine.travel(DAY_15_JUST_AFTER_MIDNIGHT, tick=False):
        order_page = client.get(f"/orders/{pid}?lang={lang}")
        response = withdraw(client, pid, lang, {"scope": "all"})
    assert MESSAGES[lang]["withdraw_button"] not in order_page.text
    assert response.status_code == 409
    assert MESSAGES[lang]["over"] in response.text
    assert requests(app) == [] and acknowledgements(app) == []


def test_the_order_page_offers_the_button_until_the_last_day(app, client):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 1)])
    deliver(app, order_id)
    pid = public_id(app, order_id)
    with time_machine.travel(DAY_14_LATE_EVENING, tick=False):
        page = client.get(f"/orders/{pid}?lang=en")
    assert "Withdraw from this order" in page.text
    assert "until March 16, 2026" in page.text


def test_some_lines_then_the_rest_the_last_request_carries_the_shipping(app, client):
    """Given two products, when one unit of the first is sent back, then the refund
    due is its price only; when the rest follows, the standard shipping is due too."""
    soap = add_product(app, stock=5, price_cents=1250)
    candle = add_product(app, stock=5, price_cents=2000)
    order_id = place(app, [(soap, 2), (candle, 1)])
    deliver(app, order_id)
    pid = public_id(app, order_id)
    soap_line, candle_line = lines_of(app, order_id)
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        first = withdraw(
            client,
            pid,
            "en",
            {
                "scope": "some",
                f"quantity-{soap_line}": "1",
                f"quantity-{candle_line}": "",
            },
        )
        second = withdraw(client, pid, "en", {"scope": "all"})
    assert first.status_code == 303 and second.status_code == 303
    with app.app_context():
        shipping = _db.session.get(Order, order_id).shipping_cents
    one, rest = requests(app)
    assert (one.refund_cap_cents, one.includes_shipping) == (1250, False)
    assert rest.refund_cap_cents == 1250 + 2000 + shipping and rest.includes_shipping
    assert sorted(line.quantity for line in rest.lines) == [1, 1]
    assert len(acknowledgements(app)) == 2


@pytest.mark.parametrize(
    "quantity", ["3", "-1", "abc", "100", "0"], ids=["above", "neg", "text", "big", "0"]
)
def test_bad_quantities_are_refused_with_a_message(app, client, quantity):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 2)])
    deliver(app, order_id)
    pid = public_id(app, order_id)
    [line] = lines_of(app, order_id)
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        response = withdraw(
            client, pid, "en", {"scope": "some", f"quantity-{line}": quantity}
        )
    assert response.status_code == 400
    assert "flash--error" in response.text
    assert requests(app) == []


def test_without_the_csrf_token_nothing_is_recorded(app, client):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 1)])
    deliver(app, order_id)
    pid = public_id(app, order_id)
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        response = client.post(f"/orders/{pid}/withdrawal", data={"scope": "all"})
    assert response.status_code == 400
    assert requests(app) == []


def test_an_unknown_order_is_404(client):
    assert client.get("/orders/" + "x" * 32 + "/withdrawal").status_code == 404
    assert client.get("/orders/bad!/withdrawal").status_code == 404


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_excluded_product_is_left_out(app, client, lang):
    """Given a product excluded from withdrawal, the form names it as excluded, a
    quantity typed for it is refused, and "the whole order" leaves it out (and so
    the shipping, since the order never comes back whole)."""
    soap = add_product(app, stock=5, price_cents=1250)
    cream = add_product(app, stock=5, price_cents=3000)
    change_product(app, cream, excluded_from_withdrawal=True)
    order_id = place(app, [(soap, 1), (cream, 1)], locale=lang)
    deliver(app, order_id)
    pid = public_id(app, order_id)
    soap_line, cream_line = lines_of(app, order_id)
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        form = client.get(f"/orders/{pid}/withdrawal?lang={lang}")
        refused = withdraw(
            client, pid, lang, {"scope": "some", f"quantity-{cream_line}": "1"}
        )
        whole = withdraw(client, pid, lang, {"scope": "all"})
    assert f'name="quantity-{cream_line}"' not in form.text
    assert f'name="quantity-{soap_line}"' in form.text
    assert refused.status_code == 400
    assert whole.status_code == 303
    [request] = requests(app)
    assert [line.order_line_id for line in request.lines] == [soap_line]
    assert (request.refund_cap_cents, request.includes_shipping) == (1250, False)


def test_the_terms_can_list_the_excluded_products(app):
    """The terms of sale read the excluded products' names from the catalogue."""
    cream = add_product(app, stock=5, name="Crème scellée")
    add_product(app, stock=5, name="Savon")
    change_product(app, cream, excluded_from_withdrawal=True)
    with app.app_context():
        assert names_excluded_from_withdrawal("fr") == ["Crème scellée"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_product_page_says_it_is_excluded(app, client, lang):
    cream = add_product(app, stock=5, name="Crème scellée")
    change_product(app, cream, excluded_from_withdrawal=True)
    with app.app_context():
        slug = _db.session.get(Product, cream).slug
    page = client.get(f"/products/{slug}?lang={lang}")
    assert page.status_code == 200
    assert MESSAGES[lang]["excluded"] in page.text


# --- before delivery, the same button asks to cancel ---------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_unpaid_order_is_cancelled_at_once(app, client, lang):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 2)], locale=lang)
    pid = public_id(app, order_id)
    order_page = client.get(f"/orders/{pid}?lang={lang}")
    assert MESSAGES[lang]["cancel_button"] in order_page.text
    response = post_form(client, f"/orders/{pid}/cancellation", lang)
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert MESSAGES[lang]["cancelled"] in page.text
    with app.app_context():
        assert _db.session.get(Order, order_id).status == "cancelled"
    assert stock_of(app, soap) == 5
    assert requests(app) == []  # nothing paid, nothing to refund


def test_a_paid_order_is_cancelled_and_left_to_refund(app, client):
    soap = add_product(app, stock=5, price_cents=1250)
    order_id = place(app, [(soap, 2)])
    with app.app_context():
        mark_paid(order_id)
        total = _db.session.get(Order, order_id).total_cents
    pid = public_id(app, order_id)
    assert post_form(client, f"/orders/{pid}/cancellation", "en").status_code == 303
    with app.app_context():
        assert _db.session.get(Order, order_id).status == "cancelled"
    assert stock_of(app, soap) == 5
    [request] = requests(app)
    assert request.kind == "cancellation"
    assert request.refund_cap_cents == total
    assert request.received_at is not None  # nothing left the shop
    assert len(acknowledgements(app)) == 1


def test_a_shipped_order_becomes_a_request_the_owner_handles(app, client):
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 1)])
    with app.app_context():
        mark_paid(order_id)
        mark_shipped(order_id)
    pid = public_id(app, order_id)
    first = post_form(client, f"/orders/{pid}/cancellation", "en")
    again = post_form(client, f"/orders/{pid}/cancellation", "en")
    assert first.status_code == 303
    assert again.status_code == 409
    with app.app_context():
        assert _db.session.get(Order, order_id).status == "shipped"
    [request] = requests(app)
    assert request.kind == "cancellation" and request.received_at is None
    assert stock_of(app, soap) == 4  # back only when the parcel is
    page = client.get(f"/orders/{pid}?lang=en")
    assert "Cancellation asked on" in page.text
    assert "Cancel this order" not in page.text


def test_a_delivered_order_cannot_be_cancelled_nor_a_shipped_one_withdrawn(app, client):
    soap = add_product(app, stock=5)
    delivered = place(app, [(soap, 1)], token="token-withdrawal-0002")
    deliver(app, delivered)
    shipped = place(app, [(soap, 1)], token="token-withdrawal-0003")
    with app.app_context():
        mark_paid(shipped)
        mark_shipped(shipped)
    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        cancel = post_form(
            client, f"/orders/{public_id(app, delivered)}/cancellation", "en"
        )
    withdrawal = withdraw(client, public_id(app, shipped), "en", {"scope": "all"})
    assert cancel.status_code == 409
    assert withdrawal.status_code == 409
    unpaid = place(app, [(soap, 1)], token="token-withdrawal-0004")
    early = withdraw(client, public_id(app, unpaid), "fr", {"scope": "all"})
    assert early.status_code == 409
    assert "pas encore été livrée : vous pouvez l’annuler" in early.text
    assert requests(app) == []


# --- at the same moment -----------------------------------------------------------


def test_two_tabs_withdrawing_at_once_record_one_request_and_restock_once(app):
    """Given a delivered order, when 5 threads withdraw from all of it at the same
    moment, then one request holds the units and the others are refused; when 5
    threads then mark its goods received, the stock comes back once."""
    soap = add_product(app, stock=5)
    order_id = place(app, [(soap, 2)])
    deliver(app, order_id)
    start = threading.Barrier(5)
    outcomes: list[str] = []

    def run(step) -> None:
        with app.app_context():
            start.wait()
            try:
                outcomes.append(step())
            except NothingToWithdraw:
                outcomes.append("refused")
            finally:
                _db.session.remove()

    def in_threads(step) -> None:
        threads = [threading.Thread(target=run, args=(step,)) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)

    with time_machine.travel("2026-03-05 10:00:00+00:00", tick=False):
        in_threads(lambda: declare_withdrawal(order_id) and "recorded")
    assert sorted(outcomes) == ["recorded"] + ["refused"] * 4
    [request] = requests(app)
    outcomes.clear()
    in_threads(lambda: "restocked" if mark_goods_received(request.id) else "again")
    assert sorted(outcomes) == ["again"] * 4 + ["restocked"]
    assert stock_of(app, soap) == 5
