"""segment_rechecks: when time alone can change a person's membership

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import tidings.db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_rechecks",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("cio_id", sa.String(length=32), nullable=False),
        sa.Column("due_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "segment_id", "cio_id", name=op.f("pk_segment_rechecks")),
    )
    op.create_index("ix_segment_rechecks_due", "segment_rechecks", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_segment_rechecks_due", table_name="segment_rechecks")
    op.drop_table("segment_rechecks")
