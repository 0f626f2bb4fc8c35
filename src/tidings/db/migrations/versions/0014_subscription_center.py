"""subscription center: topics, channels and whether they gate sending

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

import tidings.db.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription_centers",
        sa.Column("workspace_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("is_enabled", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("last_topic_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_channel_id", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_subscription_centers")),
    )
    op.create_table(
        "subscription_topics",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("subscribed_by_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_subscription_topics")),
    )
    op.create_table(
        "subscription_channels",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("subscribed_by_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "type", name=op.f("pk_subscription_channels")),
    )


def downgrade() -> None:
    op.drop_table("subscription_channels")
    op.drop_table("subscription_topics")
    op.drop_table("subscription_centers")
