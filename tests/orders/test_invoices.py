"""Invoices: a number per year with no gap, taken when an order becomes paid, and
a printable page from the order's private link and from the back office."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime

import pytest
import time_machine

from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order
from eshop.orders.services import (
    InvalidTransition,
    cancel_order,
    mark_delivered,
    mark_paid,
    mark_shipped,
)
from tests.cart.catalogue import add_product
from tests.conftest import is_postgres

from .test_services import place


def invoice_number(app, order_id: int) -> str | None:
    with app.app_context():
        return _db.session.get(Order, order_id).invoice_number


def paid(app, order_id: int) -> None:
    with app.app_context():
        mark_paid(order_id)


def test_an_order_gets_its_invoice_number_when_it_is_paid(app):
    """Given two orders awaiting payment, when the second then the first is paid,
    then they get F<year>-000001 and -000002 in the order of payment; an unpaid
    order has none."""
    soap = add_product(app)
    first = place(app, [(soap, 1)], "token-invoice-0001")
    second = place(app, [(soap, 1)], "token-invoice-0002")
    assert invoice_number(app, first) is None

    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=UTC), tick=False):
        paid(app, second)
        paid(app, first)

    assert invoice_number(app, second) == "F2026-000001"
    assert invoice_number(app, first) == "F2026-000002"


def test_a_refused_payment_takes_no_number(app):
    """A second 'mark paid' and a cancelled order use no number: no gap."""
    soap = add_product(app)
    cancelled = place(app, [(soap, 1)], "token-invoice-0003")
    first = place(app, [(soap, 1)], "token-invoice-0004")
    second = place(app, [(soap, 1)], "token-invoice-0005")
    with app.app_context():
        cancel_order(cancelled)
        with pytest.raises(InvalidTransition):
            mark_paid(cancelled)
    paid(app, first)
    with app.app_context(), pytest.raises(InvalidTransition):
        mark_paid(first)
    paid(app, second)

    year = datetime.now(UTC).year
    assert invoice_number(app, cancelled) is None
    assert invoice_number(app, first) == f"F{year}-000001"
    assert invoice_number(app, second) == f"F{year}-000002"


def test_cash_on_delivery_is_invoiced_when_delivered(app):
    """Paid to the carrier: the invoice number comes with the delivery."""
    soap = add_product(app)
    order_id = place(app, [(soap, 1)], "token-invoice-0006", payment="cash_on_delivery")
    with app.app_context():
        mark_shipped(order_id)
    assert invoice_number(app, order_id) is None
    with app.app_context():
        mark_delivered(order_id)
    assert invoice_number(app, order_id) == f"F{datetime.now(UTC).year}-000001"


def test_numbers_start_again_each_year_in_the_shops_time_zone(app):
    """Paid on 31 December at 23:30 UTC is 1 January in Paris: next year's first."""
    soap = add_product(app)
    orders = [place(app, [(soap, 1)], f"token-invoice-year-{n}") for n in range(3)]
    with time_machine.travel(datetime(2026, 12, 31, 22, 0, tzinfo=UTC), tick=False):
        paid(app, orders[0])
    with time_machine.travel(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False):
        paid(app, orders[1])
    with time_machine.travel(datetime(2027, 1, 2, 9, 0, tzinfo=UTC), tick=False):
        paid(app, orders[2])

    assert [invoice_number(app, o) for o in orders] == [
        "F2026-000001",
        "F2027-000001",
        "F2027-000002",
    ]


def test_twenty_concurrent_payments_get_numbers_one_to_twenty(app):
    """Given 20 orders awaiting payment, when 20 threads (each with its own
    session) mark them paid at the same moment on PostgreSQL, then the invoice
    numbers are exactly 1..20: none twice, none skipped."""
    if not is_postgres(app):
        pytest.skip(
            "row locks under concurrency are PostgreSQL's; SQLite has one writer"
        )
    soap = add_product(app, stock=100)
    orders = [place(app, [(soap, 1)], f"token-invoice-race-{n:02d}") for n in range(20)]
    start = threading.Barrier(20)
    errors: list[BaseException] = []

    def pay(order_id: int) -> None:
        with app.app_context():
            try:
                start.wait()
                mark_paid(order_id)
            except BaseException as error:  # surfaced below
                errors.append(error)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=pay, args=(o,)) for o in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    numbers = sorted(invoice_number(app, o) for o in orders)
    year = datetime.now(UTC).year
    assert numbers == [f"F{year}-{n:06d}" for n in range(1, 21)]


