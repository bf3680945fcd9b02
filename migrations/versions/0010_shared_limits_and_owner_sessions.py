"""Shared attempt counters and the owner's session stamp (hardening, issue 12)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

``rate_limit_counter`` holds the ``database://`` rate-limit storage's fixed-window
counters (login locks and view limits shared by every process). ``owner``'s
``session_stamp`` is carried in each back-office session: a new stamp ends every
session opened before. Each existing owner gets a fresh random stamp: sessions opened
before the upgrade (which carry none) end, and the next login works as usual.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counter",
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key_digest", name=op.f("pk_rate_limit_counter")),
    )
    op.create_index(
        op.f("ix_rate_limit_counter_expires_ms"),
        "rate_limit_counter",
        ["expires_ms"],
        unique=False,
    )
    with op.batch_alter_table("owner") as batch:
        batch.add_column(
            sa.Column(
                "session_stamp", sa.String(length=32), nullable=False, server_default=""
            )
        )
    owner = sa.table("owner", sa.column("id", sa.Integer), sa.column("session_stamp"))
    connection = op.get_bind()
    for (owner_id,) in connection.execute(sa.select(owner.c.id)).all():
        connection.execute(
            owner.update()
            .where(owner.c.id == owner_id)
            .values(session_stamp=secrets.token_hex(16))
        )
    with op.batch_alter_table("owner") as batch:
        batch.alter_column("session_stamp", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("owner") as batch:
        batch.drop_column("session_stamp")
    op.drop_index(
        op.f("ix_rate_limit_counter_expires_ms"), table_name="rate_limit_counter"
    )
    op.drop_table("rate_limit_counter")
