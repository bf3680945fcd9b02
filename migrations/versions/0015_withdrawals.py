"""The right of withdrawal: requests and products excluded from it (issue 14)

Delivery dates already had their column (customer_order.delivered_at).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch rebuilds the table, which
    # drops the search triggers migration 0007 put on it.
    op.add_column(
        "product",
        sa.Column(
            "excluded_from_withdrawal",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
        ),
    )
    op.create_table(
        "withdrawal_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("includes_shipping", sa.Boolean(), nullable=False),
        sa.Column("refund_cap_cents", sa.Integer(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund_cents", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('withdrawal', 'cancellation')",
            name=op.f("ck_withdrawal_request_kind"),
        ),
        sa.CheckConstraint(
            "refund_cap_cents >= 0",
            name=op.f("ck_withdrawal_request_cap_not_negative"),
        ),
        sa.CheckConstraint(
            "refund_cents IS NULL OR (refund_cents >= 0 "
            "AND refund_cents <= refund_cap_cents)",
            name=op.f("ck_withdrawal_request_refund_within_cap"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["customer_order.id"],
            name=op.f("fk_withdrawal_request_order_id_customer_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_request")),
    )
    with op.batch_alter_table("withdrawal_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_withdrawal_request_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_withdrawal_request_declared_at"),
            ["declared_at"],
            unique=False,
        )
    op.create_table(
        "withdrawal_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_withdrawal_line_quantity")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["withdrawal_request.id"],
            name=op.f("fk_withdrawal_line_request_id_withdrawal_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_line.id"],
            name=op.f("fk_withdrawal_line_order_line_id_order_line"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_withdrawal_line")),
    )
    with op.batch_alter_table("withdrawal_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_withdrawal_line_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_withdrawal_line_order_line_id"),
            ["order_line_id"],
            unique=False,
        )


def downgrade() -> None:
    op.drop_table("withdrawal_line")
    op.drop_table("withdrawal_request")
    # SQLite 3.35+ and PostgreSQL drop a column in place (the triggers stay).
    op.execute("ALTER TABLE product DROP COLUMN excluded_from_withdrawal")
