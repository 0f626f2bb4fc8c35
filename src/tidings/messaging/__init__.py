"""Messages: Liquid content, composition for each channel, deliveries, tracking and subscriptions.

The package builds what a person receives and hands it to a channel (`messaging.channels`). It
reads people but never the ingest path, the processor or the API above it.
"""

from __future__ import annotations

from tidings.messaging.delivery_reports import (
    DELIVERY_METRICS,
    DeliveryReport,
    list_delivery_reports,
    record_delivery_report,
)

__all__ = ["DELIVERY_METRICS", "DeliveryReport", "list_delivery_reports", "record_delivery_report"]