# --- the printable invoice --------------------------------------------------------


def paid_mixed_order(app) -> tuple[str, int]:
    """A paid order of 2 x 12,50 € at 20 % and 1 x 10,00 € at 5.5 %, shipping 6,90 €."""
    soap = add_product(app, price_cents=1250, vat_rate_bp=2000, name="Savon")
    honey = add_product(app, price_cents=1000, vat_rate_bp=550, name="Miel")
    order_id = place(app, [(soap, 2), (honey, 1)], "token-invoice-page-1")
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=UTC), tick=False):
        paid(app, order_id)
    with app.app_context():
        return _db.session.get(Order, order_id).public_id, order_id


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "fr",
            [
                "Facture F2026-000001",
                "Vendeur",
                "Lavande",
                "TVA par taux",
                "Taux de TVA",
                "20\u202f%",
                "5,5\u202f%",
                "41,90\xa0€",
            ],
        ),
        (
            "en",
            [
                "Invoice F2026-000001",
                "Seller",
                "Lavande",
                "VAT per rate",
                "20%",
                "5.5%",
                "€41.90",
            ],
        ),
    ],
)
def test_the_invoice_page_from_the_order_link(app, client, lang, expected):
    """The order's private page links its invoice once paid; the invoice names the
    seller and breaks VAT down per rate, shipping included, in both languages."""
    public_id, _ = paid_mixed_order(app)

    order_page = client.get(f"/orders/{public_id}?lang={lang}").text
    response = client.get(f"/orders/{public_id}/invoice?lang={lang}")

    assert f"/orders/{public_id}/invoice" in order_page
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert re.search(r'href="/static/(\w+/)?css/print\.css"', response.text)
    for text in expected:
        assert text in response.text, text


def test_no_invoice_before_payment(app, client):
    soap = add_product(app)
    order_id = place(app, [(soap, 1)], "token-invoice-unpaid")
    with app.app_context():
        public_id = _db.session.get(Order, order_id).public_id

    assert client.get(f"/orders/{public_id}/invoice").status_code == 404
    assert "/invoice" not in client.get(f"/orders/{public_id}").text
    assert client.get("/orders/not-a-valid-id!/invoice").status_code == 404


def test_the_invoice_names_the_seller_from_the_settings(app, client):
    app.config.update(
        SHOP_LEGAL_NAME="Lavande Provence",
        SHOP_LEGAL_FORM="SAS",
        SHOP_SHARE_CAPITAL="10 000 €",
        SHOP_ADDRESS="12 rue des Lices, 84000 Avignon, France",
        SHOP_RCS="RCS Avignon 912 345 678",
        SHOP_VAT_NUMBER="FR74912345678",
    )
    public_id, _ = paid_mixed_order(app)

    page = client.get(f"/orders/{public_id}/invoice?lang=fr").text

    for text in (
        "Lavande Provence</strong>, SAS au capital de 10 000 €",
        "12 rue des Lices, 84000 Avignon, France",
        "Immatriculation : RCS Avignon 912 345 678",
        "N° de TVA intracommunautaire : FR74912345678",
    ):
        assert text in page, text


@pytest.mark.parametrize(
    ("locale", "sentence"),
    [
        ("fr", "Votre facture F2026-000001, à imprimer ou à enregistrer :"),
        ("en", "Your invoice F2026-000001, to print or save:"),
    ],
)
def test_the_payment_email_links_the_invoice(app, locale, sentence):
    soap = add_product(app)
    order_id = place(app, [(soap, 1)], f"token-invoice-mail-{locale}")
    with app.app_context():
        _db.session.get(Order, order_id).locale = locale
        _db.session.commit()
    with time_machine.travel(datetime(2026, 12, 3, 10, tzinfo=UTC), tick=False):
        paid(app, order_id)

    with app.app_context():
        order = _db.session.get(Order, order_id)
        text = _db.session.execute(
            _db.select(OutboxMessage.text_body).where(
                OutboxMessage.dedupe_key == f"order-status-{order.number}-paid"
            )
        ).scalar_one()
    assert sentence in text
    assert f"/orders/{order.public_id}/invoice" in text
