"""The orders screens: list, filters, detail, state changes and the accounting CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from eshop.catalog.models import Category, Product
from eshop.extensions import db as _db
from eshop.mail.models import OutboxMessage
from eshop.orders.models import Order, OrderLine, OrderStatus

from .conftest import csrf_token_in

_numbers = iter(range(1, 1_000_000))


def make_product(stock: int = 10, price_cents: int = 1250) -> int:
    """A product in its own category; returns its id."""
    number = next(_numbers)
    category = Category(slug=f"c{number}", name_fr="Savons", name_en="Soaps")
    product = Product(
        slug=f"p{number}",
        category=category,
        name_fr="Savon à la lavande",
        name_en="Lavender soap",
        price_cents=price_cents,
        vat_rate_bp=2000,
        stock=stock,
    )
    _db.session.add(product)
    _db.session.commit()
    return product.id


def make_order(
    *,
    status: str = OrderStatus.PENDING_PAYMENT,
    payment_method: str = "bank_transfer",
    product_id: int | None = None,
    quantity: int = 2,
    full_name: str = "Camille Martin",
    email: str = "camille@example.org",
    created_at: datetime | None = None,
) -> int:
    """An order as checkout would have written it (2 x 12,50 € + 4,90 € shipping)."""
    number = next(_numbers)
    gross = 1250 * quantity
    order = Order(
        number=f"2026-{number:06d}",
        public_id=f"public-{number}",
        checkout_token=f"token-{number}",
        status=status,
        payment_method=payment_method,
        shipping_method="colissimo",
        subtotal_cents=gross,
        shipping_cents=490,
        total_cents=gross + 490,
        email=email,
        full_name=full_name,
        street="3 rue des Lilas",
        postal_code="84000",
        city="Avignon",
        country="FR",
        created_at=created_at or datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    )
    tax = round(gross * 2000 / 12000)
    order.lines.append(
        OrderLine(
            product_id=product_id,
            product_name="Savon à la lavande",
            quantity=quantity,
            unit_price_cents=1250,
            vat_rate_bp=2000,
            net_cents=gross - tax,
            tax_cents=tax,
            gross_cents=gross,
        )
    )
    _db.session.add(order)
    _db.session.commit()
    return order.id


def order_status(order_id: int) -> str:
    _db.session.expire_all()
    return _db.session.get(Order, order_id).status


def stock_of(product_id: int) -> int:
    _db.session.expire_all()
    return _db.session.get(Product, product_id).stock


def outbox_count() -> int:
    return _db.session.execute(select(func.count(OutboxMessage.id))).scalar_one()


# --- list and filters ---------------------------------------------------------------


def test_list_shows_orders_newest_first(admin, db):
    make_order(full_name="Ancienne", created_at=datetime(2026, 1, 5, tzinfo=UTC))
    make_order(full_name="Récente", created_at=datetime(2026, 11, 5, tzinfo=UTC))

    page = admin.client.get("/admin/orders")

    assert page.status_code == 200
    assert page.text.index("Récente") < page.text.index("Ancienne")


def test_list_filters_by_state_and_date_range(admin, db):
    make_order(full_name="Alice Novembre", status=OrderStatus.PAID)
    make_order(full_name="Bruno Attente")
    make_order(
        full_name="Chloé Janvier",
        status=OrderStatus.PAID,
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
    )

    by_state = admin.client.get("/admin/orders?status=paid")
    by_dates = admin.client.get(
        "/admin/orders?status=paid&date_from=2026-11-01&date_to=2026-11-30"
    )

    assert "Alice Novembre" in by_state.text and "Chloé Janvier" in by_state.text
    assert "Bruno Attente" not in by_state.text
    assert "Alice Novembre" in by_dates.text and "Chloé Janvier" not in by_dates.text


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("2026-000", {"Alice Novembre", "Bruno Attente"}),  # number prefix
        ("alice", {"Alice Novembre"}),  # name, any case
        ("BRUNO@EXAMPLE", {"Bruno Attente"}),  # email
        ("%", set()),  # a wildcard is just a character
        ("_", set()),
    ],
)
def test_search_by_number_name_or_email(admin, db, term, found):
    make_order(full_name="Alice Novembre", email="alice@example.org")
    make_order(full_name="Bruno Attente", email="bruno@example.org")

    page = admin.client.get("/admin/orders", query_string={"q": term})

    assert page.status_code == 200
    shown = {name for name in ("Alice Novembre", "Bruno Attente") if name in page.text}
    assert shown == found


def test_date_range_counts_whole_days_in_the_shops_time_zone(admin, db):
    # 23:30 UTC on 30 November is already 1 December in Paris.
    make_order(
        full_name="Minuit", created_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    )

    november = admin.client.get("/admin/orders?date_to=2026-11-30")
    december = admin.client.get("/admin/orders?date_from=2026-12-01")

    assert "Minuit" not in november.text
    assert "Minuit" in december.text


def test_list_is_paginated(admin, db):
    for index in range(51):
        make_order(full_name=f"Client {index:02d}")

    first = admin.client.get("/admin/orders")
    second = admin.client.get("/admin/orders?page=2")

    assert (
        first.text.count("/admin/orders/") - first.text.count("/admin/orders/export")
        == 50
    )
    assert 'rel="next"' in first.text
    assert second.status_code == 200 and 'rel="prev"' in second.text


@pytest.mark.parametrize(
    "query",
    [
        "status=shipped_to_mars",
        "status=<script>alert(1)</script>",
        "date_from=yesterday",
        "date_from=2026-13-45",
        "date_from=-5",
        "date_from=0001-01-01",
        "date_to=99999-01-01",
        "date_from=" + "9" * 5000,
        "date_from=2026-11-30&date_to=2026-11-01",
        "q=" + "x" * 101,
        "date_from=%00",
    ],
)
def test_bad_filters_give_a_message_not_a_crash(admin, db, query):
    make_order(full_name="Camille")

    page = admin.client.get(f"/admin/orders?{query}")
    export = admin.client.get(f"/admin/orders/export.csv?{query}")

    assert page.status_code == 400
    assert 'class="field-error"' in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert export.status_code == 400


@pytest.mark.parametrize("page_number", ["-1", "0", "abc", "99999", "1e9"])
def test_odd_page_numbers_are_harmless(admin, db, page_number):
    make_order()

    page = admin.client.get(f"/admin/orders?page={page_number}")

    assert page.status_code in (200, 404)


def statements_for(client, path: str) -> int:
    """How many SQL statements answering ``path`` takes."""
    from sqlalchemy import event

    count = 0

    def counting(*args) -> None:
        nonlocal count
        count += 1

    event.listen(_db.engine, "before_cursor_execute", counting)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", counting)
    return count


def test_list_reads_the_same_few_statements_for_any_number_of_orders(admin, db):
    make_order()
    few = statements_for(admin.client, "/admin/orders")
    for _ in range(20):
        make_order()

    many = statements_for(admin.client, "/admin/orders")

    assert many == few


# --- detail --------------------------------------------------------------------------


def test_detail_shows_lines_customer_address_and_payment(admin, db):
    order_id = make_order(full_name="Camille <b>Martin</b>")

    page = admin.client.get(f"/admin/orders/{order_id}")

    assert page.status_code == 200
    assert "Savon à la lavande" in page.text
    assert "Camille &lt;b&gt;Martin&lt;/b&gt;" in page.text
    assert "3 rue des Lilas" in page.text and "84000 Avignon" in page.text
    assert "camille@example.org" in page.text
    assert "Virement bancaire" in page.text or "Bank transfer" in page.text
    assert "29,90" in page.text  # total, VAT included


def test_unknown_order_is_a_404(admin, db):
    assert admin.client.get("/admin/orders/999999").status_code == 404


# --- CSV export -----------------------------------------------------------------------


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_export_for_accounting(admin, db):
    make_order(status=OrderStatus.PAID, payment_method="cash_on_delivery")
    make_order(full_name='=HYPERLINK("http://evil.example")')

    response = admin.client.get("/admin/orders/export.csv")
    rows = read_csv(response)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Content-Length" not in response.headers  # streamed, not built in memory
    assert list(rows[0]) == [
        "number",
        "invoice_number",
        "date",
        "status",
        "customer",
        "net_eur",
        "tax_eur",
        "gross_eur",
        "payment_method",
        "net_eur_vat_20",
        "tax_eur_vat_20",
        "net_eur_vat_10",
        "tax_eur_vat_10",
        "net_eur_vat_5.5",
        "tax_eur_vat_5.5",
        "net_eur_vat_2.1",
        "tax_eur_vat_2.1",
    ]
    assert len(rows) == 2
    first = rows[0]
    assert first["status"] == "paid"
    assert first["payment_method"] == "cash_on_delivery"
    assert first["gross_eur"] == "29.90"
    # 4,17 € on the goods and 0,82 € on the 4,90 € shipping, both at 20 %.
    assert first["tax_eur"] == "4.99"
    assert first["net_eur"] == "24.91"
    assert (first["net_eur_vat_20"], first["tax_eur_vat_20"]) == ("24.91", "4.99")
    assert first["tax_eur_vat_5.5"] == ""
    assert first["date"].startswith("2026-11-20T11:00:00")  # Paris time
    assert rows[1]["customer"].startswith("'=")  # no formula in a spreadsheet


def test_csv_export_keeps_the_filters(admin, db):
    make_order(full_name="Alice Novembre", status=OrderStatus.PAID)
    make_order(full_name="Bruno Attente")

    rows = read_csv(admin.client.get("/admin/orders/export.csv?status=paid"))

    assert [row["customer"] for row in rows] == ["Alice Novembre"]


# --- login ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin/orders", "/admin/orders/1", "/admin/orders/export.csv"]
)
def test_order_screens_require_login(client, db, path):
    make_order()

    response = client.get(path)

    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


# --- state changes ----------------------------------------------------------------


def status_mails(address: str = "camille@example.org") -> list[OutboxMessage]:
    _db.session.expire_all()
    return list(
        _db.session.execute(
            select(OutboxMessage).where(
                OutboxMessage.recipient == address,
                OutboxMessage.dedupe_key.like("order-status-%"),
            )
        ).scalars()
    )


def click(admin, order_id: int, step: str, data: dict | None = None):
    """Press a state button on the order page, as the owner would."""
    page = admin.client.get(f"/admin/orders/{order_id}")
    return admin.client.post(
        f"/admin/orders/{order_id}/{step}",
        data={**(data or {}), "csrf_token": csrf_token_in(page.text)},
        follow_redirects=True,
    )


def test_mark_paid_tells_the_customer(admin, db):
    order_id = make_order()

    page = click(admin, order_id, "paid")

    assert page.status_code == 200
    assert order_status(order_id) == OrderStatus.PAID
    assert len(status_mails()) == 1
    assert 'class="flash flash--success"' in page.text


def test_mark_paid_twice_is_harmless(admin, db):
    order_id = make_order()
    token = csrf_token_in(admin.client.get(f"/admin/orders/{order_id}").text)

    first = admin.client.post(
        f"/admin/orders/{order_id}/paid", data={"csrf_token": token}
    )
    second = admin.client.post(
        f"/admin/orders/{order_id}/paid",
        data={"csrf_token": token},
        follow_redirects=True,
    )

    assert first.status_code == 302
    assert second.status_code == 200
    assert 'class="flash flash--warning"' in second.text  # "already marked paid"
    assert order_status(order_id) == OrderStatus.PAID
    assert len(status_mails()) == 1


def test_bank_transfer_cannot_ship_before_payment(admin, db):
    order_id = make_order(payment_method="bank_transfer")

    detail = admin.client.get(f"/admin/orders/{order_id}")
    forced = click(admin, order_id, "shipped", {"tracking_number": "6A123"})

    assert f"/admin/orders/{order_id}/shipped" not in detail.text  # no button
    assert forced.status_code == 200
    assert 'class="flash flash--error"' in forced.text
    assert order_status(order_id) == OrderStatus.PENDING_PAYMENT
    assert status_mails() == []


def test_bank_transfer_ships_once_paid_with_a_tracking_number(admin, db):
    order_id = make_order(payment_method="bank_transfer")
    click(admin, order_id, "paid")

    page = click(admin, order_id, "shipped", {"tracking_number": " 6A12345678 "})

    assert order_status(order_id) == OrderStatus.SHIPPED
    assert _db.session.get(Order, order_id).tracking_number == "6A12345678"
    assert "6A12345678" in page.text
    assert len(status_mails()) == 2


def test_cash_on_delivery_may_ship_before_payment_without_tracking(admin, db):
    order_id = make_order(payment_method="cash_on_delivery")

    detail = admin.client.get(f"/admin/orders/{order_id}")
    click(admin, order_id, "shipped", {"tracking_number": ""})

    assert f"/admin/orders/{order_id}/shipped" in detail.text
    assert order_status(order_id) == OrderStatus.SHIPPED
    assert _db.session.get(Order, order_id).tracking_number is None


def test_delivered_only_after_shipped(admin, db):
    order_id = make_order(status=OrderStatus.PAID)

    too_early = click(admin, order_id, "delivered")
    assert 'class="flash flash--error"' in too_early.text
    assert order_status(order_id) == OrderStatus.PAID

    click(admin, order_id, "shipped")
    click(admin, order_id, "delivered")
    assert order_status(order_id) == OrderStatus.DELIVERED
    detail = admin.client.get(f"/admin/orders/{order_id}")
    assert 'class="admin-actions"' not in detail.text  # nothing left to do


@pytest.mark.parametrize("status", [OrderStatus.PENDING_PAYMENT, OrderStatus.PAID])
def test_cancelling_restocks_exactly_once_even_when_clicked_twice(admin, db, status):
    product_id = make_product(stock=3)
    order_id = make_order(status=status, product_id=product_id, quantity=2)
    token = csrf_token_in(admin.client.get(f"/admin/orders/{order_id}").text)

    for _ in range(2):
        admin.client.post(
            f"/admin/orders/{order_id}/cancel", data={"csrf_token": token}
        )

    assert order_status(order_id) == OrderStatus.CANCELLED
    assert stock_of(product_id) == 5
    assert len(status_mails()) == 1


@pytest.mark.parametrize("status", [OrderStatus.SHIPPED, OrderStatus.DELIVERED])
def test_a_shipped_order_cannot_be_cancelled(admin, db, status):
    product_id = make_product(stock=3)
    order_id = make_order(status=status, product_id=product_id)

    page = click(admin, order_id, "cancel")

    assert 'class="flash flash--error"' in page.text
    assert order_status(order_id) == status
    assert stock_of(product_id) == 3


@pytest.mark.parametrize(
    "tracking_number",
    [
        "x" * 61,  # huge
        "-1",  # negative
        "<script>alert(1)</script>",  # malicious
        "6A123\r\nBcc: victim@example.org",  # header injection
        "'; DROP TABLE customer_order; --",
        "\x00",
    ],
)
def test_bad_tracking_numbers_are_refused_and_nothing_changes(
    admin, db, tracking_number
):
    order_id = make_order(status=OrderStatus.PAID)

    page = admin.client.get(f"/admin/orders/{order_id}")
    response = admin.client.post(
        f"/admin/orders/{order_id}/shipped",
        data={
            "tracking_number": tracking_number,
            "csrf_token": csrf_token_in(page.text),
        },
    )

    assert response.status_code == 400
    assert 'class="field-error"' in response.text
    assert "<script>alert(1)</script>" not in response.text
    assert order_status(order_id) == OrderStatus.PAID
    assert status_mails() == []


@pytest.mark.parametrize("step", ["paid", "shipped", "delivered", "cancel"])
def test_state_buttons_need_the_csrf_token(admin, db, step):
    order_id = make_order(status=OrderStatus.PAID, payment_method="cash_on_delivery")

    response = admin.client.post(f"/admin/orders/{order_id}/{step}")

    assert response.status_code == 400
    assert order_status(order_id) == OrderStatus.PAID
    assert outbox_count() == 0


@pytest.mark.parametrize("step", ["paid", "shipped", "delivered", "cancel"])
def test_state_buttons_on_an_unknown_order_give_404(admin, db, step):
    token = admin.csrf_token("/admin/orders")

    response = admin.client.post(
        f"/admin/orders/424242/{step}", data={"csrf_token": token}
    )

    assert response.status_code == 404


@pytest.mark.parametrize("step", ["paid", "shipped", "delivered", "cancel"])
def test_state_buttons_require_login(client, db, step):
    order_id = make_order(status=OrderStatus.PAID)

    response = client.post(f"/admin/orders/{order_id}/{step}")

    assert response.status_code in (302, 400)
    assert order_status(order_id) == OrderStatus.PAID


# --- in a real browser --------------------------------------------------------------


@pytest.mark.browser
def test_owner_pays_and_ships_an_order_in_a_browser(
    app, live_server, page, owner, artifacts
):
    with app.app_context():
        product_id = make_product(stock=4)
        order_id = make_order(product_id=product_id)
        number = _db.session.get(Order, order_id).number
    page.goto(f"{live_server}/admin/login")
    page.fill("input[name=email]", owner.email)
    page.fill("input[name=password]", owner.password)
    page.click(".admin-login button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")  # signed in before going on
    page.goto(f"{live_server}/admin/orders?status=pending_payment")
    page.click(f"text={number}")
    page.screenshot(path=str(artifacts / "admin-order-detail.png"), full_page=True)

    page.click(f"form[action$='/orders/{order_id}/paid'] button")
    page.fill("input[name=tracking_number]", "6A12345678")
    page.click(f"form[action$='/orders/{order_id}/shipped'] button")

    assert page.is_visible(".flash--success")
    assert "6A12345678" in page.text_content(".admin-facts")
    with app.app_context():
        assert order_status(order_id) == OrderStatus.SHIPPED
        assert len(status_mails()) == 2
    page.screenshot(path=str(artifacts / "admin-order-shipped.png"), full_page=True)


def test_detail_says_whether_the_address_belongs_to_a_member_and_nothing_more(
    admin, db
):
    """The owner sees only yes or no: never a saved address or a sign-in link."""
    from eshop.account.models import Member

    order_id = make_order(email="Camille@Example.org")
    page = admin.client.get(f"/admin/orders/{order_id}?lang=en")
    assert "Guest: no account for this address" in page.text

    _db.session.add(Member(email="camille@example.org"))
    _db.session.commit()
    page = admin.client.get(f"/admin/orders/{order_id}?lang=en")
    assert "Member: this address has an account" in page.text
    assert "/account/" not in page.text
