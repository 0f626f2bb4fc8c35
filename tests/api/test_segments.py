"""Manual segments and the App API's segment endpoints: existing people only, activity on entry and exit."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver, app_auth, track_auth


async def create(track: TrackDriver, name: str = "VIPs") -> dict[str, Any]:
    response = await track.client.post("/v1/segments", json={"segment": {"name": name}}, headers=app_auth(track.workspace))
    assert response.status_code == 200, response.text
    return response.json()["segment"]


async def add(track: TrackDriver, segment_id: int, ids: list[Any], id_type: str = "id") -> httpx.Response:
    return await track.client.post(
        f"/api/v1/segments/{segment_id}/add_customers", params={"id_type": id_type}, json={"ids": ids}, headers=track_auth(track.workspace)
    )


async def member_ids(track: TrackDriver, segment_id: int) -> list[str]:
    return (await track.app_get(f"/v1/segments/{segment_id}/membership")).json()["ids"]


async def test_add_customers_adds_existing_people_only(track: TrackDriver) -> None:
    segment = await create(track)
    await track.identify("1", email="one@example.com")
    await track.identify("2")

    response = await add(track, segment["id"], ["1", "2", "ghost"])
    await track.processed()

    assert response.status_code == 200
    assert sorted(await member_ids(track, segment["id"])) == ["1", "2"]
    assert await track.customer("ghost") is None
    assert (await track.app_get(f"/v1/segments/{segment['id']}/customer_count")).json() == {"count": 2}
    (entered,) = await track.activities("1", type="entered_segment")
    assert (entered["name"], entered["data"]) == ("VIPs", {"segment_id": segment["id"]})
    assert [s["name"] for s in (await track.app_get("/v1/customers/1/segments")).json()["segments"]] == ["VIPs"]


async def test_ids_may_be_emails_or_cio_ids(track: TrackDriver) -> None:
    segment = await create(track)
    await track.identify("1", email="One@Example.com")
    await track.processed()
    cio_id = (await track.customer("1"))["identifiers"]["cio_id"]

    await add(track, segment["id"], ["one@example.com"], id_type="email")
    await track.processed()
    assert await member_ids(track, segment["id"]) == ["1"]

    await track.client.post(
        f"/api/v1/segments/{segment['id']}/remove_customers", params={"id_type": "cio_id"}, json={"ids": [cio_id]}, headers=track_auth(track.workspace)
    )
    await track.processed()
    assert await member_ids(track, segment["id"]) == []
    assert len(await track.activities("1", type="exited_segment")) == 1


async def test_refusals(track: TrackDriver) -> None:
    segment = await create(track)

    missing = await add(track, 999_999, ["1"])
    empty = await add(track, segment["id"], [])
    too_many = await add(track, segment["id"], [str(i) for i in range(1001)])
    bad_type = await add(track, segment["id"], ["1"], id_type="phone")

    assert missing.status_code == 404
    assert empty.json() == {"meta": {"error": "ids is required and must be a non-empty array"}}
    assert too_many.json() == {"meta": {"error": "ids cannot have more than 1000 entries"}}
    assert bad_type.json() == {"meta": {"error": "id_type must be one of: id, email, cio_id"}}


async def test_membership_pages_and_clear_empties_the_segment(track: TrackDriver) -> None:
    segment = await create(track)
    for n in range(5):
        await track.identify(f"p{n}")
    await add(track, segment["id"], [f"p{n}" for n in range(5)])
    await track.processed()

    first = (await track.app_get(f"/v1/segments/{segment['id']}/membership", limit=3)).json()
    second = (await track.app_get(f"/v1/segments/{segment['id']}/membership", limit=3, start=first["next"])).json()
    cleared = await track.client.post(f"/v1/segments/{segment['id']}/clear", headers=app_auth(track.workspace))
    await track.processed()

    assert sorted(first["ids"] + second["ids"]) == [f"p{n}" for n in range(5)] and second["next"] == ""
    assert first["identifiers"][0]["cio_id"]
    assert cleared.status_code == 200
    assert await member_ids(track, segment["id"]) == []


async def test_deleting_a_segment_keeps_its_people_and_a_deleted_person_leaves(track: TrackDriver) -> None:
    segment = await create(track)
    await track.identify("1")
    await track.identify("2")
    await add(track, segment["id"], ["1", "2"])
    await track.processed()

    await track.call("DELETE", "/api/v1/customers/2")
    await track.processed()
    assert await member_ids(track, segment["id"]) == ["1"]

    deleted = await track.client.delete(f"/v1/segments/{segment['id']}", headers=app_auth(track.workspace))
    assert deleted.status_code == 200
    assert (await track.app_get(f"/v1/segments/{segment['id']}")).status_code == 404
    assert await track.customer("1") is not None


async def test_a_merge_keeps_the_secondarys_manual_memberships(track: TrackDriver) -> None:
    segment = await create(track)
    await track.identify("primary")
    await track.identify("secondary")
    await add(track, segment["id"], ["secondary"])
    await track.processed()

    await track.call("POST", "/api/v1/merge_customers", {"primary": {"id": "primary"}, "secondary": {"id": "secondary"}})
    await track.processed()

    assert await member_ids(track, segment["id"]) == ["primary"]


async def test_segments_are_private_to_their_workspace(track: TrackDriver) -> None:
    segment = await create(track)
    other = await new_workspace(track.services, name="other")

    assert (await track.client.get(f"/v1/segments/{segment['id']}", headers=app_auth(other))).status_code == 404
    assert (await track.client.get("/v1/segments", headers=app_auth(other))).json() == {"segments": []}
    listed = (await track.app_get("/v1/segments")).json()["segments"]
    assert [(s["name"], s["type"], s["state"]) for s in listed] == [("VIPs", "manual", "finished")]
