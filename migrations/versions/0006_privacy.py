"""privacy: audience events and erasure log

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audience_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('results_count', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('page', 'search', 'product', 'purchase')", name=op.f('ck_audience_event_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audience_event'))
    )
    with op.batch_alter_table('audience_event', schema=None) as batch_op:
        batch_op.create_index('ix_audience_event_kind_occurred_at', ['kind', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audience_event_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audience_event_product_id'), ['product_id'], unique=False)

    op.create_table('privacy_erasure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows_anonymized', sa.Integer(), nullable=False),
    sa.Column('rows_deleted', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_erasure'))
    )


def downgrade():
    op.drop_table('privacy_erasure')
    with op.batch_alter_table('audience_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audience_event_product_id'))
        batch_op.drop_index(batch_op.f('ix_audience_event_occurred_at'))
        batch_op.drop_index('ix_audience_event_kind_occurred_at')
    op.drop_table('audience_event')
