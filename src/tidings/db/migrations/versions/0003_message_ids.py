"""message_ids: Pipelines messageId dedupe

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import tidings.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_ids",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "message_id", name=op.f("pk_message_ids")),
    )


def downgrade() -> None:
    op.drop_table("message_ids")
