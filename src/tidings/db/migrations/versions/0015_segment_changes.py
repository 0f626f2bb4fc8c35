"""segment_changes: the membership change feed; re-checks found by person

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import tidings.db.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segment_changes",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("cio_id", sa.String(length=32), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("matchtime", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_segment_changes")),
    )
    op.create_index("ix_segment_changes_order", "segment_changes", ["transaction_id", "position"])
    op.create_index("ix_segment_changes_at", "segment_changes", ["at"])
    op.create_index("ix_segment_rechecks_person", "segment_rechecks", ["workspace_id", "cio_id"])


def downgrade() -> None:
    op.drop_index("ix_segment_rechecks_person", table_name="segment_rechecks")
    op.drop_index("ix_segment_changes_at", table_name="segment_changes")
    op.drop_index("ix_segment_changes_order", table_name="segment_changes")
    op.drop_table("segment_changes")
