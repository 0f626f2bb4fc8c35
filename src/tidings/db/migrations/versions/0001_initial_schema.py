"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa
import tidings.db.types
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=2), server_default='us', nullable=False),
    sa.Column('created_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    op.create_table('activities',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('cio_id', sa.String(length=32), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('timestamp', tidings.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_person', ['workspace_id', 'cio_id', 'timestamp'], unique=False)

    op.create_table('anonymous_merges',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('anonymous_id', sa.String(length=150), nullable=False),
    sa.Column('cio_id', sa.String(length=32), nullable=False),
    sa.Column('merged_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'anonymous_id', name=op.f('pk_anonymous_merges'))
    )
    op.create_table('devices',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('cio_id', sa.String(length=32), nullable=False),
    sa.Column('token', sa.String(length=500), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('last_used', tidings.db.types.UtcDateTime(), nullable=False),
    sa.Column('last_status', sa.String(length=20), server_default='', nullable=False),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'cio_id', 'token', name=op.f('pk_devices'))
    )
    op.create_table('events',
    sa.Column('pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('cio_id', sa.String(length=32), nullable=True),
    sa.Column('anonymous_id', sa.String(length=150), nullable=True),
    sa.Column('event_id', sa.String(length=150), nullable=False),
    sa.Column('type', sa.String(length=10), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('timestamp', tidings.db.types.UtcDateTime(), nullable=False),
    sa.Column('received_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.Column('processed_at', tidings.db.types.UtcDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_events')),
    sa.UniqueConstraint('workspace_id', 'event_id', name=op.f('uq_events_workspace_id_event_id'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_anonymous', ['workspace_id', 'anonymous_id'], unique=False)
        batch_op.create_index('ix_events_person', ['workspace_id', 'cio_id', 'timestamp'], unique=False)

    op.create_table('log_cursors',
    sa.Column('partition', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('partition', name=op.f('pk_log_cursors'))
    )
    op.create_table('message_log',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('received_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_message_log'))
    )
    with op.batch_alter_table('message_log', schema=None) as batch_op:
        batch_op.create_index('ix_message_log_partition_seq', ['partition', 'seq'], unique=False)

    op.create_table('people',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('cio_id', sa.String(length=32), nullable=False),
    sa.Column('id', sa.String(length=150), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('email_key', sa.String(length=320), nullable=True),
    sa.Column('attributes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('attribute_timestamps', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.Column('updated_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'cio_id', name=op.f('pk_people')),
    sa.UniqueConstraint('workspace_id', 'id', name=op.f('uq_people_workspace_id_id'))
    )
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_workspace_id_email_key', ['workspace_id', 'email_key'], unique=False)

    op.create_table('suppressions',
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('identifier_type', sa.String(length=10), nullable=False),
    sa.Column('value', sa.String(length=320), nullable=False),
    sa.Column('cio_id', sa.String(length=32), nullable=False),
    sa.Column('suppressed_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('workspace_id', 'identifier_type', 'value', name=op.f('pk_suppressions'))
    )
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.create_index('ix_suppressions_cio_id', ['workspace_id', 'cio_id'], unique=False)

    op.create_table('workspaces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('identifier_mode', sa.String(length=20), server_default='email_or_id', nullable=False),
    sa.Column('email_update_policy', sa.String(length=20), server_default='cio_id_or_id', nullable=False),
    sa.Column('anonymous_merge', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('multi_identifier_merge', sa.Boolean(), server_default='1', nullable=False),
    sa.Column('limits', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='{}', nullable=False),
    sa.Column('created_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_workspaces_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workspaces'))
    )
    op.create_table('app_api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_app_api_keys_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_app_api_keys_key_hash'))
    )
    with op.batch_alter_table('app_api_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_api_keys_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('write_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sources_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('write_key', name=op.f('uq_sources_write_key'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sources_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('track_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('site_id', sa.String(length=64), nullable=False),
    sa.Column('api_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', tidings.db.types.UtcDateTime(), nullable=False),
    sa.Column('last_used_at', tidings.db.types.UtcDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_track_credentials_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_track_credentials')),
    sa.UniqueConstraint('site_id', name=op.f('uq_track_credentials_site_id'))
    )
    with op.batch_alter_table('track_credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_track_credentials_workspace_id'), ['workspace_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('track_credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_track_credentials_workspace_id'))

    op.drop_table('track_credentials')
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_workspace_id'))

    op.drop_table('sources')
    with op.batch_alter_table('app_api_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_api_keys_workspace_id'))

    op.drop_table('app_api_keys')
    op.drop_table('workspaces')
    with op.batch_alter_table('suppressions', schema=None) as batch_op:
        batch_op.drop_index('ix_suppressions_cio_id')

    op.drop_table('suppressions')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_workspace_id_email_key')

    op.drop_table('people')
    with op.batch_alter_table('message_log', schema=None) as batch_op:
        batch_op.drop_index('ix_message_log_partition_seq')

    op.drop_table('message_log')
    op.drop_table('log_cursors')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_person')
        batch_op.drop_index('ix_events_anonymous')

    op.drop_table('events')
    op.drop_table('devices')
    op.drop_table('anonymous_merges')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_person')

    op.drop_table('activities')
    op.drop_table('accounts')
