"""The data map: every column that looks personal declares why and how long."""

from __future__ import annotations

import pytest

from eshop.personal_data import PURPOSES
from eshop.privacy import datamap


def test_every_personal_looking_column_declares_itself(db):
    """A model that gains ``phone`` or ``customer_email`` without
    ``info=personal(...)`` (or an exemption with a reason) fails here."""
    assert datamap.undeclared_personal_columns() == []


def test_every_declaration_names_a_known_purpose_and_a_retention(db):
    for field in datamap.personal_fields():
        assert field.purpose in PURPOSES, field.key
        assert field.retention, field.key
        assert field.description, field.key


def test_the_map_covers_orders_newsletter_and_outbox(db):
    keys = {field.key for field in datamap.personal_fields()}
    assert {
        "customer_order.email",
        "customer_order.full_name",
        "customer_order.street",
        "customer_order.city",
        "customer_order.postal_code",
        "newsletter_subscriber.email",
        "outbox_message.recipient",
    } <= keys


@pytest.mark.parametrize(
    "name",
    [
        "email",
        "customer_email",
        "name",
        "first_name",
        "last_name",
        "full_name",
        "shipping_name",
        "street",
        "city",
        "postal_code",
        "zip",
        "phone",
        "ip",
        "ip_address",
        "billing_address_line1",
        "recipient",
    ],
)
def test_personal_looking_names_are_caught(name):
    assert datamap.looks_personal(name)


@pytest.mark.parametrize(
    "name",
    ["name_fr", "product_name", "shipping_method", "description_en", "slug", "zipped"],
)
def test_ordinary_names_are_not(name):
    assert not datamap.looks_personal(name)


def test_a_new_undeclared_column_is_caught(db):
    from sqlalchemy import Column, String, Table

    from eshop.extensions import db as _db

    table = Table(
        "scratch_contact",
        _db.metadata,
        Column("id", String(10), primary_key=True),
        Column("mobile_phone", String(30)),
    )
    try:
        assert "scratch_contact.mobile_phone" in datamap.undeclared_personal_columns()
    finally:
        _db.metadata.remove(table)
