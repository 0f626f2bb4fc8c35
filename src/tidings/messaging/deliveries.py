"""Deliveries: one message to one person on one channel, and the milestones it reaches.

A delivery is created queued (or drafted, to wait for a manual send) in the same transaction
as the change that causes it, so a crash never loses or doubles one. Its status is the furthest
milestone reached: engagement (delivered, opened, clicked, converted) only moves it forward, and
a negative outcome (bounced, failed, spammed, ...) replaces whatever came before. Every milestone
keeps its own time, as Customer.io's delivery records do.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from ulid import ULID

from tidings.clock import to_unix
from tidings.messaging import queries
from tidings.messaging.types import Delivery, DeliveryChannel, DeliverySource, DeliveryStatus

__all__ = ["advance_delivery", "enqueue_delivery", "new_delivery_id"]

# How far along a delivery is; a later milestone of lower rank does not move the status back.
_PROGRESS = {
    DeliveryStatus.DRAFTED: 0,
    DeliveryStatus.QUEUED: 1,
    DeliveryStatus.ATTEMPTED: 2,
    DeliveryStatus.SENT: 3,
    DeliveryStatus.DELIVERED: 4,
    DeliveryStatus.OPENED: 5,
    DeliveryStatus.CLICKED: 6,
    DeliveryStatus.CONVERTED: 7,
}


def new_delivery_id(now: datetime) -> str:
    """A ULID: unique without coordination, and sortable by creation time."""
    return str(ULID.from_datetime(now))


def enqueue_delivery(
    conn: Connection,
    *,
    workspace_id: int,
    delivery_id: str,
    cio_id: str,
    channel: DeliveryChannel,
    source: DeliverySource,
    transactional_message_id: int | None,
    request: dict[str, Any],
    is_draft: bool,
    send_at: datetime | None,
    now: datetime,
) -> Delivery:
    """Store a new delivery, due for the sender at `send_at` (or now); a draft waits for a manual send."""
    status = DeliveryStatus.DRAFTED if is_draft else DeliveryStatus.QUEUED
    delivery = Delivery(
        id=delivery_id,
        cio_id=cio_id,
        channel=channel,
        source=source,
        transactional_message_id=transactional_message_id,
        status=status,
        request=request,
        milestones={status.value: to_unix(now)},
        created_at=now,
        updated_at=now,
        due_at=None if is_draft else max(send_at or now, now),
    )
    queries.insert_delivery(conn, workspace_id=workspace_id, delivery=delivery)
    return delivery


def advance_delivery(delivery: Delivery, milestone: DeliveryStatus, *, at: datetime, **changes: Any) -> Delivery:
    """`delivery` having reached `milestone` at `at`; the first time of each milestone is kept."""
    milestones = dict(delivery.milestones)
    milestones.setdefault(milestone.value, to_unix(at))
    status = delivery.status
    if milestone not in _PROGRESS or status not in _PROGRESS or _PROGRESS[milestone] > _PROGRESS[status]:
        status = milestone
    return replace(delivery, status=status, milestones=milestones, updated_at=at, **changes)
