"""Track API v2: every person and object action through /api/v2/batch and /api/v2/entity, read back."""

from __future__ import annotations

from typing import Any

import httpx
from tests.factories.track import TrackDriver, track_auth
from tidings.clock import to_unix

ACME = {"object_type_id": "1", "object_id": "acme"}


def person(action: str, identifiers: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return {"type": "person", "identifiers": identifiers or {"id": "42"}, "action": action, **fields}


def obj(action: str, identifiers: dict[str, Any] = ACME, **fields: Any) -> dict[str, Any]:
    return {"type": "object", "identifiers": identifiers, "action": action, **fields}


async def test_a_batch_of_every_action_applies_the_good_ones_and_lists_the_bad(track: TrackDriver) -> None:
    response = await track.entities(
        person("identify", attributes={"first_name": "Jane", "plan": "premium"}),
        obj("identify", attributes={"name": "Acme Corp", "seats": 50}),
        obj("add_relationships", cio_relationships=[{"identifiers": {"id": "42"}, "relationship_attributes": {"role": "admin"}}]),
        person("event", name="purchased", attributes={"price": 23}, timestamp=1772000000),
        person("page", name="https://example.com/pricing"),
        person("screen", name="Settings"),
        {"type": "person", "identifiers": {"anonymous_id": "anon-1"}, "action": "event", "name": "browsed"},
        person("add_device", device={"token": "tok-1", "platform": "ios", "attributes": {"app_version": "1.0"}}),
        person("add_device", device={"token": "tok-2", "platform": "android"}),
        person("delete_device", device={"token": "tok-2"}),
        person("identify", {"id": "7"}, attributes={"email": "seven@example.com"}),
        person("add_relationships", {"id": "7"}, cio_relationships=[{"identifiers": ACME}, {"identifiers": {"object_type_id": 2, "object_id": "course-1"}}]),
        person("delete_relationships", {"id": "7"}, cio_relationships=[{"identifiers": {"object_type_id": "2", "object_id": "course-1"}}]),
        person("identify", {"id": "8"}, attributes={"nickname": "eight"}),
        {"type": "person", "action": "merge", "primary": {"id": "42"}, "secondary": {"id": "8"}},
        person("identify", {"id": "gone"}),
        person("delete", {"id": "gone"}),
        person("identify", {"id": "spam"}),
        person("suppress", {"id": "spam"}),
        person("suppress", {"id": "freed"}),
        person("unsuppress", {"id": "freed"}),
        obj("identify", {"object_type_id": "1", "object_id": "doomed"}, cio_relationships=[{"identifiers": {"id": "42"}}]),
        obj("delete", {"object_type_id": "1", "object_id": "doomed"}),
        # The bad ones: a missing name, an unknown action, an object without an id, a reserved attribute.
        person("event"),
        person("dance"),
        obj("identify", {"object_type_id": "1"}),
        obj("identify", attributes={"relationship": "x"}),
    )

    assert response.status_code == 207
    assert response.json() == {
        "errors": [
            {"batch_index": 23, "reason": "invalid", "field": "name", "message": "event name must not be blank"},
            {"batch_index": 24, "reason": "invalid", "field": "action", "message": response.json()["errors"][1]["message"]},
            {"batch_index": 25, "reason": "invalid", "field": "identifiers.object_id", "message": "identifiers.object_id is required"},
            {
                "batch_index": 26,
                "reason": "invalid",
                "field": "attributes.relationship",
                "message": "relationship is a reserved name and cannot be an object attribute",
            },
        ]
    }
    await track.processed()

    jane = await track.customer("42")
    assert jane is not None
    assert (jane["attributes"]["first_name"], jane["attributes"]["nickname"]) == ("Jane", "eight")  # merged from 8
    assert [d["id"] for d in jane["devices"]] == ["tok-1"]
    assert await track.customer("8") is None and await track.customer("gone") is None
    assert await track.customer("spam") is None
    names = {(a["type"], a["name"]) for a in await track.activities("42")}
    assert {("event", "purchased"), ("page", "https://example.com/pricing"), ("screen", "Settings")} <= names
    purchased = (await track.activities("42", name="purchased"))[0]
    assert purchased["timestamp"] == 1772000000 and purchased["data"] == {"price": 23}

    assert await track.relationships("42") == [
        {"object_type_id": "1", "identifiers": {"object_id": "acme", "cio_object_id": _cio_object_id(await track.object(1, "acme"))}, "attributes": {"role": "admin"}}
    ]
    assert [r["identifiers"]["object_id"] for r in await track.relationships("7")] == ["acme"]
    acme = await track.object(1, "acme")
    assert acme is not None and acme["attributes"] == {"name": "Acme Corp", "seats": "50"}
    assert await track.object(1, "doomed") is None
    assert await track.object(2, "course-1") is not None  # unrelating leaves the object

    anonymous = (await track.app_get("/v1/anonymous/anon-1/activities")).json()["activities"]
    assert [a["name"] for a in anonymous] == ["browsed"]

    # "freed" was suppressed and unsuppressed: it can be identified again.
    await track.entities(person("identify", {"id": "freed"}))
    await track.entities(person("identify", {"id": "spam"}))
    await track.processed()
    assert await track.customer("freed") is not None and await track.customer("spam") is None


def _cio_object_id(found: dict[str, Any] | None) -> str:
    assert found is not None
    return found["identifiers"]["cio_object_id"]


async def test_entity_answers_one_operation_and_errors_in_v2_shape(track: TrackDriver, client: httpx.AsyncClient) -> None:
    ok = await client.post("/api/v2/entity", json=person("identify", attributes={"plan": "pro"}), headers=track_auth(track.workspace))
    bad = await client.post("/api/v2/entity", json={"type": "robot"}, headers=track_auth(track.workspace))
    anonymous = await client.post("/api/v2/entity", json=person("identify"))

    assert (ok.status_code, ok.json()) == (200, {})
    assert bad.status_code == 400
    assert bad.json() == {"errors": [{"reason": "invalid", "field": "type", "message": "type must be one of: person, object, delivery"}]}
    assert anonymous.status_code == 401
    await track.processed()
    assert (await track.customer("42"))["attributes"]["plan"] == "pro"


async def test_entity_over_32kb_is_refused_alone_in_a_batch(track: TrackDriver) -> None:
    big = person("identify", {"id": "big"}, attributes={f"a{i}": "x" * 900 for i in range(40)})

    response = await track.entities(big, person("identify", {"id": "small"}))

    assert response.status_code == 207
    (error,) = response.json()["errors"]
    assert (error["batch_index"], error["reason"]) == (0, "too_large")
    await track.processed()
    assert await track.customer("big") is None and await track.customer("small") is not None


async def test_batch_over_500kb_is_refused_whole(track: TrackDriver) -> None:
    entities = [person("identify", {"id": f"p{i}"}, attributes={"bio": "x" * 900}) for i in range(600)]

    response = await track.entities(*entities)

    assert response.status_code == 400
    await track.processed()
    assert await track.customer("p0") is None


async def test_merge_names_both_sides(track: TrackDriver) -> None:
    response = await track.entities({"type": "person", "action": "merge", "primary": {"id": "1"}})

    assert response.json()["errors"][0]["field"] == "secondary"


async def test_delivery_events_are_recorded_by_delivery_id(track: TrackDriver) -> None:
    response = await track.entities(
        {"type": "delivery", "action": "event", "identifiers": {"id": "dlv-9"}, "name": "opened", "attributes": {"device_token": "tok"}, "timestamp": 1772000000},
        {"type": "delivery", "action": "event", "identifiers": {"id": "dlv-9"}, "name": "bounced", "attributes": {"device_token": "tok"}},
    )

    assert [e["field"] for e in response.json()["errors"]] == ["name"]
    await track.processed()

    (report,) = await track.delivery_reports("dlv-9")
    assert (report.metric, report.recipient, to_unix(report.timestamp)) == ("opened", "tok", 1772000000)


async def test_identify_anonymous_relationships_carry_over_to_the_person_identified(track: TrackDriver) -> None:
    response = await track.entities(
        obj("identify_anonymous", anonymous_id="anon-1", attributes={"name": "Acme Corp"}),
        obj(
            "identify_anonymous",
            {"object_type_id": "2", "object_id": "course-1"},
            cio_relationships=[{"identifiers": {"anonymous_id": "anon-1"}, "relationship_attributes": {"role": "student"}}],
        ),
        obj("identify_anonymous", {"object_type_id": "1", "object_id": "doomed"}, anonymous_id="anon-1"),
        obj("delete", {"object_type_id": "1", "object_id": "doomed"}),
    )
    assert response.status_code == 200, response.text
    await track.processed()
    acme = await track.object(1, "acme")
    assert acme is not None and acme["attributes"] == {"name": "Acme Corp"}

    await track.call("PUT", "/api/v1/customers/42", {"anonymous_id": "anon-1"})
    await track.processed()

    related = {(r["object_type_id"], r["identifiers"]["object_id"]): r["attributes"] for r in await track.relationships("42")}
    assert related == {("1", "acme"): {}, ("2", "course-1"): {"role": "student"}}


async def test_identify_anonymous_needs_an_anonymous_id(track: TrackDriver) -> None:
    response = await track.entities(
        obj("identify_anonymous"),
        obj("identify_anonymous", cio_relationships=[{"identifiers": {"id": "42"}}]),
    )

    assert response.status_code == 207
    assert [(e["batch_index"], e["field"]) for e in response.json()["errors"]] == [
        (0, "anonymous_id"),
        (1, "cio_relationships[0].identifiers.anonymous_id"),
    ]
