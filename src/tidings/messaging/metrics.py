"""Applying a reported metric (opened, clicked, bounced, ...) to its delivery.

Reports arrive from tracking links, the unsubscribe page, the Track API's metrics endpoints and
the SDKs' "Report Delivery Event". Each is kept (see `delivery_reports`); when its delivery exists
the delivery reaches the milestone, with what it implies as Customer.io infers it (a click is
also an open, an open is also a delivery), and the person's activity shows it. A bounce or spam
complaint on an email puts the address on the suppression list.
"""

from __future__ import annotations

from dataclasses import replace
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from tidings.clock import to_unix
from tidings.messaging import queries
from tidings.messaging.deliveries import advance_delivery
from tidings.messaging.delivery_reports import record_delivery_report
from tidings.messaging.email import parse_addresses
from tidings.messaging.types import Delivery, DeliveryChannel, DeliveryStatus
from tidings.people import NewActivity, email_key, record_activities, record_activity

__all__ = ["apply_delivery_metric", "record_delivery_activity", "record_status_activities"]

_IMPLIED = {
    "clicked": ("delivered", "opened", "clicked"),
    "opened": ("delivered", "opened"),
}
_SUPPRESSING = {"bounced": "bounce", "spammed": "spam"}
# Milestones that are not statuses: the delivery keeps its status and records the time.
_NOTED = frozenset({"topic_unsubscribed"})
_STATUSES = frozenset(status.value for status in DeliveryStatus)


def apply_delivery_metric(
    conn: Connection,
    *,
    workspace_id: int,
    delivery_id: str,
    metric: str,
    recipient: str | None,
    details: dict[str, Any],
    timestamp: datetime,
    received_at: datetime,
) -> Delivery | None:
    """Keep the report and move its delivery on; returns the delivery, or None when there is none (yet)."""
    record_delivery_report(
        conn,
        workspace_id=workspace_id,
        delivery_id=delivery_id,
        metric=metric,
        recipient=recipient,
        details=details,
        timestamp=timestamp,
        received_at=received_at,
    )
    delivery = queries.find_delivery(conn, workspace_id=workspace_id, delivery_id=delivery_id)
    if delivery is None:
        return None
    updated = delivery
    for milestone in _IMPLIED.get(metric, (metric,)):
        if milestone in _STATUSES and milestone not in updated.milestones:
            updated = advance_delivery(updated, DeliveryStatus(milestone), at=timestamp)
        elif milestone in _NOTED and milestone not in updated.milestones:
            # Customer.io's "Unsubscribed from topics": a time on the delivery, not a status.
            milestones = {**updated.milestones, milestone: to_unix(timestamp)}
            updated = replace(updated, milestones=milestones, updated_at=timestamp)
    if updated is delivery:
        return delivery  # a repeat: every milestone was reached already
    queries.update_delivery(conn, workspace_id=workspace_id, delivery=updated)
    record_delivery_activity(conn, workspace_id=workspace_id, delivery=updated, metric=metric, data=details, now=timestamp)
    if metric in _SUPPRESSING and delivery.channel is DeliveryChannel.EMAIL:
        _suppress(conn, workspace_id, delivery, reason=_SUPPRESSING[metric], now=timestamp)
    return updated


def record_delivery_activity(
    conn: Connection, *, workspace_id: int, delivery: Delivery, metric: str, data: dict[str, Any], now: datetime
) -> None:
    """`sent_email`, `opened_email`, `clicked_email`, ... in the person's activity, with the delivery id."""
    if not delivery.cio_id:
        return
    record_activity(
        conn,
        workspace_id=workspace_id,
        cio_id=delivery.cio_id,
        type=f"{metric}_{delivery.channel.value}",
        name=(delivery.rendered or {}).get("subject"),
        data={**data, "delivery_id": delivery.id},
        now=now,
    )


def record_status_activities(conn: Connection, *, deliveries: Sequence[tuple[int, Delivery]], now: datetime) -> None:
    """`record_delivery_activity` of each (workspace id, delivery)'s status (`sent_email`, `failed_email`,
    ...), in one statement for all."""
    record_activities(
        conn,
        [
            NewActivity(
                workspace_id=workspace_id,
                cio_id=delivery.cio_id,
                type=f"{delivery.status.value}_{delivery.channel.value}",
                name=(delivery.rendered or {}).get("subject"),
                data={"delivery_id": delivery.id},
            )
            for workspace_id, delivery in deliveries
            if delivery.cio_id
        ],
        now=now,
    )


def _suppress(conn: Connection, workspace_id: int, delivery: Delivery, *, reason: str, now: datetime) -> None:
    to = (delivery.rendered or {}).get("to") or delivery.request.get("to")
    if not to:
        return
    for address in parse_addresses(to, field="to"):
        queries.insert_email_suppression(
            conn, workspace_id=workspace_id, email_key=email_key(address.addr_spec), reason=reason, detail=None, now=now
        )
