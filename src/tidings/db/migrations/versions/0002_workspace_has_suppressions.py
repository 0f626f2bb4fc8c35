"""workspaces.has_suppressions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(sa.Column("has_suppressions", sa.Boolean(), server_default="0", nullable=False))
    op.execute(
        "UPDATE workspaces SET has_suppressions = "
        "EXISTS (SELECT 1 FROM suppressions WHERE suppressions.workspace_id = workspaces.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("has_suppressions")
