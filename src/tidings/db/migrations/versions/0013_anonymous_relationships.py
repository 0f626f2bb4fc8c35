"""anonymous_relationships: objects related to people not yet identified

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tidings.db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anonymous_relationships",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("anonymous_id", sa.String(length=150), nullable=False),
        sa.Column("cio_object_id", sa.String(length=32), nullable=False),
        sa.Column("attributes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("received_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "anonymous_id", "cio_object_id", name=op.f("pk_anonymous_relationships")
        ),
    )
    op.create_index(
        "ix_anonymous_relationships_object", "anonymous_relationships", ["workspace_id", "cio_object_id"]
    )
    op.create_index("ix_anonymous_relationships_received_at", "anonymous_relationships", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_anonymous_relationships_received_at", table_name="anonymous_relationships")
    op.drop_index("ix_anonymous_relationships_object", table_name="anonymous_relationships")
    op.drop_table("anonymous_relationships")
