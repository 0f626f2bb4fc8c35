"""Events, page and screen views, and anonymous events merged on identify."""

from __future__ import annotations

from datetime import timedelta

from tests.factories.track import TrackDriver
from tidings.clock import ManualClock, to_unix


async def test_event_creates_person_and_keeps_name_data_and_backfilled_time(track: TrackDriver) -> None:
    await track.event("u1", "  purchased  ", data={"price": 23.45}, timestamp=1359389415)
    await track.processed()

    (event,) = await track.activities("u1", type="event")
    assert event["name"] == "purchased"
    assert event["data"] == {"price": 23.45}
    assert event["timestamp"] == 1359389415


async def test_repeated_event_id_is_recorded_once(track: TrackDriver) -> None:
    event_id = "01HZX6Q3J5A0000000000000AB"
    await track.event("u1", "purchased", id=event_id)
    await track.event("u1", "purchased", id=event_id, data={"again": True})
    await track.processed()

    events = await track.activities("u1", type="event")
    assert len(events) == 1
    assert events[0]["data"] == {}


async def test_event_id_stored_in_an_earlier_batch_is_skipped_among_new_events(track: TrackDriver) -> None:
    event_id = "01HZX6Q3J5A0000000000000AC"
    await track.event("u1", "/first", type="page", id=event_id, timestamp=1_767_225_600)
    await track.processed()
    await track.event("u1", "/before", type="page", timestamp=1_767_225_650)
    await track.event("u1", "/repeat", type="page", id=event_id, timestamp=1_767_225_900)
    await track.event("u1", "/after", type="page", timestamp=1_767_225_700)
    await track.processed()

    pages = await track.activities("u1", type="page")
    assert sorted(page["name"] for page in pages) == ["/after", "/before", "/first"]
    # The skipped page view does not count as the latest visit.
    assert (await track.customer("u1"))["attributes"]["_last_visit"] == "1767225700"


async def test_page_and_screen_views_are_typed_and_set_last_visit(track: TrackDriver, clock: ManualClock) -> None:
    await track.event("u1", "https://example.com/pricing", type="page")
    await track.event("u1", "Settings", type="screen")
    await track.processed()

    assert [a["name"] for a in await track.activities("u1", type="page")] == ["https://example.com/pricing"]
    assert [a["name"] for a in await track.activities("u1", type="screen")] == ["Settings"]
    assert (await track.customer("u1"))["attributes"]["_last_visit"] == str(to_unix(clock.now()))


async def test_activity_filter_by_event_name_ignores_case(track: TrackDriver) -> None:
    await track.event("u1", "Course_Signup")
    await track.event("u1", "other")
    await track.processed()

    assert [a["name"] for a in await track.activities("u1", name="course_signup")] == ["Course_Signup"]


async def test_activities_page_with_cursor(track: TrackDriver, clock: ManualClock) -> None:
    for n in range(5):
        await track.event("u1", f"e{n}")
        clock.advance(timedelta(seconds=1))
    await track.processed()
    headers = {"Authorization": f"Bearer {track.workspace.app_api_key}"}

    seen, start = [], None
    while True:
        params = {"type": "event", "limit": 2, **({"start": start} if start else {})}
        page = (await track.client.get("/v1/customers/u1/activities", params=params, headers=headers)).json()
        seen += [a["name"] for a in page["activities"]]
        start = page["next"]
        if not start:
            break

    assert seen == ["e4", "e3", "e2", "e1", "e0"]


async def test_anonymous_events_join_the_person_identified_with_their_anonymous_id(track: TrackDriver) -> None:
    await track.call("POST", "/api/v1/events", {"anonymous_id": "anon-1", "name": "viewed_pricing"})
    await track.call("POST", "/api/v1/events", {"anonymous_id": "anon-other", "name": "unrelated"})
    await track.processed()

    await track.identify("u1", anonymous_id="anon-1")
    await track.processed()

    assert [a["name"] for a in await track.activities("u1", type="event")] == ["viewed_pricing"]
    (merge,) = await track.activities("u1", type="anonymous_merge")
    assert merge["data"]["count"] == 1
    assert merge["data"]["anonymous_id"] == "anon-1"


async def test_anonymous_event_arriving_within_five_minutes_of_identify_joins(track: TrackDriver, clock: ManualClock) -> None:
    await track.identify("u1", anonymous_id="anon-1")
    await track.processed()
    clock.advance(timedelta(minutes=4, seconds=59))

    await track.call("POST", "/api/v1/events", {"anonymous_id": "anon-1", "name": "late"})
    await track.processed()

    assert [a["name"] for a in await track.activities("u1", type="event")] == ["late"]


async def test_anonymous_id_cannot_be_reused_after_five_minutes(track: TrackDriver, clock: ManualClock) -> None:
    await track.identify("u1", anonymous_id="anon-1")
    await track.processed()
    clock.advance(timedelta(minutes=5, seconds=1))

    await track.call("POST", "/api/v1/events", {"anonymous_id": "anon-1", "name": "too_late"})
    await track.identify("u2", anonymous_id="anon-1")
    await track.processed()

    assert await track.activities("u1", type="event") == []
    assert await track.activities("u2", type="event") == []


async def test_unmerged_anonymous_events_expire_after_thirty_days(track: TrackDriver, clock: ManualClock) -> None:
    await track.call("POST", "/api/v1/events", {"anonymous_id": "stale", "name": "old_visit"})
    await track.call("POST", "/api/v1/events", {"anonymous_id": "fresh", "name": "new_visit"})
    await track.processed()
    clock.advance(timedelta(days=29))
    await track.call("POST", "/api/v1/events", {"anonymous_id": "fresh", "name": "newer_visit"})
    await track.processed()
    clock.advance(timedelta(days=1, seconds=1))

    await track.services.scheduler.run_once()
    await track.identify("u-stale", anonymous_id="stale")
    await track.identify("u-fresh", anonymous_id="fresh")
    await track.processed()

    assert await track.activities("u-stale", type="event") == []
    assert [a["name"] for a in await track.activities("u-fresh", type="event")] == ["newer_visit"]
