"""Data-driven segments: built over everyone, then kept live by changes and by the passing of time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from tests.api.test_pipelines import send
from tests.factories.track import TrackDriver, app_auth
from tidings import segments
from tidings.clock import ManualClock, to_unix
from tidings.db.schema import segment_changes

PRO = {"type": "attribute", "field": "plan", "operator": "eq", "value": "pro"}
WELCOME = {
    "name": "Welcome",
    "trigger_name": "welcome_email",
    "content": {"email": {"from": "team@example.com", "subject": "Hi", "body": "<p>Hello</p>"}},
}
PLATFORM_IOS = {"type": "attribute", "field": "platform", "operator": "eq", "value": "ios"}


async def create(track: TrackDriver, conditions: Any, name: str = "Pro") -> httpx.Response:
    return await track.client.post(
        "/v1/segments", json={"segment": {"name": name, "conditions": conditions}}, headers=app_auth(track.workspace)
    )


async def members(track: TrackDriver, segment_id: int) -> list[str]:
    return sorted((await track.app_get(f"/v1/segments/{segment_id}/membership")).json()["ids"])


async def feed(track: TrackDriver, segment_id: int) -> list[tuple[segments.ChangeKind, datetime, datetime]]:
    """The (kind, at, matchtime) recorded in the change feed for one segment of the test's workspace.

    Read from the table: read_membership_changes holds back changes newer than any transaction
    still running on the PostgreSQL server, and other suites' transactions may be."""

    def read(conn: Connection) -> list[tuple[segments.ChangeKind, datetime, datetime]]:
        feed = segment_changes.c
        rows = conn.execute(
            select(feed.change, feed.at, feed.matchtime)
            .where(feed.workspace_id == track.workspace.workspace.id, feed.segment_id == segment_id)
            .order_by(feed.position)
        )
        return [(segments.ChangeKind(row.change), row.at, row.matchtime) for row in rows]

    return await track.services.db.read(read)


async def built(track: TrackDriver, conditions: Any, name: str = "Pro") -> int:
    response = await create(track, conditions, name)
    assert response.status_code == 200, response.text
    segment = response.json()["segment"]
    assert (segment["type"], segment["state"]) == ("dynamic", "building")
    await track.services.segments.run_once()
    return segment["id"]


async def test_a_new_segment_is_built_over_everyone(track: TrackDriver) -> None:
    await track.identify("1", plan="pro")
    await track.identify("2", plan="PRO")
    await track.identify("3", plan="free")
    await track.processed()

    segment_id = await built(track, PRO)

    assert await members(track, segment_id) == ["1", "2"]
    assert (await track.app_get(f"/v1/segments/{segment_id}")).json()["segment"]["state"] == "finished"
    assert len(await track.activities("1", type="entered_segment")) == 1


async def test_a_bad_condition_answers_400_naming_the_node(track: TrackDriver) -> None:
    response = await create(track, {"type": "and", "children": [PRO, {"type": "attribute", "field": "x", "operator": "nearly"}]})

    assert response.status_code == 400
    assert response.json()["meta"]["error"].startswith("children[1].operator")


async def test_preview_counts_without_saving(track: TrackDriver) -> None:
    await track.identify("1", plan="pro")
    await track.identify("2", plan="free")
    await track.processed()

    response = await track.client.post("/v1/segments/preview", json={"conditions": PRO}, headers=app_auth(track.workspace))

    assert response.json() == {"count": 1}
    assert (await track.app_get("/v1/segments")).json() == {"segments": []}


async def test_editing_the_conditions_rebuilds(track: TrackDriver) -> None:
    await track.identify("1", plan="pro")
    await track.identify("2", plan="free")
    await track.processed()
    segment_id = await built(track, PRO)

    changed = await track.client.put(
        f"/v1/segments/{segment_id}",
        json={"segment": {"conditions": {**PRO, "value": "free"}, "name": "Free"}},
        headers=app_auth(track.workspace),
    )
    await track.services.segments.run_once()

    assert changed.json()["segment"]["state"] == "building"
    assert await members(track, segment_id) == ["2"]
    assert len(await track.activities("1", type="exited_segment")) == 1


async def test_time_passing_moves_people_out_without_any_change(track: TrackDriver, clock: ManualClock) -> None:
    await track.identify("1", last_login=to_unix(clock.now()) - 86400)
    await track.processed()
    recent = {"type": "attribute", "field": "last_login", "operator": "ts_after_relative", "value": 2, "direction": "ago"}
    segment_id = await built(track, recent, name="Recent")
    assert await members(track, segment_id) == ["1"]

    clock.advance(hours=23)
    await track.services.segments.run_once()
    assert await members(track, segment_id) == ["1"]

    clock.advance(hours=1, seconds=1)
    await track.services.segments.run_once()
    assert await members(track, segment_id) == []


