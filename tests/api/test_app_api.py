"""App API read-back edges: identifiers no one can have, and identifiers with slashes."""

from __future__ import annotations

import httpx

from tests.factories.track import TrackDriver, app_auth


async def test_identifier_with_nul_is_simply_not_found(track: TrackDriver, client: httpx.AsyncClient) -> None:
    headers = app_auth(track.workspace)

    assert (await client.get("/v1/customers/a%00b/attributes", headers=headers)).status_code == 404
    assert (await client.get("/v1/customers", params={"email": "a\x00@x.com"}, headers=headers)).json() == {"results": []}


async def test_activity_filter_with_nul_is_refused(track: TrackDriver, client: httpx.AsyncClient) -> None:
    await track.identify("u1")
    await track.processed()

    response = await client.get("/v1/customers/u1/activities", params={"name": "a\x00"}, headers=app_auth(track.workspace))

    assert response.status_code == 400
    assert response.json()["meta"]["error"] == "name cannot contain null characters"


async def test_device_token_with_slash_can_be_deleted(track: TrackDriver) -> None:
    await track.call("PUT", "/api/v1/customers/a%2Fb/devices", {"device": {"id": "tok/1", "platform": "ios"}})
    await track.call("PUT", "/api/v1/customers/a%2Fb/devices", {"device": {"id": "tok/2", "platform": "ios"}})
    await track.call("DELETE", "/api/v1/customers/a%2Fb/devices/tok%2F1")
    await track.processed()

    assert [d["id"] for d in (await track.customer("a%2Fb"))["devices"]] == ["tok/2"]
