"""The processor applies each logged message once, in order, and skips only the ones that break rules."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.factories.track import TrackDriver
from tidings.db.schema import log_cursors, message_log
from tidings.log import Track, ensure_cursors, pending_count
from tidings.processor import worker as processor
from tidings.processor.batching import batch_size


async def test_rule_breaking_message_is_skipped_and_neighbours_apply(track: TrackDriver) -> None:
    await track.identify("before", plan="a")
    await track.identify("cio_unknown", plan="b")  # cio_id never creates: rejected when applied
    await track.identify("after", plan="c")

    assert await track.processed() == 3

    assert (await track.customer("before"))["attributes"]["plan"] == "a"
    assert (await track.customer("after"))["attributes"]["plan"] == "c"


async def test_applied_messages_are_not_applied_again(track: TrackDriver) -> None:
    await track.event("u1", "purchased")
    await track.processed()

    assert await track.processed() == 0
    assert await track.services.db.read(pending_count) == 0
    assert len(await track.activities("u1", type="event")) == 1


async def test_lost_database_connection_leaves_the_batch_for_retry(
    track: TrackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await track.event("u1", "purchased")
    original = processor.apply_message

    def connection_lost(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT ...", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(processor, "apply_message", connection_lost)
    with pytest.raises(OperationalError):
        await track.processed()
    monkeypatch.setattr(processor, "apply_message", original)

    assert await track.services.db.read(pending_count) == 1
    await track.processed()
    assert len(await track.activities("u1", type="event")) == 1


async def test_message_that_fails_unexpectedly_is_skipped_without_stalling(
    track: TrackDriver, monkeypatch: pytest.MonkeyPatch
) -> None:
    await track.event("u1", "poison")
    await track.event("u1", "fine")
    original = processor.apply_message

    def fail_on_poison(conn: object, workspace: object, message: Track, **kwargs: object) -> None:
        if message.name == "poison":
            raise RuntimeError("a bug")
        original(conn, workspace, message, **kwargs)

    monkeypatch.setattr(processor, "apply_message", fail_on_poison)

    assert await track.processed() == 2
    assert [a["name"] for a in await track.activities("u1", type="event")] == ["fine"]
    assert await track.services.db.read(pending_count) == 0


async def test_messages_of_a_workspace_stay_in_one_partition_in_order(track: TrackDriver) -> None:
    for n in range(3):
        await track.identify("u1", step=n)
    await track.processed()

    with track.services.db.connect() as conn:
        partitions = set(
            conn.execute(
                select(message_log.c.partition).where(message_log.c.workspace_id == track.workspace.workspace.id)
            ).scalars()
        )
        cursors = dict(conn.execute(select(log_cursors.c.partition, log_cursors.c.position)).all())
    assert len(partitions) == 1
    assert cursors[partitions.pop()] > 0
    assert (await track.customer("u1"))["attributes"]["step"] == "2"


async def test_events_around_other_messages_in_one_batch_apply_in_order(track: TrackDriver) -> None:
    await track.event("u1", "before_delete")
    await track.call("DELETE", "/api/v1/customers/u1")
    await track.event("u1", "after_delete")
    await track.call("POST", "/api/v1/events", {"anonymous_id": "anon-1", "name": "anonymous_before"})
    await track.identify("u2", plan="pro", anonymous_id="anon-1")
    await track.call("POST", "/api/v1/events", {"anonymous_id": "anon-1", "name": "anonymous_after"})
    await track.event("u2", "known")

    assert await track.processed() == 7

    assert [a["name"] for a in await track.activities("u1", type="event")] == ["after_delete"]
    assert sorted(a["name"] for a in await track.activities("u2", type="event")) == [
        "anonymous_after",
        "anonymous_before",
        "known",
    ]
    assert (await track.customer("u2"))["attributes"]["plan"] == "pro"


async def test_page_views_in_one_batch_keep_the_latest_visit(track: TrackDriver) -> None:
    await track.event("u1", "/later", type="page", timestamp=1_767_225_700)
    await track.event("u1", "/earlier", type="page", timestamp=1_767_225_600)
    await track.identify("u2", plan="free")
    await track.event("u2", "/home", type="page", timestamp=1_767_225_650)
    await track.processed()

    assert (await track.customer("u1"))["attributes"]["_last_visit"] == "1767225700"
    attributes = (await track.customer("u2"))["attributes"]
    assert (attributes["_last_visit"], attributes["plan"]) == ("1767225650", "free")


@pytest.mark.parametrize("settings", [{"batch_size": 1}], indirect=True)
async def test_batches_grow_while_the_log_is_deep_and_shrink_after(track: TrackDriver) -> None:
    await track.event("u1", "first")
    await track.processed()  # the cursor is at the newest entry: the backlog below is exactly 25
    for n in range(25):
        await track.event("u1", f"e{n}")
    services = track.services

    # Each batch takes a quarter of what waits (at least the configured 1, at most 8 times it).
    applied = [await services.processor.process_once() for _ in range(13)]
    assert applied == [6, 4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 0]
    await track.event("u1", "later")
    await track.event("u1", "later")
    assert await services.processor.process_once() == 1


def test_batch_size_stays_at_the_setting_while_caught_up() -> None:
    assert [batch_size(waiting, base=50) for waiting in (0, 1, 50, 199)] == [50] * 4


def test_batch_size_grows_with_the_backlog_up_to_eight_times_the_setting() -> None:
    sizes = [batch_size(waiting, base=50) for waiting in range(0, 5000, 10)]
    assert sizes == sorted(sizes)
    assert (batch_size(400, base=50), batch_size(1000, base=50)) == (100, 250)
    assert max(sizes) == batch_size(1_000_000, base=50) == 400


async def test_events_naming_one_new_email_in_two_cases_in_one_batch_create_one_person(track: TrackDriver) -> None:
    await track.event("Ann@example.com", "first")
    await track.event("ann@EXAMPLE.com", "second")
    await track.processed()

    response = await track.client.get(
        "/v1/customers", params={"email": "ann@example.com"}, headers={"Authorization": f"Bearer {track.workspace.app_api_key}"}
    )
    (person,) = response.json()["results"]
    events = await track.activities(person["cio_id"], id_type="cio_id", type="event")
    assert sorted(a["name"] for a in events) == ["first", "second"]