async def test_a_segment_in_use_by_another_cannot_be_deleted(track: TrackDriver) -> None:
    base = await built(track, PRO)
    dependent = await built(track, {"type": "segment", "segment_id": base}, name="In Pro")

    refused = await track.client.delete(f"/v1/segments/{base}", headers=app_auth(track.workspace))
    unknown = await create(track, {"type": "segment", "segment_id": 999_999})

    assert refused.status_code == 409
    assert unknown.status_code == 400
    assert (await track.client.delete(f"/v1/segments/{dependent}", headers=app_auth(track.workspace))).status_code == 200


async def test_manual_segments_take_no_conditions(track: TrackDriver) -> None:
    manual = (await track.client.post("/v1/segments", json={"segment": {"name": "M"}}, headers=app_auth(track.workspace))).json()["segment"]

    response = await track.client.put(
        f"/v1/segments/{manual['id']}", json={"segment": {"conditions": PRO}}, headers=app_auth(track.workspace)
    )

    assert response.json() == {"meta": {"error": "a manual segment has no conditions"}}


async def test_track_and_pipelines_changes_move_people_in_and_out_as_they_are_processed(track: TrackDriver) -> None:
    segment_id = await built(track, PRO)
    buyers = await built(
        track, {"type": "event", "name": "purchase", "count": {"op": "at_least", "n": 2}}, name="Repeat buyers"
    )

    await track.identify("1", plan="pro")
    await track.event("1", "purchase")
    await track.processed()
    assert await members(track, segment_id) == ["1"] and await members(track, buyers) == []

    await track.event("1", "purchase")
    await track.identify("1", plan="free")
    await track.processed()
    assert await members(track, segment_id) == [] and await members(track, buyers) == ["1"]

    pipelines = await track.client.post(
        "/v1/identify",
        json={"userId": "2", "traits": {"plan": "pro"}},
        auth=(track.workspace.cdp_api_key, ""),
    )
    await track.processed()
    assert pipelines.status_code == 200
    assert await members(track, segment_id) == ["2"]


async def test_a_segment_of_a_segment_follows_it(track: TrackDriver) -> None:
    pro = await built(track, PRO)
    pro_on_ios = await built(
        track,
        {"type": "and", "children": [{"type": "segment", "segment_id": pro}, {"type": "device", "filters": [{"type": "attribute", "field": "platform", "operator": "eq", "value": "ios"}]}]},
        name="Pro on iOS",
    )

    await track.identify("1", plan="pro")
    await track.call("PUT", "/api/v1/customers/1/devices", {"device": {"id": "tok", "platform": "ios"}})
    await track.processed()
    assert await members(track, pro_on_ios) == ["1"]

    await track.identify("1", plan="free")
    await track.processed()
    assert await members(track, pro) == [] and await members(track, pro_on_ios) == []


async def test_deleting_a_person_takes_them_out(track: TrackDriver) -> None:
    segment_id = await built(track, PRO)
    await track.identify("1", plan="pro")
    await track.processed()

    await track.call("DELETE", "/api/v1/customers/1")
    await track.processed()

    assert await members(track, segment_id) == []


async def test_an_identify_that_merges_anonymous_activity_moves_the_person(track: TrackDriver, clock: ManualClock) -> None:
    browsed_twice = await built(track, {"type": "event", "name": "Browsed", "count": {"op": "at_least", "n": 2}}, name="Browsers")
    on_ios = await built(track, {"type": "device", "filters": [PLATFORM_IOS]}, name="iOS")
    at_acme = await built(track, {"type": "relationship", "object_type_id": 3}, name="Acme people")
    await track.identify("1", plan="free")
    await track.processed()
    clock.advance(minutes=1)  # the person is no longer new: only what each call changes is re-evaluated

    for _ in range(2):
        await send(track, "track", {"anonymousId": "anon-1", "event": "Browsed"})
    await send(track, "track", {"anonymousId": "anon-1", "event": "Application Opened", "context": {"device": {"token": "tok", "type": "ios"}}})
    response = await track.entities(
        {"type": "object", "identifiers": {"object_type_id": "3", "object_id": "acme"}, "action": "identify_anonymous", "anonymous_id": "anon-1"}
    )
    assert response.status_code == 200, response.text
    await track.processed()
    clock.advance(minutes=1)
    await send(track, "identify", {"userId": "1", "anonymousId": "anon-1"})
    await track.processed()

    assert await members(track, browsed_twice) == ["1"]
    assert await members(track, on_ios) == ["1"]
    assert await members(track, at_acme) == ["1"]


