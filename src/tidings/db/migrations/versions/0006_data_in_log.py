"""data-in log: the origin of each logged message, and rejected calls

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import tidings.db.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite supports it without copying the (large) log.
    op.add_column("message_log", sa.Column("origin", sa.String(length=20), nullable=True))
    op.create_table(
        "rejected_calls",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("received_at", tidings.db.types.UtcDateTime(), nullable=False),
        sa.Column("call_type", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_rejected_calls")),
    )
    op.create_index("ix_rejected_calls_workspace", "rejected_calls", ["workspace_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_rejected_calls_workspace", table_name="rejected_calls")
    op.drop_table("rejected_calls")
    with op.batch_alter_table("message_log") as batch:
        batch.drop_column("origin")
