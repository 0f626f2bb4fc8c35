"""deliveries found by id alone (tracking links and unsubscribe pages name no workspace)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deliveries_id", "deliveries", ["id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_id", table_name="deliveries")
