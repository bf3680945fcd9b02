"""newsletter: subscribers, campaigns, deliveries

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsletter_subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('first_name', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('wording_version', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_confirmation_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'unsubscribed')", name=op.f('ck_newsletter_subscriber_status')),
    sa.CheckConstraint("source IN ('footer', 'page', 'checkout')", name=op.f('ck_newsletter_subscriber_source')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_subscriber')),
    sa.UniqueConstraint('email', name=op.f('uq_newsletter_subscriber_email'))
    )
    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.create_index('ix_newsletter_subscriber_status_id', ['status', 'id'], unique=False)

    op.create_table('newsletter_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('recipients_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sending_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'sending', 'sent')", name=op.f('ck_newsletter_campaign_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_campaign'))
    )
    op.create_table('newsletter_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('subscriber_id', sa.Integer(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('queued', 'cancelled')", name=op.f('ck_newsletter_delivery_status')),
    sa.ForeignKeyConstraint(['campaign_id'], ['newsletter_campaign.id'], name=op.f('fk_newsletter_delivery_campaign_id_newsletter_campaign'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_message.id'], name=op.f('fk_newsletter_delivery_outbox_message_id_outbox_message'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['subscriber_id'], ['newsletter_subscriber.id'], name=op.f('fk_newsletter_delivery_subscriber_id_newsletter_subscriber'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_delivery')),
    sa.UniqueConstraint('campaign_id', 'subscriber_id', name=op.f('uq_newsletter_delivery_campaign_id'))
    )
    with op.batch_alter_table('newsletter_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_delivery_outbox_message_id'), ['outbox_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_newsletter_delivery_subscriber_id'), ['subscriber_id'], unique=False)


def downgrade():
    with op.batch_alter_table('newsletter_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_delivery_subscriber_id'))
        batch_op.drop_index(batch_op.f('ix_newsletter_delivery_outbox_message_id'))

    op.drop_table('newsletter_delivery')
    op.drop_table('newsletter_campaign')
    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.drop_index('ix_newsletter_subscriber_status_id')

    op.drop_table('newsletter_subscriber')
