"""The retention purge: what the shop promised to forget, forgotten on time.

``purge(now)`` runs every rule once and reports what it changed; run it again and it
changes nothing. The rules of other packages (newsletter, consent log, outbox) are
their own functions, which they register at app set-up
(``eshop.personal_data.register_purge``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Table
from sqlalchemy.orm import Session

from eshop.extensions import db
from eshop.personal_data import registered_purges

from . import datamap
from .models import AudienceEvent
from .subject_rights import ACCOUNTING_RETENTION, anonymize_rows

DEFAULT_ORDER_RETENTION_YEARS = 10  # French commercial code: 10 years of records
AUDIENCE_RETENTION_MONTHS = 25  # CNIL: audience data kept at most 25 months
DATE_COLUMNS = ("placed_at", "created_at")


@dataclass(frozen=True)
class PurgeStep:
    """One rule of the purge and how many rows it changed (or would change)."""

    rule: str
    rows: int


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the
    month's last day: 31 March minus one month is 28 or 29 February)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month)


def order_cutoff(now: datetime) -> datetime:
    years = int(
        current_app.config.get("ORDER_RETENTION_YEARS", DEFAULT_ORDER_RETENTION_YEARS)
    )
    return months_before(now, 12 * years)


def audience_cutoff(now: datetime) -> datetime:
    return months_before(now, AUDIENCE_RETENTION_MONTHS)


def _date_column(table: Table) -> Any:
    for name in DATE_COLUMNS:
        if name in table.columns:
            return table.columns[name]
    return None


def anonymize_old_orders(now: datetime) -> int:
    """Blank the personal fields of orders older than the accounting retention;
    amounts, lines and dates stay."""
    cutoff = order_cutoff(now)
    changed = 0
    for table in datamap.tables():
        if ACCOUNTING_RETENTION not in datamap.retentions_of(table):
            continue
        date_column = _date_column(table)
        if date_column is not None:
            changed += anonymize_rows(table, date_column < cutoff)
            continue
        for foreign_key in table.foreign_keys:
            parent = foreign_key.column.table
            parent_date = _date_column(parent)
            if parent_date is not None:
                old_parents = db.select(foreign_key.column).where(parent_date < cutoff)
                changed += anonymize_rows(table, foreign_key.parent.in_(old_parents))
                break
    return changed


def delete_old_audience_events(now: datetime) -> int:
    result = db.session.execute(
        db.delete(AudienceEvent).where(AudienceEvent.occurred_at < audience_cutoff(now))
    )
    return result.rowcount or 0


@contextmanager
def _rolled_back_session() -> Iterator[None]:
    """Run the purge in a transaction that is rolled back at the end, even if the
    rules commit (their commits become savepoints): the dry run."""
    connection = db.engine.connect()
    outer = connection.begin()
    if connection.dialect.name == "sqlite":
        # pysqlite only opens a transaction before a write, so the rules' first
        # SAVEPOINT would be outermost and its RELEASE would commit: open it now.
        connection.exec_driver_sql("BEGIN")
    # A plain Session: Flask-SQLAlchemy's own would pick the engine, not this bind.
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    db.session.remove()
    db.session.registry.set(session)
    try:
        yield
    finally:
        session.close()
        outer.rollback()
        connection.close()
        db.session.registry.clear()


def _run(now: datetime) -> list[PurgeStep]:
    steps = [
        PurgeStep(
            f"orders older than {order_cutoff(now).date().isoformat()}: personal "
            "fields anonymized",
            anonymize_old_orders(now),
        ),
        PurgeStep(
            f"audience events older than {AUDIENCE_RETENTION_MONTHS} months deleted",
            delete_old_audience_events(now),
        ),
    ]
    db.session.commit()
    for registered in registered_purges(current_app):
        steps.append(PurgeStep(registered.rule, registered.forget(now)))
        db.session.commit()
    return steps


def purge(now: datetime, *, dry_run: bool = False) -> list[PurgeStep]:
    """Apply every retention rule as of ``now``; with ``dry_run``, change nothing and
    report what would have changed."""
    if not dry_run:
        return _run(now)
    with _rolled_back_session():
        return _run(now)
