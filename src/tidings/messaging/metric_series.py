"""Delivery metrics as Customer.io's reporting endpoints return them: a count per milestone for each
of the last `steps` hours, days, weeks or months, oldest first, the current period last."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.engine import Connection

from tidings.clock import from_unix
from tidings.errors import InvalidInput
from tidings.messaging import queries
from tidings.messaging.types import DeliveryStatus

__all__ = ["MetricPeriod", "count_series", "period_start", "template_metrics"]


class MetricPeriod(StrEnum):
    HOURS = "hours"
    DAYS = "days"
    WEEKS = "weeks"
    MONTHS = "months"


# Customer.io's limits on `steps` for each period.
MAX_STEPS = {MetricPeriod.HOURS: 24, MetricPeriod.DAYS: 45, MetricPeriod.WEEKS: 12, MetricPeriod.MONTHS: 120}

# The milestones counted; `created` is when the delivery was made, the rest its status milestones.
_SERIES = ("created", *(status.value for status in DeliveryStatus))


def count_series(
    deliveries: Iterable[tuple[datetime, Mapping[str, int]]],
    *,
    period: MetricPeriod,
    steps: int,
    now: datetime,
) -> dict[str, list[int]]:
    """Count each milestone of `deliveries` (created_at, milestone → unix time) in the period it
    fell in. Raises InvalidInput when `steps` is outside Customer.io's range for the period."""
    _check_steps(period, steps)
    starts = _period_starts(period, steps, now=now)
    series = {name: [0] * steps for name in _SERIES}
    for created_at, milestones in deliveries:
        _count(series["created"], starts, created_at)
        for name, at in milestones.items():
            if name in series:
                _count(series[name], starts, from_unix(at))
    return series


def template_metrics(
    conn: Connection, *, workspace_id: int, transactional_message_id: int, period: MetricPeriod, steps: int, now: datetime
) -> dict[str, list[int]]:
    """The metric series of one transactional message's deliveries."""
    _check_steps(period, steps)
    since = _period_starts(period, steps, now=now)[0]
    deliveries = queries.list_template_milestones(
        conn, workspace_id=workspace_id, transactional_message_id=transactional_message_id, since=since
    )
    return count_series(deliveries, period=period, steps=steps, now=now)


def period_start(moment: datetime, period: MetricPeriod) -> datetime:
    """The start of the UTC hour, day, week (from Monday) or month `moment` falls in."""
    moment = moment.astimezone(UTC)
    if period is MetricPeriod.HOURS:
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period is MetricPeriod.DAYS:
        return day
    if period is MetricPeriod.WEEKS:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _check_steps(period: MetricPeriod, steps: int) -> None:
    if not 1 <= steps <= MAX_STEPS[period]:
        raise InvalidInput(f"steps must be between 1 and {MAX_STEPS[period]} for {period}", field="steps")


def _period_starts(period: MetricPeriod, steps: int, *, now: datetime) -> list[datetime]:
    starts = [period_start(now, period)]
    while len(starts) < steps:
        starts.append(period_start(starts[-1] - timedelta(microseconds=1), period))
    return starts[::-1]


def _count(counts: list[int], starts: list[datetime], moment: datetime) -> None:
    if moment < starts[0]:
        return
    index = next(i for i in range(len(starts) - 1, -1, -1) if starts[i] <= moment)
    counts[index] += 1
