"""Objects and relationships: creation, attributes, types, cascades and merges, as Customer.io keeps them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver, app_auth, track_auth
from tidings.people import MAX_AUTO_CREATED_OBJECT_TYPES


def identify_object(object_id: str, type_id: Any = "1", **fields: Any) -> dict[str, Any]:
    return {"type": "object", "identifiers": {"object_type_id": type_id, "object_id": object_id}, "action": "identify", **fields}


def relate(person_id: str, object_id: str, type_id: Any = "1", **attributes: Any) -> dict[str, Any]:
    return {
        "type": "person",
        "identifiers": {"id": person_id},
        "action": "add_relationships",
        "cio_relationships": [
            {"identifiers": {"object_type_id": type_id, "object_id": object_id}, "relationship_attributes": attributes}
        ],
    }


async def apply(track: TrackDriver, *entities: dict[str, Any]) -> None:
    response = await track.entities(*entities)
    assert response.status_code == 200, response.text
    await track.processed()


async def test_unknown_type_is_created_and_named_after_an_animal(track: TrackDriver) -> None:
    await apply(track, identify_object("acme", 3, attributes={"name": "Acme"}))

    (created,) = (await track.app_get("/v1/object_types")).json()["types"]
    assert created["id"] == "3" and created["enabled"] is True
    assert created["name"] == created["singular_name"] + "s" and created["liquid_identifier"] == created["name"].lower()


async def test_types_are_created_from_calls_at_most_fifteen_times(track: TrackDriver) -> None:
    await apply(track, *[identify_object("o", type_id) for type_id in range(1, MAX_AUTO_CREATED_OBJECT_TYPES + 2)])

    types = (await track.app_get("/v1/object_types")).json()["types"]
    assert len(types) == MAX_AUTO_CREATED_OBJECT_TYPES
    assert await track.object(MAX_AUTO_CREATED_OBJECT_TYPES + 1, "o") is None


async def test_object_attributes_update_and_empty_values_remove_them(track: TrackDriver) -> None:
    await apply(track, identify_object("acme", attributes={"name": "Acme", "plan": "pro", "seats": 5}))
    await apply(track, identify_object("acme", attributes={"plan": None, "seats": "", "region": {"eu": True}}))

    acme = await track.object(1, "acme")
    assert acme is not None and acme["attributes"] == {"name": "Acme", "region": '{"eu":true}'}


async def test_object_ids_are_unique_per_type_and_case_sensitive(track: TrackDriver) -> None:
    await apply(track, identify_object("acme", 1, attributes={"n": 1}), identify_object("acme", 2, attributes={"n": 2}))
    await apply(track, identify_object("ACME", 1, attributes={"n": 3}))

    one, two, upper = await track.object(1, "acme"), await track.object(2, "acme"), await track.object(1, "ACME")
    assert (one["attributes"]["n"], two["attributes"]["n"], upper["attributes"]["n"]) == ("1", "2", "3")
    assert one["identifiers"]["cio_object_id"] != two["identifiers"]["cio_object_id"]


async def test_cio_object_id_finds_an_object_but_never_creates_one(track: TrackDriver) -> None:
    await apply(track, identify_object("acme"))
    cio_object_id = (await track.object(1, "acme"))["identifiers"]["cio_object_id"]

    await apply(
        track,
        {"type": "object", "identifiers": {"cio_object_id": cio_object_id}, "action": "identify", "attributes": {"a": "b"}},
        {"type": "object", "identifiers": {"cio_object_id": "nope"}, "action": "identify", "attributes": {"a": "c"}},
    )

    assert (await track.object(1, "acme"))["attributes"] == {"a": "b"}
    by_cio = await track.app_get(f"/v1/objects/1/{cio_object_id}/attributes", id_type="cio_object_id")
    assert by_cio.json()["object"]["identifiers"]["object_id"] == "acme"
    assert len((await track.app_get("/v1/object_types")).json()["types"]) == 1


async def test_relating_creates_the_person_and_the_object(track: TrackDriver) -> None:
    await apply(track, relate("42", "acme", role="admin"))

    assert await track.customer("42") is not None
    assert await track.object(1, "acme") is not None
    (relationship,) = await track.relationships("42")
    assert relationship["attributes"] == {"role": "admin"}
    added = await track.activities("42", type="relationship_add")
    assert [(a["name"], a["data"]["object_type_id"]) for a in added] == [("acme", 1)]


async def test_relating_again_updates_the_relationship_attributes(track: TrackDriver) -> None:
    await apply(track, relate("42", "acme", role="admin", seat=1))
    await apply(track, relate("42", "acme", role="owner", seat=None))

    (relationship,) = await track.relationships("42")
    assert relationship["attributes"] == {"role": "owner"}
    assert len(await track.activities("42", type="relationship_add")) == 1


async def test_deleting_an_object_deletes_its_relationships(track: TrackDriver) -> None:
    await apply(track, relate("42", "acme"), relate("42", "globex"))
    await apply(track, {"type": "object", "identifiers": {"object_type_id": 1, "object_id": "acme"}, "action": "delete"})

    assert await track.object(1, "acme") is None
    assert [r["identifiers"]["object_id"] for r in await track.relationships("42")] == ["globex"]


async def test_deleting_a_person_deletes_their_relationships_but_not_the_objects(track: TrackDriver) -> None:
    await apply(track, relate("42", "acme"), relate("43", "acme"))
    await apply(track, {"type": "person", "identifiers": {"id": "42"}, "action": "delete"})

    related = (await track.app_get("/v1/objects/1/acme/relationships")).json()["cio_relationships"]
    assert [r["identifiers"]["id"] for r in related] == ["43"]


async def test_merge_moves_relationships_and_the_primarys_own_win(track: TrackDriver) -> None:
    await apply(track, relate("1", "shared", role="primary"), relate("2", "shared", role="secondary"), relate("2", "only2"))
    await apply(track, {"type": "person", "action": "merge", "primary": {"id": "1"}, "secondary": {"id": "2"}})

    found = {r["identifiers"]["object_id"]: r["attributes"] for r in await track.relationships("1")}
    assert found == {"shared": {"role": "primary"}, "only2": {}}


async def test_object_relationships_page_through_the_related_people(track: TrackDriver) -> None:
    await apply(track, *[relate(f"p{i}", "acme", n=i) for i in range(5)])

    first = (await track.app_get("/v1/objects/1/acme/relationships", limit=3)).json()
    second = (await track.app_get("/v1/objects/1/acme/relationships", limit=3, start=first["next"])).json()

    people = [r["identifiers"]["id"] for r in first["cio_relationships"] + second["cio_relationships"]]
    assert sorted(people) == [f"p{i}" for i in range(5)] and len(set(people)) == 5
    assert second["next"] == ""
    assert first["cio_relationships"][0]["object_type_id"] == "1"


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v1/objects/1/missing/attributes", {}, 404),
        ("/v1/objects/x/acme/attributes", {}, 400),
        ("/v1/objects/1/acme/attributes", {"id_type": "email"}, 400),
        ("/v1/objects/1/a%00b/relationships", {}, 404),
        ("/v1/customers/nobody/relationships", {}, 404),
    ],
)
async def test_object_reads_answer_clearly(track: TrackDriver, path: str, params: dict[str, str], status: int) -> None:
    await apply(track, identify_object("acme"))

    assert (await track.app_get(path, **params)).status_code == status


async def test_objects_of_one_workspace_are_invisible_to_another(track: TrackDriver) -> None:
    await apply(track, relate("42", "acme"))
    other = await new_workspace(track.services, name="other")

    headers = app_auth(other)
    assert (await track.client.get("/v1/objects/1/acme/attributes", headers=headers)).status_code == 404
    assert (await track.client.get("/v1/object_types", headers=headers)).json() == {"types": []}
    assert (await track.client.get("/v1/objects/1/acme/attributes")).status_code == 401


async def test_track_v1_identify_relates_with_either_form_of_cio_relationships(track: TrackDriver) -> None:
    await track.identify("42", plan="pro", cio_relationships=[{"identifiers": {"object_type_id": "1", "object_id": "acme"}}])
    await track.identify(
        "42",
        cio_relationships={
            "action": "add_relationships",
            "relationships": [{"identifiers": {"object_type_id": "2", "object_id": "c1"}, "relationship_attributes": {"r": 1}}],
        },
    )
    await track.processed()
    assert {(r["object_type_id"], r["identifiers"]["object_id"]) for r in await track.relationships("42")} == {("1", "acme"), ("2", "c1")}
    assert "cio_relationships" not in (await track.customer("42"))["attributes"]

    await track.identify(
        "42", cio_relationships={"action": "delete_relationships", "relationships": [{"identifiers": {"object_id": "acme"}}]}
    )
    await track.processed()
    assert [r["identifiers"]["object_id"] for r in await track.relationships("42")] == ["c1"]


async def test_track_v1_refuses_a_bad_cio_relationships(track: TrackDriver) -> None:
    response = await track.client.put(
        "/api/v1/customers/42",
        json={"cio_relationships": [{"identifiers": {"object_type_id": "1"}}]},
        headers=track_auth(track.workspace),
    )

    assert response.status_code == 400
    assert response.json() == {"meta": {"error": "cio_relationships[0].identifiers.object_id is required"}}
