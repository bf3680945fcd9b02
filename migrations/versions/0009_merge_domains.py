"""Join the domain branches (consent, orders, newsletter, admin, privacy, catalogue
search, outbox) into one head, so ``flask db upgrade`` needs no argument.

Revision ID: 0009
Revises: 0002, 0003, 0004, 0005, 0006, 0007, 0008
Create Date: 2026-11-26
"""

revision = "0009"
down_revision = ("0002", "0003", "0004", "0005", "0006", "0007", "0008")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
