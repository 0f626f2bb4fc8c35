"""delivery_reports: metrics reported by devices and apps, by delivery id

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tidings.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_reports",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=200), nullable=False),
        sa.Column("metric", sa.String(length=20), nullable=False),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False),
        sa.Column("timestamp", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("received_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_delivery_reports")),
    )
    op.create_index("ix_delivery_reports_delivery", "delivery_reports", ["workspace_id", "delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_reports_delivery", table_name="delivery_reports")
    op.drop_table("delivery_reports")
