"""transactional_messages and deliveries

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import tidings.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "transactional_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trigger_name", sa.String(length=200), nullable=True),
        sa.Column("trigger_key", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("settings", _JSON, nullable=False),
        sa.Column("content", _JSON, nullable=False),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactional_messages")),
        sa.UniqueConstraint(
            "workspace_id", "trigger_key", name=op.f("uq_transactional_messages_workspace_id_trigger_key")
        ),
    )
    op.create_index("ix_transactional_messages_workspace", "transactional_messages", ["workspace_id", "id"])
    op.create_table(
        "deliveries",
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("cio_id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("transactional_message_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("request", _JSON, nullable=False),
        sa.Column("rendered", _JSON, nullable=True),
        sa.Column("milestones", _JSON, nullable=False),
        sa.Column("failure_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("due_at", tidings.db.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "id", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["due_at"])
    op.create_index("ix_deliveries_person", "deliveries", ["workspace_id", "cio_id", "created_at"])
    op.create_index("ix_deliveries_recent", "deliveries", ["workspace_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_recent", table_name="deliveries")
    op.drop_index("ix_deliveries_person", table_name="deliveries")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_transactional_messages_workspace", table_name="transactional_messages")
    op.drop_table("transactional_messages")
