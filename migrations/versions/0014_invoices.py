"""Invoices: a gap-free number per year, taken when an order becomes paid (issue 14)

Orders already paid before this revision keep no invoice number: numbering starts
with the first payment recorded after it (an invoice is never given a number after
the fact out of order).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_number_counter",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_invoice_number_counter")),
    )
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invoice_number", sa.String(length=20), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_customer_order_invoice_number"), ["invoice_number"]
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_customer_order_invoice_number"), type_="unique"
        )
        batch_op.drop_column("invoice_number")
    op.drop_table("invoice_number_counter")
