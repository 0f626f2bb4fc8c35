"""Metrics that devices and apps report about messages, kept by delivery id.

The mobile SDKs report push and in-app metrics ("Report Delivery Event"), and the Track API v2
takes delivery events. They are stored as they arrive, so a delivery finds its reports whether
they came before or after it was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from tidings.db.schema import delivery_reports

__all__ = ["DELIVERY_METRICS", "DeliveryReport", "list_delivery_reports", "record_delivery_report"]

# Customer.io documents delivered, opened, clicked and converted; the others come from its
# extended reporting and are kept as well.
DELIVERY_METRICS = frozenset(
    {"delivered", "opened", "clicked", "converted", "bounced", "spammed", "dropped", "deferred", "failed", "unsubscribed"}
)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    metric: str
    recipient: str | None
    # What else the report carried: href, reason, actionName, actionValue.
    details: dict[str, Any]
    timestamp: datetime


def record_delivery_report(
    conn: Connection,
    *,
    workspace_id: int,
    delivery_id: str,
    metric: str,
    recipient: str | None,
    details: dict[str, Any],
    timestamp: datetime,
    received_at: datetime,
) -> None:
    conn.execute(
        insert(delivery_reports).values(
            workspace_id=workspace_id,
            delivery_id=delivery_id,
            metric=metric,
            recipient=recipient,
            data=details,
            timestamp=timestamp,
            received_at=received_at,
        )
    )


def list_delivery_reports(conn: Connection, *, workspace_id: int, delivery_id: str) -> list[DeliveryReport]:
    """A delivery's reports, oldest first."""
    rows = conn.execute(
        select(delivery_reports.c.metric, delivery_reports.c.recipient, delivery_reports.c.data, delivery_reports.c.timestamp)
        .where(delivery_reports.c.workspace_id == workspace_id, delivery_reports.c.delivery_id == delivery_id)
        .order_by(delivery_reports.c.timestamp, delivery_reports.c.pk)
    )
    return [DeliveryReport(row.metric, row.recipient, dict(row.data), row.timestamp) for row in rows]
