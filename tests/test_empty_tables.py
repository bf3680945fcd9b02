"""The suite's clean-up between tests: every table empty, every id counted afresh.

Each test relies on it (the ``app`` fixture calls ``empty_all_tables`` after the
test); on PostgreSQL it deletes only from tables holding rows and restarts only the
sequences used, so this checks it misses none.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select, text

from eshop.catalog.models import Product
from eshop.extensions import db as _db
from tests.cart.catalogue import add_product
from tests.conftest import empty_all_tables, is_postgres
from tests.orders.checkout import open_checkout, submit


def test_every_table_is_emptied_and_ids_start_again(app: Flask, runner) -> None:
    with app.app_context():
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
    product_id = add_product(app, stock=5)
    client = app.test_client()
    form = open_checkout(app, client, f"{product_id}.1.1250")
    assert submit(client, form, email="ida@example.org").status_code == 303

    with app.app_context():
        filled = [
            table.name
            for table in _db.metadata.sorted_tables
            if _db.session.execute(select(func.count()).select_from(table)).scalar()
        ]
        assert {"product", "customer_order", "order_line"} <= set(filled)
        _db.session.remove()
        empty_all_tables()

        left = {
            table.name: count
            for table in _db.metadata.sorted_tables
            if (
                count := _db.session.execute(
                    select(func.count()).select_from(table)
                ).scalar()
            )
        }
        assert left == {}
        if is_postgres(app):
            search_rows = _db.session.execute(
                text("SELECT count(*) FROM search_product")
            ).scalar()
            assert search_rows == 0
        _db.session.remove()
    assert add_product(app, stock=1) == 1
    with app.app_context():
        assert _db.session.execute(select(Product.id)).scalars().all() == [1]
