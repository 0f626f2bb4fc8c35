"""Template metrics as Customer.io reports them: a count per milestone for each recent period."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.factories.mail import deliver, html_part, send, setup
from tests.factories.smtp import Inbox
from tests.factories.track import TrackDriver
from tidings.clock import ManualClock, to_unix
from tidings.errors import InvalidInput
from tidings.messaging import MetricPeriod, count_series
from tidings.services import Services

NOW = datetime(2026, 3, 11, 15, 30, tzinfo=UTC)  # a Wednesday


def at(text: str) -> int:
    return to_unix(datetime.fromisoformat(text).replace(tzinfo=UTC))


class TestCountSeries:
    def test_each_milestone_counts_in_the_period_it_fell_in_oldest_first(self) -> None:
        deliveries = [
            (datetime(2026, 3, 9, 8, tzinfo=UTC), {"sent": at("2026-03-09T08:00:01"), "opened": at("2026-03-11T09:00")}),
            (datetime(2026, 3, 11, 10, tzinfo=UTC), {"sent": at("2026-03-11T10:00:01")}),
        ]

        series = count_series(deliveries, period=MetricPeriod.DAYS, steps=3, now=NOW)

        assert series["created"] == [1, 0, 1]
        assert series["sent"] == [1, 0, 1]
        assert series["opened"] == [0, 0, 1]
        assert series["bounced"] == [0, 0, 0]

    def test_milestones_before_the_first_period_are_left_out(self) -> None:
        old = [(datetime(2026, 3, 1, tzinfo=UTC), {"sent": at("2026-03-01T00:00:01")})]
        assert count_series(old, period=MetricPeriod.DAYS, steps=7, now=NOW)["sent"] == [0] * 7

    @pytest.mark.parametrize(
        ("period", "first", "last"),
        [
            (MetricPeriod.HOURS, "2026-03-11T14:00", "2026-03-11T15:00"),
            (MetricPeriod.WEEKS, "2026-03-02T00:00", "2026-03-09T00:00"),  # weeks start on Monday
            (MetricPeriod.MONTHS, "2026-02-01T00:00", "2026-03-01T00:00"),
        ],
    )
    def test_periods_are_whole_utc_hours_weeks_and_months(self, period: MetricPeriod, first: str, last: str) -> None:
        deliveries = [
            (datetime.fromisoformat(first).replace(tzinfo=UTC), {}),
            (datetime.fromisoformat(last).replace(tzinfo=UTC), {}),
        ]
        assert count_series(deliveries, period=period, steps=2, now=NOW)["created"] == [1, 1]

    @pytest.mark.parametrize(("period", "steps"), [(MetricPeriod.HOURS, 25), (MetricPeriod.DAYS, 46), (MetricPeriod.WEEKS, 0)])
    def test_steps_beyond_customerio_range_are_refused(self, period: MetricPeriod, steps: int) -> None:
        with pytest.raises(InvalidInput, match="steps must be between 1 and") as caught:
            count_series([], period=period, steps=steps, now=NOW)
        assert caught.value.field == "steps"


async def test_template_metrics_and_messages_through_the_app_api(
    mail: tuple[Inbox, Services, TrackDriver], clock: ManualClock
) -> None:
    inbox, services, track = mail
    await setup(track)
    opened_id = await send(track, message_data={"order": "A-1"})
    await deliver(services, track)
    (pixel,) = re.findall(r'src="https://track\.example\.com(/open/[^"]+)"', html_part(inbox.received[-1].message))
    clock.advance(days=1)
    await send(track, message_data={"order": "A-2"})
    await deliver(services, track)
    await track.client.get(pixel)
    await track.processed()

    response = await track.app_get("/v1/transactional/receipt/metrics", period="days", steps=2)

    assert response.status_code == 200, response.text
    series = response.json()["metric"]["series"]
    assert (series["created"], series["sent"], series["opened"], series["failed"]) == ([1, 1], [1, 1], [0, 1], [0, 0])
    messages = (await track.app_get("/v1/transactional/receipt/messages", limit=1)).json()
    assert len(messages["messages"]) == 1 and messages["next"]
    rest = (await track.app_get("/v1/transactional/receipt/messages", start=messages["next"])).json()
    assert [m["id"] for m in rest["messages"]] == [opened_id]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [({"period": "fortnights"}, 400, "period"), ({"period": "hours", "steps": 48}, 400, "steps"), ({}, 404, None)],
)
async def test_template_metrics_errors_name_the_field(
    mail: tuple[Inbox, Services, TrackDriver], params: dict[str, object], status: int, field: str | None
) -> None:
    _, _, track = mail
    await setup(track)
    template = "receipt" if params else "no-such-template"

    response = await track.app_get(f"/v1/transactional/{template}/metrics", **params)

    assert response.status_code == status
    if field:
        assert field in response.text
