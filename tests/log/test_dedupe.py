"""A messageId repeated within 12 hours of its first receipt is dropped; after that it counts again."""

from __future__ import annotations

from datetime import timedelta

from tests.factories.track import TrackDriver
from tidings.clock import ManualClock
from tidings.log import PersonRef, Track
from tidings.log.queries import first_receipt


async def send(track: TrackDriver, clock: ManualClock, *, message_id: str, name: str) -> None:
    message = Track(received_at=clock.now(), message_id=message_id, person=PersonRef(user_id="u1"), name=name)
    await track.services.log.append(track.workspace.workspace.id, [message])


async def test_repeat_within_twelve_hours_is_dropped_even_with_another_payload(
    track: TrackDriver, clock: ManualClock
) -> None:
    await send(track, clock, message_id="m-1", name="first")
    await track.processed()
    clock.advance(timedelta(hours=11, minutes=59))
    await send(track, clock, message_id="m-1", name="retry")
    await track.processed()

    assert [a["name"] for a in await track.activities("u1", type="event")] == ["first"]


async def test_same_id_twelve_hours_later_is_accepted(track: TrackDriver, clock: ManualClock) -> None:
    await send(track, clock, message_id="m-1", name="first")
    await track.processed()
    clock.advance(timedelta(hours=12))
    await send(track, clock, message_id="m-1", name="again")
    await track.processed()

    assert sorted(a["name"] for a in await track.activities("u1", type="event")) == ["again", "first"]


async def test_duplicates_inside_one_batch_are_dropped(track: TrackDriver, clock: ManualClock) -> None:
    await send(track, clock, message_id="m-1", name="first")
    await send(track, clock, message_id="m-1", name="second")
    await send(track, clock, message_id="m-2", name="other")
    await track.processed()

    assert sorted(a["name"] for a in await track.activities("u1", type="event")) == ["first", "other"]


async def test_message_ids_are_forgotten_after_twelve_hours(track: TrackDriver, clock: ManualClock) -> None:
    await send(track, clock, message_id="m-1", name="first")
    await track.processed()
    clock.advance(timedelta(hours=12, seconds=1))
    await track.services.scheduler.run_once()

    with track.services.db.connect() as conn:
        assert first_receipt(conn, workspace_id=track.workspace.workspace.id, message_id="m-1") is None
