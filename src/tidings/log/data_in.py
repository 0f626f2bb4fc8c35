"""The data-in log: the calls each source sent recently, accepted or rejected, and why.

Accepted calls are read from the message log itself (every accepted call is there, with its
origin); rejected calls, which never reach the log, are kept beside it with the reason. Both are
kept for `DATA_IN_RETENTION`, so the log shows what came in without storing calls twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import msgspec
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from tidings.db.schema import log_cursors, message_log, rejected_calls
from tidings.log.messages import decode_message

__all__ = [
    "DATA_IN_RETENTION",
    "DataInEntry",
    "Origin",
    "forget_data_in_before",
    "list_accepted_calls",
    "list_rejected_calls",
    "record_rejected_call",
]

DATA_IN_RETENTION = timedelta(days=7)
_BODY_EXCERPT_CHARS = 4096
_to_builtins = msgspec.to_builtins
_encode = msgspec.json.Encoder().encode


class Origin(StrEnum):
    """The source a call came through."""

    PIPELINES = "pipelines"
    TRACK = "track"
    # The App API's Transactional sends.
    APP = "app"


@dataclass(frozen=True, slots=True)
class DataInEntry:
    received_at: datetime
    origin: str
    call_type: str
    is_accepted: bool
    # What was accepted (the canonical message) or the start of what was refused.
    payload: Any
    reason: str | None = None
    field: str | None = None


def record_rejected_call(
    conn: Connection,
    *,
    workspace_id: int,
    origin: Origin,
    received_at: datetime,
    call_type: str,
    reason: str,
    field: str | None,
    call: Any,
) -> None:
    body = call if isinstance(call, str) else _encode(call).decode(errors="replace")
    conn.execute(
        insert(rejected_calls).values(
            workspace_id=workspace_id,
            origin=origin.value,
            received_at=received_at,
            call_type=call_type,
            reason=reason,
            field=field,
            body=body[:_BODY_EXCERPT_CHARS],
        )
    )


def list_rejected_calls(
    conn: Connection, *, workspace_id: int, origin: Origin | None, limit: int
) -> list[DataInEntry]:
    """The most recent refused calls of a workspace, newest first."""
    statement = (
        select(rejected_calls)
        .where(rejected_calls.c.workspace_id == workspace_id)
        .order_by(rejected_calls.c.received_at.desc(), rejected_calls.c.pk.desc())
        .limit(limit)
    )
    if origin is not None:
        statement = statement.where(rejected_calls.c.origin == origin.value)
    return [
        DataInEntry(
            received_at=row.received_at,
            origin=row.origin,
            call_type=row.call_type,
            is_accepted=False,
            payload=row.body,
            reason=row.reason,
            field=row.field,
        )
        for row in conn.execute(statement)
    ]


def list_accepted_calls(
    conn: Connection, *, workspace_id: int, partition: int, origin: Origin | None, limit: int
) -> list[DataInEntry]:
    """The most recent accepted messages of a workspace, newest first.

    A workspace's messages all live in one partition, so the (partition, seq) index serves this.
    """
    statement = (
        select(message_log.c.received_at, message_log.c.origin, message_log.c.body)
        .where(message_log.c.partition == partition, message_log.c.workspace_id == workspace_id)
        .order_by(message_log.c.seq.desc())
        .limit(limit)
    )
    if origin is not None:
        statement = statement.where(message_log.c.origin == origin.value)
    entries = []
    for row in conn.execute(statement):
        message = _to_builtins(decode_message(row.body))
        entries.append(
            DataInEntry(
                received_at=row.received_at,
                origin=row.origin or Origin.TRACK.value,
                call_type=message["type"],
                is_accepted=True,
                payload=message,
            )
        )
    return entries


def forget_data_in_before(conn: Connection, *, cutoff: datetime) -> int:
    """Drop rejected calls, and log entries every processor has applied, received before `cutoff`.

    The entry at each cursor stays: on SQLite a sequence number is the rowid, and deleting the
    newest row would let the next append reuse numbers the cursor has already passed.
    """
    forgotten = conn.execute(delete(rejected_calls).where(rejected_calls.c.received_at < cutoff)).rowcount
    applied = (
        select(log_cursors.c.position).where(log_cursors.c.partition == message_log.c.partition).scalar_subquery()
    )
    forgotten += conn.execute(
        delete(message_log).where(message_log.c.received_at < cutoff, message_log.c.seq < applied)
    ).rowcount
    return forgotten
