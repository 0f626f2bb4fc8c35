"""An object's change moves everyone already related to it: new attributes through Track v2 and
Pipelines group calls, a deleted object, a deleted relationship; per person for a few people and
set-based for many."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.test_pipelines import send
from tests.factories.track import TrackDriver
from tests.segments.test_live import built, feed, members
from tidings import segments
from tidings.clock import ManualClock, to_unix
from tidings.segments import cohort

ACME = {"object_type_id": "1", "object_id": "acme"}


def plan_is(plan: str, *, type_id: int = 1) -> dict[str, Any]:
    return {
        "type": "relationship",
        "object_type_id": type_id,
        "object_filters": [{"type": "attribute", "field": "plan", "operator": "eq", "value": plan}],
    }


def obj(action: str, identifiers: dict[str, Any] = ACME, **fields: Any) -> dict[str, Any]:
    return {"type": "object", "identifiers": identifiers, "action": action, **fields}


def relate(*ids: str, identifiers: dict[str, Any] = ACME) -> list[dict[str, Any]]:
    """One Track v2 call per person, so the object's later change names none of them."""
    return [
        {"type": "person", "identifiers": {"id": i}, "action": "add_relationships", "cio_relationships": [{"identifiers": identifiers}]}
        for i in ids
    ]


@pytest.fixture(params=["per person", "set-based"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways a cohort is re-evaluated: the set-based one is what more than a few hundred
    related people take; here it is chosen for a few, so each test runs both."""
    if request.param == "set-based":
        monkeypatch.setattr(cohort, "PEOPLE_IN_PYTHON", 0)
    yield request.param


async def entities(track: TrackDriver, *batch: dict[str, Any]) -> None:
    response = await track.entities(*batch)
    assert response.status_code == 200, response.text
    await track.processed()


async def test_new_object_attributes_move_everyone_related_to_it(track: TrackDriver, path: str) -> None:
    await entities(track, obj("identify", attributes={"plan": "free"}), *relate("1", "2", "3"))
    await entities(track, *relate("4", identifiers={"object_type_id": "1", "object_id": "globex"}))
    enterprise = await built(track, plan_is("enterprise"), name="Enterprise")
    free = await built(track, plan_is("free"), name="Free")
    assert await members(track, enterprise) == [] and await members(track, free) == ["1", "2", "3"]

    await entities(track, obj("identify", attributes={"plan": "enterprise"}))

    assert await members(track, enterprise) == ["1", "2", "3"]
    assert await members(track, free) == []
    assert sorted(a["name"] for a in await track.activities("1", type="entered_segment")) == ["Enterprise", "Free"]
    assert await track.activities("4", type="entered_segment") == []

    await entities(track, obj("identify", attributes={"plan": "free"}))

    assert await members(track, enterprise) == [] and await members(track, free) == ["1", "2", "3"]


async def test_the_change_feed_gets_each_entry_with_its_matchtime(track: TrackDriver, clock: ManualClock, path: str) -> None:
    await entities(track, obj("identify", attributes={"plan": "free"}), *relate("1", "2"))
    enterprise = await built(track, plan_is("enterprise"), name="Enterprise")
    clock.advance(hours=1)

    await entities(track, obj("identify", attributes={"plan": "enterprise"}))

    assert await feed(track, enterprise) == [(segments.ChangeKind.ENTERED, clock.now(), clock.now())] * 2


async def test_a_pipelines_group_call_changes_the_object_for_everyone_in_it(track: TrackDriver, path: str) -> None:
    await send(track, "group", {"userId": "u1", "groupId": "acme", "traits": {"plan": "free"}})
    await send(track, "group", {"userId": "u2", "groupId": "acme"})
    await track.processed()
    enterprise = await built(track, plan_is("enterprise"), name="Enterprise")

    await send(track, "group", {"anonymousId": "a1", "groupId": "acme", "traits": {"plan": "enterprise"}})
    await track.processed()

    assert await members(track, enterprise) == ["u1", "u2"]


async def test_deleting_an_object_moves_everyone_who_was_related_to_it(track: TrackDriver, path: str) -> None:
    await entities(track, obj("identify", attributes={"plan": "enterprise"}), *relate("1", "2"))
    await track.identify("3")
    await track.processed()
    enterprise = await built(track, plan_is("enterprise"), name="Enterprise")
    outside = await built(track, {"type": "not", "child": plan_is("enterprise")}, name="Not enterprise")
    assert await members(track, enterprise) == ["1", "2"] and await members(track, outside) == ["3"]

    await entities(track, obj("delete"))

    assert await members(track, enterprise) == []
    assert await members(track, outside) == ["1", "2", "3"]


async def test_a_pipelines_object_deleted_event_moves_them_too(track: TrackDriver, path: str) -> None:
    await send(track, "group", {"userId": "u1", "groupId": "acme", "traits": {"plan": "enterprise"}})
    await track.processed()
    enterprise = await built(track, plan_is("enterprise"), name="Enterprise")

    await send(track, "track", {"anonymousId": "x", "event": "Object Deleted", "properties": {"objectId": "acme", "objectTypeId": 1}})
    await track.processed()

    assert await members(track, enterprise) == []


async def test_deleting_relationships_moves_the_people_named(track: TrackDriver, clock: ManualClock) -> None:
    course = {"object_type_id": "2", "object_id": "course-1"}
    await entities(track, obj("identify", course, attributes={"plan": "enterprise"}), *relate("1", "2", "3", identifiers=course))
    enrolled = await built(track, plan_is("enterprise", type_id=2), name="Enrolled")
    assert await members(track, enrolled) == ["1", "2", "3"]
    cio_object_id = (await track.relationships("3"))[0]["identifiers"]["cio_object_id"]
    clock.advance(seconds=1)  # the people are no longer new: only what the calls change is re-evaluated

    await entities(
        track,
        obj("delete_relationships", course, cio_relationships=[{"identifiers": {"id": "1"}}]),
        # Named by cio_object_id alone: the object's own type (2) is what the change touches.
        {"type": "person", "identifiers": {"id": "3"}, "action": "delete_relationships",
         "cio_relationships": [{"identifiers": {"cio_object_id": cio_object_id}}]},
    )  # fmt: skip

    assert await members(track, enrolled) == ["2"]


async def test_time_based_object_conditions_are_rechecked_after_the_change(
    track: TrackDriver, clock: ManualClock, path: str
) -> None:
    renewed_lately = {
        "type": "relationship",
        "object_type_id": 1,
        "object_filters": [{"type": "attribute", "field": "renewed_at", "operator": "ts_after_relative", "value": 7, "direction": "ago"}],
    }
    await entities(track, obj("identify", attributes={"renewed_at": to_unix(clock.now()) - 30 * 86400}), *relate("1", "2"))
    segment_id = await built(track, renewed_lately, name="Renewed lately")
    assert await members(track, segment_id) == []

    await entities(track, obj("identify", attributes={"renewed_at": to_unix(clock.now()) - 86400}))
    assert await members(track, segment_id) == ["1", "2"]

    clock.advance(days=6, seconds=-1)
    await track.services.segments.run_once()
    assert await members(track, segment_id) == ["1", "2"]

    clock.advance(seconds=2)
    await track.services.segments.run_once()
    assert await members(track, segment_id) == []


async def test_a_segment_of_a_segment_follows_an_object_change(track: TrackDriver, path: str) -> None:
    await entities(track, obj("identify", attributes={"plan": "free"}), *relate("1", "2"))
    await track.identify("1", role="admin")
    await track.processed()
    enterprise = await built(track, plan_is("enterprise"), name="Enterprise")
    admins = await built(
        track,
        {"type": "and", "children": [
            {"type": "segment", "segment_id": enterprise},
            {"type": "attribute", "field": "role", "operator": "eq", "value": "admin"},
        ]},
        name="Enterprise admins",
    )  # fmt: skip

    await entities(track, obj("identify", attributes={"plan": "enterprise"}))
    assert await members(track, admins) == ["1"]

    await entities(track, obj("delete"))
    assert await members(track, enterprise) == [] and await members(track, admins) == []


async def test_more_people_than_are_evaluated_one_by_one(track: TrackDriver) -> None:
    many = cohort.PEOPLE_IN_PYTHON + 1
    calls = [{"type": "group", "userId": f"u{n:03d}", "groupId": "acme"} for n in range(many)]
    await send(track, "batch", {"batch": calls})
    await track.processed()
    enterprise = await built(track, plan_is("enterprise"), name="Enterprise")

    await send(track, "group", {"anonymousId": "a1", "groupId": "acme", "traits": {"plan": "enterprise"}})
    await track.processed()

    assert await members(track, enterprise) == sorted(f"u{n:03d}" for n in range(many))
    assert len(await track.activities("u007", type="entered_segment")) == 1