async def test_anonymous_activity_just_after_the_merge_moves_the_person(track: TrackDriver, clock: ManualClock) -> None:
    browsed = await built(track, {"type": "event", "name": "Browsed"}, name="Browsers")
    await send(track, "identify", {"userId": "1", "anonymousId": "anon-1"})
    await track.processed()
    clock.advance(minutes=1)

    await send(track, "track", {"anonymousId": "anon-1", "event": "Browsed"})
    await track.processed()

    assert await members(track, browsed) == ["1"]


async def test_time_moves_people_in_as_well_as_out(track: TrackDriver, clock: ManualClock) -> None:
    """Each time-based rule, with nothing but the clock moving: a value ageing past "before N days
    ago", an event leaving its window, a profile coming of age for "not performed in N days", a
    date coming within "before N days from now"."""
    now = to_unix(clock.now())
    await track.identify("dormant", last_login=now - 29 * 86400)
    await track.identify("buyer")
    await track.event("buyer", "purchase", timestamp=now - 6 * 86400)
    await track.identify("newcomer")
    await track.identify("trial", trial_ends=now + 5 * 86400)
    await track.processed()
    dormant = await built(track, {"type": "attribute", "field": "last_login", "operator": "ts_before_relative", "value": 30, "direction": "ago"}, name="Dormant")
    weekly = await built(track, {"type": "event", "name": "purchase", "window": {"within_days": 7}}, name="Bought this week")
    idle = await built(track, {"type": "event", "name": "purchase", "performed": False, "window": {"within_days": 14}}, name="No purchase lately")
    ending = await built(track, {"type": "attribute", "field": "trial_ends", "operator": "ts_before_relative", "value": 3, "direction": "from_now"}, name="Trial ending")
    assert [await members(track, s) for s in (dormant, weekly, idle, ending)] == [[], ["buyer"], [], []]

    clock.advance(days=1, seconds=1)
    await track.services.segments.run_once()
    assert [await members(track, s) for s in (dormant, weekly, idle, ending)] == [["dormant"], [], [], []]

    clock.advance(days=1)
    await track.services.segments.run_once()
    assert await members(track, ending) == ["trial"]

    clock.advance(days=12)
    await track.services.segments.run_once()
    assert await members(track, idle) == ["buyer", "dormant", "newcomer", "trial"]  # its purchase is 20 days old
    assert await members(track, weekly) == []

    ((_, _, matchtime),) = await feed(track, dormant)
    assert abs(to_unix(matchtime) - (now + 86400)) <= 1  # when last_login turned 30 days old


