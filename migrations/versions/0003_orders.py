"""orders: customer orders, their lines and the yearly order number counter

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('customer_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('public_id', sa.String(length=43), nullable=False),
    sa.Column('checkout_token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payment_method', sa.String(length=30), nullable=False),
    sa.Column('shipping_method', sa.String(length=30), nullable=False),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.Column('subtotal_cents', sa.Integer(), nullable=False),
    sa.Column('shipping_cents', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('postal_code', sa.String(length=12), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('tracking_number', sa.String(length=60), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending_payment', 'paid', 'shipped', 'delivered', 'cancelled')", name=op.f('ck_customer_order_status')),
    sa.CheckConstraint('subtotal_cents >= 0', name=op.f('ck_customer_order_subtotal_not_negative')),
    sa.CheckConstraint('shipping_cents >= 0', name=op.f('ck_customer_order_shipping_not_negative')),
    sa.CheckConstraint('total_cents = subtotal_cents + shipping_cents', name=op.f('ck_customer_order_total')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_order')),
    sa.UniqueConstraint('number', name=op.f('uq_customer_order_number')),
    sa.UniqueConstraint('public_id', name=op.f('uq_customer_order_public_id')),
    sa.UniqueConstraint('checkout_token', name=op.f('uq_customer_order_checkout_token'))
    )
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.create_index('ix_customer_order_status_created', ['status', 'created_at'], unique=False)

    op.create_table('order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('product_name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('vat_rate_bp', sa.Integer(), nullable=False),
    sa.Column('net_cents', sa.Integer(), nullable=False),
    sa.Column('tax_cents', sa.Integer(), nullable=False),
    sa.Column('gross_cents', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity >= 1 AND quantity <= 99', name=op.f('ck_order_line_quantity')),
    sa.CheckConstraint('unit_price_cents >= 0', name=op.f('ck_order_line_unit_price_not_negative')),
    sa.CheckConstraint('net_cents + tax_cents = gross_cents', name=op.f('ck_order_line_split')),
    sa.ForeignKeyConstraint(['order_id'], ['customer_order.id'], name=op.f('fk_order_line_order_id_customer_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_order_line_product_id_product'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line'))
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_line_product_id'), ['product_id'], unique=False)

    op.create_table('order_number_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_order_number_counter'))
    )


def downgrade():
    op.drop_table('order_number_counter')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_product_id'))
        batch_op.drop_index(batch_op.f('ix_order_line_order_id'))

    op.drop_table('order_line')
    with op.batch_alter_table('customer_order', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_order_status_created')

    op.drop_table('customer_order')
