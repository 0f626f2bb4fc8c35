"""Dropping repeated messages: a `messageId` seen less than 12 hours ago is a duplicate.

Pipelines clients retry with the same messageId; Customer.io ignores a repeat within 12 hours of
the first receipt, even when its payload differs, and accepts the id again after that.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from tidings.log.messages import Message
from tidings.log.queries import first_receipt, forget_receipts_before, record_receipt

__all__ = ["MESSAGE_ID_WINDOW", "forget_expired_message_ids", "is_repeat"]

MESSAGE_ID_WINDOW = timedelta(hours=12)


def is_repeat(conn: Connection, *, workspace_id: int, message: Message) -> bool:
    """True for a duplicate; otherwise records the message id (if any) as received now."""
    if message.message_id is None:
        return False
    first = first_receipt(conn, workspace_id=workspace_id, message_id=message.message_id)
    if first is not None and message.received_at - first < MESSAGE_ID_WINDOW:
        return True
    record_receipt(conn, workspace_id=workspace_id, message_id=message.message_id, received_at=message.received_at)
    return False


def forget_expired_message_ids(conn: Connection, *, now: datetime) -> int:
    return forget_receipts_before(conn, cutoff=now - MESSAGE_ID_WINDOW)