async def test_a_reported_open_moves_the_person_into_a_message_segment(track: TrackDriver, clock: ManualClock) -> None:
    created = await track.client.post("/v1/transactional", json=WELCOME, headers=app_auth(track.workspace))
    assert created.status_code == 201, created.text
    sent = await track.client.post(
        "/v1/send/email",
        json={"transactional_message_id": "welcome_email", "to": "ann@example.com", "identifiers": {"id": "ann"}},
        headers=app_auth(track.workspace),
    )
    await track.processed()
    opened = await built(track, {"type": "message", "channel": "email", "metric": "opened"}, name="Openers")
    assert await members(track, opened) == []
    clock.advance(minutes=1)  # ann is no longer new: only what the report changes is re-evaluated

    response = await track.entities(
        {"type": "delivery", "action": "event", "identifiers": {"id": sent.json()["delivery_id"]}, "name": "opened",
         "attributes": {"device_token": "tok"}},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    await track.processed()

    assert await members(track, opened) == ["ann"]


async def test_pages_screens_and_devices_from_either_api_move_people(track: TrackDriver, clock: ManualClock) -> None:
    pricing = await built(track, {"type": "page", "name": "https://x.test/pricing*"}, name="Pricing visitors")
    cart = await built(track, {"type": "screen", "name": "Cart"}, name="Cart viewers")
    android = await built(track, {"type": "device", "filters": [{**PLATFORM_IOS, "value": "android"}]}, name="Android")
    for person in ("u1", "u2", "u3"):
        await track.identify(person)
    await track.processed()
    clock.advance(minutes=1)  # nobody is new: only what each call changes is re-evaluated

    await send(track, "page", {"userId": "u1", "properties": {"url": "https://x.test/pricing?plan=pro"}})
    await send(track, "screen", {"userId": "u2", "name": "cart"})
    response = await track.entities(
        {"type": "person", "identifiers": {"id": "u3"}, "action": "add_device", "device": {"token": "tok-3", "platform": "android"}}
    )
    assert response.status_code == 200, response.text
    await track.processed()

    assert [await members(track, s) for s in (pricing, cart, android)] == [["u1"], ["u2"], ["u3"]]

    await track.entities({"type": "person", "identifiers": {"id": "u3"}, "action": "delete_device", "device": {"token": "tok-3"}})
    await track.processed()
    assert await members(track, android) == []


async def changes(track: TrackDriver, segment_id: int) -> list[tuple[str, segments.ChangeKind, datetime, datetime]]:
    """The (cio_id, kind, at, matchtime) of the feed of one segment, from the table (see `feed`)."""

    def read(conn: Connection) -> list[tuple[str, segments.ChangeKind, datetime, datetime]]:
        feed = segment_changes.c
        rows = conn.execute(
            select(feed.cio_id, feed.change, feed.at, feed.matchtime)
            .where(feed.workspace_id == track.workspace.workspace.id, feed.segment_id == segment_id)
            .order_by(feed.position)
        )
        return [(row.cio_id, segments.ChangeKind(row.change), row.at, row.matchtime) for row in rows]

    return await track.services.db.read(read)


async def cio_id(track: TrackDriver, identifier: str, id_type: str = "id") -> str:
    customer = await track.customer(identifier, id_type)
    assert customer is not None
    return customer["identifiers"]["cio_id"]


@pytest.mark.parametrize(
    ("method", "path"), [("DELETE", "/api/v1/customers/1"), ("POST", "/api/v1/customers/1/suppress")]
)
async def test_deleting_or_suppressing_a_person_feeds_their_exits(
    track: TrackDriver, clock: ManualClock, method: str, path: str
) -> None:
    segment_id = await built(track, PRO)
    await track.identify("1", plan="pro")
    await track.processed()
    person = await cio_id(track, "1")
    entered_at = clock.now()

    clock.advance(hours=1)
    await track.call(method, path)
    await track.processed()

    assert await members(track, segment_id) == []
    assert await changes(track, segment_id) == [
        (person, segments.ChangeKind.ENTERED, entered_at, entered_at),
        (person, segments.ChangeKind.EXITED, clock.now(), clock.now()),
    ]


async def test_a_person_merged_away_exits_and_the_survivor_enters(track: TrackDriver, clock: ManualClock) -> None:
    """The secondary's exit is fed; the primary takes its membership (and its matchtime), and is
    then re-evaluated like any merged person."""
    segment_id = await built(track, PRO)
    await track.identify("primary", city="Oslo")
    await track.identify("secondary", plan="pro")
    await track.processed()
    primary, secondary = await cio_id(track, "primary"), await cio_id(track, "secondary")
    entered_at = clock.now()

    clock.advance(hours=1)
    await track.call("POST", "/api/v1/merge_customers", {"primary": {"id": "primary"}, "secondary": {"id": "secondary"}})
    await track.processed()

    assert await members(track, segment_id) == ["primary"]
    assert await changes(track, segment_id) == [
        (secondary, segments.ChangeKind.ENTERED, entered_at, entered_at),
        (primary, segments.ChangeKind.ENTERED, clock.now(), entered_at),
        (secondary, segments.ChangeKind.EXITED, clock.now(), clock.now()),
    ]
    # The secondary's activity moved to the primary with the merge; the merge adds the primary's own entry.
    entries = await track.activities("primary", type="entered_segment")
    assert sorted(a["timestamp"] for a in entries) == [to_unix(entered_at), to_unix(clock.now())]


async def test_an_automatic_merge_feeds_the_exits_of_the_person_merged_away(track: TrackDriver, clock: ManualClock) -> None:
    """An identify naming the id of one person and the email of another merges them (the older
    absorbs the younger): the younger's memberships pass on as in an explicit merge."""
    segment_id = await built(track, PRO)
    await track.identify("u1", city="Oslo")
    await track.processed()
    clock.advance(minutes=1)
    await track.identify("ann@example.com", plan="pro")
    await track.processed()
    younger = await cio_id(track, "ann@example.com", "email")

    clock.advance(hours=1)
    await track.identify("u1", email="ann@example.com")
    await track.processed()

    older = await cio_id(track, "u1")
    assert older != younger
    assert await members(track, segment_id) == ["u1"]
    kinds = [(c, kind) for c, kind, _, _ in await changes(track, segment_id)]
    assert kinds == [
        (younger, segments.ChangeKind.ENTERED),
        (older, segments.ChangeKind.ENTERED),
        (younger, segments.ChangeKind.EXITED),
    ]
