"""One spelling per email address: existing rows normalised (issue 12)

Orders kept addresses as typed (``Jean@EXÄMPLE.com``), the newsletter in punycode
(``jean@xn--exmple-cua.com``); from now on every address is stored in the spelling
of ``eshop.emails.normalise_email``. This revision brings the rows already written
to it: orders, newsletter subscribers, the outbox's recipients, owners' logins.

Two subscriber rows may turn out to be one person (one address, two spellings):
the row kept is the one whose decision is the latest proof of the person's wish,
see ``stronger_subscriber``; its lost twin's deliveries move to it. Two owner rows
that collide (never seen in practice) keep the older one's spelling changed and
the other as it was, which no login then reaches: no account is deleted here.

Text that is no valid address (an anonymised order, say) is left as it is.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from eshop.emails import normalise_email_or_none

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Tables whose email column is simply rewritten (no unique constraint on it).
PLAIN_COLUMNS = (("customer_order", "email"), ("outbox_message", "recipient"))
STATUS_RANK = {"confirmed": 2, "unsubscribed": 2, "pending": 0}


def upgrade() -> None:
    normalise_existing_emails(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: every spelling before this revision still reaches the same
    mailbox, and the older code matched addresses without case."""


def normalise_existing_emails(connection: sa.Connection) -> None:
    """Rewrite every stored address in the one spelling, merging subscriber twins."""
    for table, column in PLAIN_COLUMNS:
        _rewrite_column(connection, table, column)
    _merge_subscribers(connection)
    _rewrite_owners(connection)


def _changes(rows: Iterable[Any]) -> list[dict[str, Any]]:
    changes = []
    for row_id, address in rows:
        canonical = normalise_email_or_none(address or "")
        if canonical is not None and canonical != address:
            changes.append({"row_id": row_id, "address": canonical})
    return changes


def _rewrite_column(connection: sa.Connection, table: str, column: str) -> None:
    rows = connection.execute(sa.text(f"SELECT id, {column} FROM {table}"))
    changes = _changes(rows.all())
    if changes:
        connection.execute(
            sa.text(f"UPDATE {table} SET {column} = :address WHERE id = :row_id"),
            changes,
        )


def _decided_at(row: dict[str, Any]) -> tuple[bool, datetime | str]:
    """When the row's state was decided, unknown first (SQLite hands back text, in
    ISO order, PostgreSQL datetimes: never both for one database)."""
    moment = (
        row["unsubscribed_at"]
        if row["status"] == "unsubscribed"
        else row["confirmed_at"] or row["created_at"]
    )
    return (moment is not None, moment or "")


def stronger_subscriber(
    first: dict[str, Any], second: dict[str, Any]
) -> dict[str, Any]:
    """Of two rows for one person, the one to keep.

    A decision (confirmed, unsubscribed) beats a pending signup, which proves
    nothing. Between two decisions, the latest wins: a person who confirmed, then
    left through the other spelling's link must not receive the newsletter again,
    and one who left, then confirmed anew opted in again. Ties keep the older row.
    """

    def strength(row: dict[str, Any]) -> tuple[int, Any, int]:
        return (STATUS_RANK.get(row["status"], 0), _decided_at(row), -row["id"])

    return first if strength(first) >= strength(second) else second


def _merge_subscribers(connection: sa.Connection) -> None:
    rows = connection.execute(
        sa.text(
            "SELECT id, email, status, first_name, created_at, confirmed_at, "
            "unsubscribed_at FROM newsletter_subscriber ORDER BY id"
        )
    ).mappings()
    kept: dict[str, dict[str, Any]] = {}
    dropped: list[tuple[int, str]] = []  # (dropped id, its address's canonical form)
    for row in rows.all():
        row = dict(row)
        canonical = normalise_email_or_none(row["email"] or "") or row["email"]
        row["canonical"] = canonical
        other = kept.get(canonical)
        if other is None:
            kept[canonical] = row
            continue
        winner = stronger_subscriber(other, row)
        loser = row if winner is other else other
        winner["first_name"] = winner["first_name"] or loser["first_name"]
        winner["merged"] = True
        kept[canonical] = winner
        dropped.append((loser["id"], canonical))
    for loser_id, canonical in dropped:  # first, so the spelling is free to take
        _drop_subscriber(connection, loser_id, kept[canonical]["id"])
    for row in kept.values():
        if row["canonical"] != row["email"] or row.get("merged"):
            connection.execute(
                sa.text(
                    "UPDATE newsletter_subscriber SET email = :email, "
                    "first_name = :first_name WHERE id = :row_id"
                ),
                {
                    "email": row["canonical"],
                    "first_name": row["first_name"],
                    "row_id": row["id"],
                },
            )


def _drop_subscriber(connection: sa.Connection, loser_id: int, winner_id: int) -> None:
    """Move the loser's deliveries (those of campaigns the winner did not get) to
    the winner, so the campaign history stays whole, then delete the loser."""
    parameters = {"loser": loser_id, "winner": winner_id}
    connection.execute(
        sa.text(
            "UPDATE newsletter_delivery SET subscriber_id = :winner "
            "WHERE subscriber_id = :loser AND campaign_id NOT IN ("
            "SELECT campaign_id FROM newsletter_delivery WHERE subscriber_id = :winner)"
        ),
        parameters,
    )
    connection.execute(
        sa.text("DELETE FROM newsletter_delivery WHERE subscriber_id = :loser"),
        parameters,
    )
    connection.execute(
        sa.text("DELETE FROM newsletter_subscriber WHERE id = :loser"), parameters
    )


def _rewrite_owners(connection: sa.Connection) -> None:
    rows = connection.execute(sa.text("SELECT id, email FROM owner ORDER BY id")).all()
    taken = {address for _, address in rows}
    for change in _changes(rows):
        if change["address"] in taken:
            continue  # another owner already has this spelling: leave this one
        connection.execute(
            sa.text("UPDATE owner SET email = :address WHERE id = :row_id"), change
        )
        taken.add(change["address"])
