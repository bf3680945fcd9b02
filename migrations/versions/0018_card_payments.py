"""Card payment through Stripe: payment attempts, refunds, handled webhook events (issue 17)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stripe_event',
    sa.Column('id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_event'))
    )
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_event_received_at'), ['received_at'], unique=False)

    op.create_table('card_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('intent_id', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'confirmed', 'succeeded', 'failed', 'canceled', 'return_due', 'returned')", name=op.f('ck_card_payment_status')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_card_payment_amount_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_card_payment_order_id_customer_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_payment')),
    sa.UniqueConstraint('intent_id', name=op.f('uq_card_payment_intent_id')),
    sa.UniqueConstraint('order_id', 'attempt', name='uq_card_payment_attempt')
    )
    with op.batch_alter_table('card_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_payment_order_id'), ['order_id'], unique=False)

    op.create_table('card_refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('card_payment_id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.String(length=255), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('withdrawal_request_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_card_refund_amount_positive')),
    sa.ForeignKeyConstraint(['card_payment_id'], ['card_payment.id'], name=op.f('fk_card_refund_card_payment_id_card_payment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_card_refund_order_id_customer_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['withdrawal_request_id'], ['withdrawal_request.id'], name=op.f('fk_card_refund_withdrawal_request_id_withdrawal_request'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_card_refund')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_card_refund_refund_id')),
    sa.UniqueConstraint('token', name=op.f('uq_card_refund_token'))
    )
    with op.batch_alter_table('card_refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_card_refund_card_payment_id'), ['card_payment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_card_refund_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('card_refund', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_refund_order_id'))
        batch_op.drop_index(batch_op.f('ix_card_refund_card_payment_id'))

    op.drop_table('card_refund')
    with op.batch_alter_table('card_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_card_payment_order_id'))

    op.drop_table('card_payment')
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_event_received_at'))

    op.drop_table('stripe_event')
