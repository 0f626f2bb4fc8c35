"""workspace snippets and email layouts

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import tidings.db.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "snippets",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "name", name=op.f("pk_snippets")),
    )
    op.create_table(
        "layouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layouts")),
    )
    op.create_index("ix_layouts_workspace", "layouts", ["workspace_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_layouts_workspace", table_name="layouts")
    op.drop_table("layouts")
    op.drop_table("snippets")
