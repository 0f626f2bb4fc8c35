"""anonymous_devices: push tokens registered before their person is identified

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tidings.db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anonymous_devices",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("anonymous_id", sa.String(length=150), nullable=False),
        sa.Column("token", sa.String(length=500), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("last_used", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("attributes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("received_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "anonymous_id", "token", name=op.f("pk_anonymous_devices")),
    )
    op.create_index("ix_anonymous_devices_received_at", "anonymous_devices", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_anonymous_devices_received_at", table_name="anonymous_devices")
    op.drop_table("anonymous_devices")
