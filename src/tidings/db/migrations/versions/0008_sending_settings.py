"""workspace sending settings and link keys; the email suppression list

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import secrets

import sqlalchemy as sa
from alembic import op

import tidings.db.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("workspaces", sa.Column("link_key", sa.String(length=64), nullable=True))
    op.add_column("workspaces", sa.Column("send_mode", sa.String(length=10), server_default="normal", nullable=False))
    op.add_column("workspaces", sa.Column("test_address", sa.String(length=320), nullable=True))
    op.add_column("workspaces", sa.Column("is_open_tracking", sa.Boolean(), server_default="1", nullable=False))
    connection = op.get_bind()
    for (workspace_id,) in connection.execute(sa.text("SELECT id FROM workspaces")).all():
        connection.execute(
            sa.text("UPDATE workspaces SET link_key = :key WHERE id = :id"),
            {"key": secrets.token_hex(32), "id": workspace_id},
        )
    op.create_table(
        "email_suppressions",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("email_key", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "email_key", name=op.f("pk_email_suppressions")),
    )


def downgrade() -> None:
    op.drop_table("email_suppressions")
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("is_open_tracking")
        batch.drop_column("test_address")
        batch.drop_column("send_mode")
        batch.drop_column("link_key")
