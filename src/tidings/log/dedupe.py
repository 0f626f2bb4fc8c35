"""Dropping repeated messages: a `messageId` seen less than 12 hours ago is a duplicate.

Pipelines clients retry with the same messageId; Customer.io ignores a repeat within 12 hours of
the first receipt, even when its payload differs, and accepts the id again after that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from tidings.log.messages import Message
from tidings.log.queries import forget_receipts_before, receipts, record_receipts

__all__ = ["MESSAGE_ID_WINDOW", "find_repeats", "forget_expired_message_ids"]

MESSAGE_ID_WINDOW = timedelta(hours=12)


def find_repeats(conn: Connection, messages: Sequence[tuple[int, Message]]) -> list[bool]:
    """For each (workspace_id, message) in log order, whether it is a duplicate.

    A message repeats one received less than 12 hours before it, in an earlier batch or earlier
    in `messages`; the message ids of the others are recorded as received at their time. One read
    per workspace and one write, however many messages.
    """
    seen: dict[tuple[int, str], datetime] = {}
    by_workspace: dict[int, set[str]] = {}
    for workspace_id, message in messages:
        if message.message_id is not None:
            by_workspace.setdefault(workspace_id, set()).add(message.message_id)
    for workspace_id, message_ids in by_workspace.items():
        for message_id, first in receipts(conn, workspace_id=workspace_id, message_ids=message_ids).items():
            seen[(workspace_id, message_id)] = first
    repeats: list[bool] = []
    recorded: dict[tuple[int, str], datetime] = {}
    for workspace_id, message in messages:
        key = (workspace_id, message.message_id)
        if message.message_id is None:
            repeats.append(False)
            continue
        first = seen.get(key)
        if first is not None and message.received_at - first < MESSAGE_ID_WINDOW:
            repeats.append(True)
            continue
        seen[key] = recorded[key] = message.received_at
        repeats.append(False)
    record_receipts(conn, [(workspace_id, message_id, at) for (workspace_id, message_id), at in recorded.items()])
    return repeats


def forget_expired_message_ids(conn: Connection, *, now: datetime) -> int:
    return forget_receipts_before(conn, cutoff=now - MESSAGE_ID_WINDOW)
