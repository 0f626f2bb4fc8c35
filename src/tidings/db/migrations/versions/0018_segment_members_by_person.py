"""segment_members: the person index covers the segment id

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

A person's memberships are read on every change that touches a live segment. With only
(workspace_id, cio_id) in the index, SQLite preferred the primary key, which covers the query but
is ordered by segment first, and read every membership of the workspace.
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_segment_members_person", table_name="segment_members")
    op.create_index("ix_segment_members_person", "segment_members", ["workspace_id", "cio_id", "segment_id"])


def downgrade() -> None:
    op.drop_index("ix_segment_members_person", table_name="segment_members")
    op.create_index("ix_segment_members_person", "segment_members", ["workspace_id", "cio_id"])
