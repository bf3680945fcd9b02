"""The member area: members, their saved addresses, sign-in links (issue 16)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_stamp", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member")),
        sa.UniqueConstraint("email", name=op.f("uq_member_email")),
    )
    op.create_index(
        op.f("ix_member_last_sign_in_at"), "member", ["last_sign_in_at"], unique=False
    )
    op.create_table(
        "member_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=120), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=12), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "slot >= 1 AND slot <= 3", name=op.f("ck_member_address_slot")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_member_address_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_address")),
        sa.UniqueConstraint(
            "member_id", "slot", name=op.f("uq_member_address_member_id")
        ),
    )
    op.create_index(
        op.f("ix_member_address_member_id"),
        "member_address",
        ["member_id"],
        unique=False,
    )
    op.create_table(
        "member_sign_in_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_sign_in_link")),
        sa.UniqueConstraint(
            "token_digest", name=op.f("uq_member_sign_in_link_token_digest")
        ),
    )
    op.create_index(
        op.f("ix_member_sign_in_link_expires_at"),
        "member_sign_in_link",
        ["expires_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("member_sign_in_link")
    op.drop_table("member_address")
    op.drop_table("member")
