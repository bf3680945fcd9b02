"""consent decision log and the policy versions it refers to

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('consent_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('policy_version', sa.String(length=64), nullable=False),
    sa.Column('registry_hash', sa.String(length=64), nullable=False),
    sa.Column('text_version', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('audience', sa.Boolean(), nullable=False),
    sa.Column('advertising', sa.Boolean(), nullable=False),
    sa.Column('sharing', sa.Boolean(), nullable=False),
    sa.Column('gpc', sa.Boolean(), nullable=False),
    sa.CheckConstraint("source IN ('banner', 'preferences', 'embed')", name=op.f('ck_consent_decision_source_known')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_decision'))
    )
    with op.batch_alter_table('consent_decision', schema=None) as batch_op:
        batch_op.create_index('ix_consent_decision_decided_at', ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consent_decision_consent_id'), ['consent_id'], unique=False)

    op.create_table('consent_policy',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('registry_hash', sa.String(length=64), nullable=False),
    sa.Column('text_version', sa.String(length=40), nullable=False),
    sa.Column('cookies', sa.JSON(), nullable=False),
    sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_consent_policy'))
    )


def downgrade():
    op.drop_table('consent_policy')
    with op.batch_alter_table('consent_decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consent_decision_consent_id'))
        batch_op.drop_index('ix_consent_decision_decided_at')

    op.drop_table('consent_decision')
