"""The back office shows which version of the terms of sale an order accepted."""

from __future__ import annotations

import pytest

from eshop.extensions import db as _db
from eshop.orders.models import Order

from .test_orders import make_order


@pytest.mark.parametrize(
    ("lang", "words"), [("fr", "CGV acceptées"), ("en", "Terms of sale accepted")]
)
def test_the_order_page_shows_the_terms_version(admin, db, lang, words):
    order_id = make_order()
    _db.session.get(Order, order_id).terms_version = "0123456789ab"
    _db.session.commit()

    page = admin.client.get(f"/admin/orders/{order_id}?lang={lang}")

    assert page.status_code == 200
    assert words in page.text and "0123456789ab" in page.text


def test_an_order_from_before_versions_says_so(admin, db):
    page = admin.client.get(f"/admin/orders/{make_order()}?lang=en")
    assert "not recorded" in page.text
