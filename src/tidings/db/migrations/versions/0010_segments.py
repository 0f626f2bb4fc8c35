"""segments and their members

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tidings.db.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("conditions", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Integer(), server_default="100", nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segments")),
    )
    op.create_index("ix_segments_workspace", "segments", ["workspace_id", "id"])
    op.create_table(
        "segment_members",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("segment_id", sa.Integer(), nullable=False),
        sa.Column("cio_id", sa.String(length=32), nullable=False),
        sa.Column("entered_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("matchtime", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "segment_id", "cio_id", name=op.f("pk_segment_members")),
    )
    op.create_index("ix_segment_members_person", "segment_members", ["workspace_id", "cio_id"])


def downgrade() -> None:
    op.drop_index("ix_segment_members_person", table_name="segment_members")
    op.drop_table("segment_members")
    op.drop_index("ix_segments_workspace", table_name="segments")
    op.drop_table("segments")
