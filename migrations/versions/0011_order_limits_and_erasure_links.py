"""Orders and privacy requests: expiry of unconfirmed cash-on-delivery orders, erasure links used once (issue 12)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The owner's confirmation of a cash-on-delivery order: unconfirmed, it expires.
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )
    # Cash-on-delivery orders placed before this revision never expired: the owner
    # had taken them on. They count as confirmed when placed, so that the first
    # `orders expire` after the upgrade does not cancel them and mail their buyers.
    op.execute(
        "UPDATE customer_order SET confirmed_at = created_at"
        " WHERE status = 'pending_payment' AND payment_method = 'cash_on_delivery'"
    )
    # The access link behind an erasure, so that a link erases once.
    with op.batch_alter_table("privacy_erasure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_privacy_erasure_link_digest"), ["link_digest"]
        )


def downgrade() -> None:
    with op.batch_alter_table("privacy_erasure", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_privacy_erasure_link_digest"), type_="unique"
        )
        batch_op.drop_column("link_digest")
    with op.batch_alter_table("customer_order", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
