"""object_types, objects and relationships

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tidings.db.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "object_types",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("singular_name", sa.String(length=100), nullable=False),
        sa.Column("liquid_identifier", sa.String(length=100), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "type_id", name=op.f("pk_object_types")),
    )
    op.create_table(
        "objects",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("cio_object_id", sa.String(length=32), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.String(length=150), nullable=False),
        sa.Column("attributes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "cio_object_id", name=op.f("pk_objects")),
        sa.UniqueConstraint(
            "workspace_id", "type_id", "object_id", name=op.f("uq_objects_workspace_id_type_id_object_id")
        ),
    )
    op.create_table(
        "relationships",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("cio_id", sa.String(length=32), nullable=False),
        sa.Column("cio_object_id", sa.String(length=32), nullable=False),
        sa.Column("attributes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "cio_id", "cio_object_id", name=op.f("pk_relationships")),
    )
    op.create_index("ix_relationships_object", "relationships", ["workspace_id", "cio_object_id"])


def downgrade() -> None:
    op.drop_index("ix_relationships_object", table_name="relationships")
    op.drop_table("relationships")
    op.drop_table("objects")
    op.drop_table("object_types")
