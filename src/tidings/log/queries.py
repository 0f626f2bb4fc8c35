"""Statements over the message log and its per-partition cursors."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from tidings.db.dialect import one_of, upsert_statement
from tidings.db.driver import DriverStatement
from tidings.db.schema import log_cursors, message_ids, message_log

__all__ = [
    "LogEntry",
    "advance_cursor",
    "append_entries",
    "claim_partition",
    "ensure_cursors",
    "first_receipt",
    "forget_receipts_before",
    "partition_depths",
    "partitions_behind",
    "pending_count",
    "read_after",
    "receipts",
    "record_receipts",
]


@dataclass(frozen=True, slots=True)
class LogEntry:
    seq: int
    workspace_id: int
    received_at: datetime
    body: bytes


def append_entries(conn: Connection, rows: Sequence[dict]) -> None:
    """Append rows of (partition, workspace_id, received_at, body) in one statement."""
    conn.execute(insert(message_log), list(rows))


def ensure_cursors(conn: Connection, *, partitions: int) -> None:
    """Create the cursor of every partition that has none, starting at the beginning."""
    existing = set((conn.execute(select(log_cursors.c.partition))).scalars())
    missing = [{"partition": p, "position": 0} for p in range(partitions) if p not in existing]
    if missing:
        conn.execute(insert(log_cursors), missing)


_CLAIM_PARTITION = DriverStatement(
    lambda dialect: select(log_cursors.c.position)
    .where(log_cursors.c.partition == bindparam("partition"))
    .with_for_update(skip_locked=True)
)


def claim_partition(conn: Connection, *, partition: int) -> int | None:
    """Lock a partition's cursor for this transaction and return its position.

    Returns None when another worker holds it; on PostgreSQL the row lock is the lease, so a
    crashed worker's claim ends with its transaction.
    """
    rows = _CLAIM_PARTITION.rows(conn, {"partition": partition})
    return rows[0][0] if rows else None


_READ_AFTER = DriverStatement(
    lambda dialect: select(message_log.c.seq, message_log.c.workspace_id, message_log.c.received_at, message_log.c.body)
    .where(message_log.c.partition == bindparam("partition"), message_log.c.seq > bindparam("position"))
    .order_by(message_log.c.seq)
    .limit(bindparam("limit"))
)


def read_after(conn: Connection, *, partition: int, position: int, limit: int) -> list[LogEntry]:
    """The next entries of a partition, oldest first."""
    rows = _READ_AFTER.rows(conn, {"partition": partition, "position": position, "limit": limit})
    return [LogEntry(*row) for row in rows]


_ADVANCE_CURSOR = DriverStatement(
    lambda dialect: update(log_cursors)
    .where(log_cursors.c.partition == bindparam("partition"))
    .values(position=bindparam("position"))
)


def advance_cursor(conn: Connection, *, partition: int, position: int) -> None:
    """Record that every entry up to `position` has been applied."""
    _ADVANCE_CURSOR.execute_many(conn, [{"partition": partition, "position": position}])


def first_receipt(conn: Connection, *, workspace_id: int, message_id: str) -> datetime | None:
    """When a message id was first accepted, if it was."""
    statement = select(message_ids.c.received_at).where(
        message_ids.c.workspace_id == workspace_id, message_ids.c.message_id == message_id
    )
    return conn.execute(statement).scalar()


_RECEIPTS = DriverStatement(
    lambda dialect: select(message_ids.c.message_id, message_ids.c.received_at).where(
        message_ids.c.workspace_id == bindparam("workspace_id"), one_of(message_ids.c.message_id, "message_ids", dialect)
    )
)


def receipts(conn: Connection, *, workspace_id: int, message_ids: Collection[str]) -> dict[str, datetime]:
    """When each of `message_ids` that was accepted before was first accepted (one statement)."""
    return dict(_RECEIPTS.rows(conn, {"workspace_id": workspace_id, "message_ids": list(message_ids)}))


_RECORD_RECEIPT = DriverStatement(
    lambda dialect: upsert_statement(message_ids, dialect, key=("workspace_id", "message_id"), update=("received_at",)).values(
        workspace_id=bindparam("workspace_id"), message_id=bindparam("message_id"), received_at=bindparam("received_at")
    )
)


def record_receipts(conn: Connection, rows: Sequence[tuple[int, str, datetime]]) -> None:
    """Record (workspace_id, message_id, received_at) receipts, replacing earlier ones of the same ids."""
    _RECORD_RECEIPT.execute_many(
        conn, [{"workspace_id": w, "message_id": m, "received_at": at} for w, m, at in rows]
    )


def forget_receipts_before(conn: Connection, *, cutoff: datetime) -> int:
    """Drop message ids first received before `cutoff`; they no longer dedupe anything."""
    return conn.execute(delete(message_ids).where(message_ids.c.received_at < cutoff)).rowcount


def partitions_behind(conn: Connection) -> list[int]:
    """The partitions with entries no processor has applied yet; a cheap read for idle polling."""
    return list(partition_depths(conn))


def partition_depths(conn: Connection) -> dict[int, int]:
    """For each partition that is behind, how many entries at most wait in it (a cheap read).

    The count is the newest seq less the cursor's position: exact while one partition takes all
    appends, more than the partition holds when others take some (seqs are shared). The newest seq
    of each partition is one backward step of the (partition, seq) index; an EXISTS or a count
    would let PostgreSQL choose a scan of the whole log, or read the whole backlog.
    """
    newest = (
        select(func.max(message_log.c.seq))
        .where(message_log.c.partition == log_cursors.c.partition)
        .scalar_subquery()
    )
    statement = (
        select(log_cursors.c.partition, newest - log_cursors.c.position)
        .where(newest > log_cursors.c.position)
        .order_by(log_cursors.c.partition)
    )
    return {partition: waiting for partition, waiting in conn.execute(statement)}


def pending_count(conn: Connection) -> int:
    """How many log entries no processor has applied yet (reads the unapplied part of the log)."""
    behind = (
        select(func.count())
        .select_from(message_log.join(log_cursors, message_log.c.partition == log_cursors.c.partition))
        .where(message_log.c.seq > log_cursors.c.position)
    )
    return (conn.execute(behind)).scalar_one()
