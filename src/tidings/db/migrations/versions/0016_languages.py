"""language variants of transactional messages; the workspace's language attribute

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "transactional_messages",
        sa.Column(
            "translations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column(
        "workspaces", sa.Column("language_attribute", sa.String(length=150), server_default="language", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch:
        batch.drop_column("language_attribute")
    with op.batch_alter_table("transactional_messages") as batch:
        batch.drop_column("translations")
