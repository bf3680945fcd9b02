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


def test_a_kept_product_page_gives_each_visitor_their_own_form_token(app, make_product):
    """The product page is kept per language, but its add-to-cart form carries the
    visitor's own CSRF token (the test app context shares one between clients), and
    the form still adds to the cart."""
    import re

    make_product(slug="bougie", price_cents=2200, stock=8)
    token = re.compile(
        r'class="add-to-cart".*?name="csrf_token" value="([^"]+)"', re.DOTALL
    )
    first, second = app.test_client(), app.test_client()
    first_page = first.get("/products/bougie").get_data(as_text=True)
    second_page = second.get("/products/bougie?lang=en").get_data(as_text=True)
    first_token = token.search(first_page).group(1)
    footer_token = re.search(
        r'name="footer-csrf_token" type="hidden" value="([^"]+)"', first_page
    ).group(1)
    assert first_token == footer_token  # the visitor's own, as the rest of the page
    assert token.search(second_page)
    assert "\x00" not in first_page + second_page
    assert "Ajouter au panier" in first_page, first_page[
        first_page.index("add-to-cart") :
    ][:900]
    product_id = re.search(r'name="product_id" value="(\d+)"', first_page).group(1)
    added = first.post(
        "/cart/add",
        data={"csrf_token": first_token, "product_id": product_id, "quantity": "1"},
    )
    assert added.status_code in (302, 303)
