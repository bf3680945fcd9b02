"""Storefront pages stay cheap: no N+1 queries, and a GET never writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from eshop.extensions import db as _db


@contextmanager
def recorded_statements(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def fill(make_product, with_image, count: int) -> None:
    for n in range(count):
        product = make_product(featured=True, sponsored=n % 5 == 0)
        with_image(product)


@pytest.mark.parametrize("path", ["/products", "/products?q=produit", "/"])
def test_list_pages_do_not_query_per_product(
    app, client, make_product, with_image, path
):
    """Given 2 products and then 24, when the same page is built (cache emptied),
    then it takes exactly as many SQL statements."""
    fill(make_product, with_image, 2)
    with recorded_statements(app) as few:
        assert client.get(path).status_code == 200
    fill(make_product, with_image, 22)
    with recorded_statements(app) as many:
        assert client.get(path).status_code == 200

    assert len(many) == len(few), "\n".join(many)


def test_a_cached_list_page_costs_one_statement_for_the_catalogue(
    app, client, make_product, with_image
):
    fill(make_product, with_image, 24)
    client.get("/products?page=1")
    with recorded_statements(app) as statements:
        client.get("/products?page=1")

    catalogue = [
        s for s in statements if any(w in s for w in ("product", "categ", "search"))
    ]
    assert catalogue == ["SELECT revision FROM search_catalog_stamp WHERE id = 1"]


STOREFRONT = [
    "/",
    "/products",
    "/products?page=2",
    "/products?sort=price_desc",
    "/products?category=savons",
    "/products?q=lavande",
    "/products/produit-1",
    "/products/nope",
    "/products?page=abc",
]


def test_storefront_gets_never_write_to_the_database(
    app, client, make_product, with_image
):
    fill(make_product, with_image, 30)
    writes = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
    with recorded_statements(app) as statements:
        for path in STOREFRONT * 2:
            client.get(path)

    assert [s for s in statements if s.lstrip().upper().startswith(writes)] == []


@pytest.mark.parametrize("app_config", [{"CATALOG_STAMP_SECONDS": 0.3}])
def test_with_a_stamp_interval_own_changes_show_at_once_and_others_soon(
    app, client, make_product
):
    """Given a process that reads the stamp at most every 0.3 s, its own commits
    show at once, and another process's change within the interval."""
    import time

    from sqlalchemy import text, update

    from eshop.catalog.models import Product

    product = make_product(slug="bougie", price_cents=2200)
    assert "22,00" in client.get("/products/bougie").get_data(as_text=True)

    product.price_cents = 1990  # this process, through the ORM
    _db.session.commit()
    assert "19,90" in client.get("/products/bougie").get_data(as_text=True)

    _db.session.execute(update(Product).values(stock=Product.stock - 17))  # bulk
    _db.session.commit()
    assert "Plus que 3" in client.get("/products/bougie").get_data(as_text=True)

    with _db.engine.begin() as other_process:
        other_process.execute(text("UPDATE product SET price_cents = 1500"))
    _db.session.rollback()  # as at the end of a request: no old snapshot kept
    time.sleep(0.35)
    assert "15,00" in client.get("/products/bougie").get_data(as_text=True)
