"""The data map: every personal column of the schema, read from its declaration.

Columns declare themselves with ``eshop.personal_data.personal(...)`` in their
SQLAlchemy ``info``. The privacy page, the export, the erasure and the purge all walk
this map, so a column added tomorrow is covered the day it is declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Column, Table

from eshop.extensions import db

# Words that, as a part of a column name, suggest it holds personal data.
PERSONAL_WORDS = frozenset(
    {
        "email",
        "address",
        "street",
        "city",
        "postal",
        "postcode",
        "zip",
        "phone",
        "mobile",
        "ip",
        "recipient",
        "firstname",
        "lastname",
        "surname",
        "birthdate",
        "birthday",
    }
)
# Prefixes that make "<prefix>_name" a person's name.
PERSON_NAME_PREFIXES = frozenset(
    {
        "first",
        "last",
        "full",
        "given",
        "family",
        "customer",
        "contact",
        "recipient",
        "billing",
        "shipping",
        "delivery",
        "buyer",
        "subscriber",
        "owner",
    }
)
EMAIL_COLUMN = re.compile(r"(^|_)(email|recipient)($|_)")


@dataclass(frozen=True)
class PersonalField:
    """One declared personal column: where it is, why it is kept and for how long."""

    table: str
    column: str
    purpose: str
    retention: str
    description: str

    @property
    def key(self) -> str:
        return f"{self.table}.{self.column}"


def tables() -> list[Table]:
    """Every table of the models, in dependency order."""
    return list(db.metadata.sorted_tables)


def is_declared_personal(column: Column) -> bool:
    return column.info.get("personal") is True


def is_declared_exempt(column: Column) -> bool:
    return column.info.get("personal") is False and bool(column.info.get("why"))


def looks_personal(column_name: str) -> bool:
    """True when a column's name suggests personal data (``email``, ``city``,
    ``first_name``, ``shipping_name``, ``ip_address``, ``name``...)."""
    words = column_name.lower().split("_")
    if column_name.lower() == "name":
        return True
    if any(word in PERSONAL_WORDS for word in words):
        return True
    return len(words) >= 2 and words[-1] == "name" and words[-2] in PERSON_NAME_PREFIXES


def undeclared_personal_columns() -> list[str]:
    """Columns whose names look personal but which declare neither ``personal(...)``
    nor an explicit exemption with a reason."""
    return [
        f"{table.name}.{column.name}"
        for table in tables()
        for column in table.columns
        if looks_personal(column.name)
        and not is_declared_personal(column)
        and not is_declared_exempt(column)
    ]


def personal_fields() -> list[PersonalField]:
    """The data map: every declared personal column, table by table."""
    return [
        PersonalField(
            table=table.name,
            column=column.name,
            purpose=column.info["purpose"],
            retention=column.info["retention"],
            description=column.info.get("description", ""),
        )
        for table in tables()
        for column in table.columns
        if is_declared_personal(column)
    ]


def personal_columns(table: Table) -> list[Column]:
    return [column for column in table.columns if is_declared_personal(column)]


def email_column(table: Table) -> Column | None:
    """The personal column that identifies a person by email in this table, if any."""
    for column in personal_columns(table):
        if EMAIL_COLUMN.search(column.name.lower()):
            return column
    return None


def purpose_of(table: Table) -> str | None:
    """The purpose the table's personal columns serve (the first one declared)."""
    columns = personal_columns(table)
    return columns[0].info["purpose"] if columns else None


def retentions_of(table: Table) -> set[str]:
    return {column.info["retention"] for column in personal_columns(table)}
