"""The Pipelines API over HTTP: write-key auth, every call type applied end to end, lax and strict errors."""

from __future__ import annotations

import base64
import gzip
import json
import logging
from typing import Any

import httpx
import pytest

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver
from tidings.clock import ManualClock
from tidings.services import Services
from tidings.workspaces import NewWorkspace, set_workspace_limits

STRICT = {"X-Strict-Mode": "1"}


def write_key_auth(workspace: NewWorkspace) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{workspace.cdp_api_key}:".encode()).decode()}


async def send(
    track: TrackDriver, path: str, body: Any, *, headers: dict[str, str] | None = None, status: int = 200
) -> httpx.Response:
    response = await track.client.post(
        f"/v1/{path}", json=body, headers={**write_key_auth(track.workspace), **(headers or {})}
    )
    assert response.status_code == status, response.text
    return response


async def test_identify_then_read_back(track: TrackDriver) -> None:
    response = await send(track, "identify", {"userId": "u1", "traits": {"plan": "pro", "email": "u1@x.test"}})
    assert response.json() == {}
    await track.processed()
    customer = await track.customer("u1")
    assert customer is not None
    assert customer["attributes"]["plan"] == "pro"
    assert customer["identifiers"]["email"] == "u1@x.test"


async def test_email_looking_user_id_is_the_email(track: TrackDriver) -> None:
    await send(track, "i", {"userId": "Ann@X.test", "traits": {"first_name": "Ann"}})
    await track.processed()
    customer = await track.customer("ann@x.test", id_type="email")
    assert customer is not None
    assert customer["identifiers"]["email"] == "Ann@X.test"
    assert customer["attributes"]["first_name"] == "Ann"


async def test_track_page_and_screen_become_activities(track: TrackDriver) -> None:
    await send(track, "identify", {"userId": "u1"})
    await send(track, "track", {"userId": "u1", "event": "Purchased", "properties": {"price": 3}})
    await send(track, "p", {"userId": "u1", "properties": {"url": "https://x.test/home"}})
    await send(track, "screen", {"userId": "u1", "name": "Cart"})
    await track.processed()
    activities = {(a["type"], a["name"]) for a in await track.activities("u1")}
    assert {("event", "Purchased"), ("page", "https://x.test/home"), ("screen", "Cart")} <= activities


async def test_anonymous_events_merge_on_identify(track: TrackDriver) -> None:
    await send(track, "t", {"anonymousId": "anon-1", "event": "Browsed"})
    await send(track, "identify", {"userId": "u1", "anonymousId": "anon-1"})
    await track.processed()
    assert ("event", "Browsed") in {(a["type"], a["name"]) for a in await track.activities("u1")}


async def test_alias_merges_previous_id_into_user_id(track: TrackDriver) -> None:
    await send(track, "identify", {"userId": "old", "traits": {"color": "red"}})
    await send(track, "identify", {"userId": "new", "traits": {"size": "L"}})
    await track.processed()
    await send(track, "alias", {"userId": "new", "previousId": "old"})
    await track.processed()
    assert await track.customer("old") is None
    merged = await track.customer("new")
    assert merged is not None
    assert (merged["attributes"]["color"], merged["attributes"]["size"]) == ("red", "L")


async def test_device_semantic_events(track: TrackDriver) -> None:
    await send(track, "identify", {"userId": "u1"})
    await send(
        track,
        "track",
        {
            "userId": "u1",
            "event": "Device Created or Updated",
            "context": {"device": {"token": "tok-1", "type": "ios"}},
            "properties": {"app_version": "2.0"},
        },
    )
    await track.processed()
    customer = await track.customer("u1")
    assert customer is not None
    assert [d["id"] for d in customer["devices"]] == ["tok-1"]
    assert ("event", "Device Created or Updated") not in {(a["type"], a["name"]) for a in await track.activities("u1")}

    await send(track, "track", {"userId": "u1", "event": "Device Deleted", "context": {"device": {"token": "tok-1"}}})
    await track.processed()
    customer = await track.customer("u1")
    assert customer is not None and customer["devices"] == []


async def test_user_deleted(track: TrackDriver) -> None:
    await send(track, "identify", {"userId": "u1"})
    await track.processed()
    await send(track, "track", {"userId": "u1", "event": "User Deleted"})
    await track.processed()
    assert await track.customer("u1") is None


async def test_batch_applies_each_call_in_order(track: TrackDriver) -> None:
    body = {
        "batch": [
            {"type": "identify", "userId": "u1", "traits": {"plan": "pro"}},
            {"type": "track", "userId": "u1", "event": "Signed Up"},
            {"type": "group", "userId": "u1", "groupId": "acme"},
            {"type": "track", "userId": "u1"},  # no event name: dropped in lax mode, the rest applies
        ],
        "sentAt": "2026-03-01T12:00:00Z",
    }
    await send(track, "batch", body)
    await track.processed()
    customer = await track.customer("u1")
    assert customer is not None and customer["attributes"]["plan"] == "pro"
    assert ("event", "Signed Up") in {(a["type"], a["name"]) for a in await track.activities("u1")}


async def test_gzip_body(track: TrackDriver) -> None:
    payload = gzip.compress(json.dumps({"userId": "u1", "traits": {"plan": "gz"}}).encode())
    response = await track.client.post(
        "/v1/identify",
        content=payload,
        headers={**write_key_auth(track.workspace), **STRICT, "Content-Encoding": "gzip", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    await track.processed()
    customer = await track.customer("u1")
    assert customer is not None and customer["attributes"]["plan"] == "gz"


async def test_message_id_repeat_is_dropped(track: TrackDriver, clock: ManualClock) -> None:
    await send(track, "identify", {"userId": "u1"})
    await send(track, "track", {"userId": "u1", "event": "Once", "messageId": "m-1"})
    clock.advance(minutes=5)
    await send(track, "track", {"userId": "u1", "event": "Once", "messageId": "m-1"})
    await track.processed()
    assert [a["name"] for a in await track.activities("u1", type="event")] == ["Once"]


_STRICT_ERRORS = [
    pytest.param("identify", {"traits": {}}, "userId or anonymousId is required", id="no-user"),
    pytest.param("track", {"userId": "u1"}, "event is required", id="no-event"),
    pytest.param("alias", {"userId": "u1"}, "previousId is required", id="no-previous-id"),
    pytest.param("screen", {"userId": "u1"}, "name is required", id="no-screen-name"),
    pytest.param("batch", {"batch": [{"type": "track", "userId": "u1"}]}, "batch[0]: event is required", id="batch"),
]


@pytest.mark.parametrize(("path", "body", "message"), _STRICT_ERRORS)
async def test_strict_mode_names_the_missing_field(
    track: TrackDriver, services: Services, path: str, body: dict[str, Any], message: str
) -> None:
    response = await send(track, path, body, headers=STRICT, status=400)
    assert response.json() == {"code": 400, "message": message}
    assert await track.processed() == 0


@pytest.mark.parametrize(("path", "body", "message"), _STRICT_ERRORS)
async def test_lax_mode_answers_200_and_logs_the_reason(
    track: TrackDriver, caplog: pytest.LogCaptureFixture, path: str, body: dict[str, Any], message: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="tidings.api.pipelines"):
        await send(track, path, body)
    assert message.removeprefix("batch[0]: ") in caplog.text
    assert await track.processed() == 0


async def test_strict_bad_json_encoding_and_size(track: TrackDriver) -> None:
    headers = {**write_key_auth(track.workspace), **STRICT, "Content-Type": "application/json"}
    bad_json = await track.client.post("/v1/track", content=b"{nope", headers=headers)
    assert (bad_json.status_code, bad_json.json()["code"]) == (400, 400)
    bad_gzip = await track.client.post("/v1/track", content=b"{}", headers={**headers, "Content-Encoding": "gzip"})
    assert bad_gzip.status_code == 400 and "gzip" in bad_gzip.json()["message"]
    big = json.dumps({"userId": "u1", "event": "e", "properties": {"x": "y" * 70_000}}).encode()
    too_big = await track.client.post("/v1/track", content=big, headers=headers)
    assert too_big.json() == {"code": 400, "message": "request body cannot be larger than 64 KB"}
    # A batch holds 1 MB, but each call in it is held to the call limit.
    calls = [{"type": "track", "userId": "u1", "event": "e", "properties": {"x": "y" * 60_000}} for _ in range(10)]
    fits = await track.client.post("/v1/batch", content=json.dumps({"batch": calls}).encode(), headers=headers)
    assert fits.status_code == 200
    calls[3]["properties"]["x"] += "y" * 10_000
    one_too_big = await track.client.post("/v1/batch", content=json.dumps({"batch": calls}).encode(), headers=headers)
    assert one_too_big.json() == {"code": 400, "message": "batch[3]: a call cannot be larger than 64 KB"}
    lax = await track.client.post("/v1/track", content=b"{nope", headers=write_key_auth(track.workspace))
    assert (lax.status_code, lax.json()) == (200, {})


async def test_pipelines_limits_are_raised_per_workspace(track: TrackDriver, services: Services) -> None:
    await services.db.write(
        set_workspace_limits, workspace_id=track.workspace.workspace.id, limits={"pipelines_call_bytes": 128 * 1024}
    )
    big = {"userId": "u1", "event": "big", "properties": {"x": "y" * 100_000}}

    await send(track, "track", big, headers=STRICT)
    await send(track, "batch", {"batch": [{**big, "type": "track"}]}, headers=STRICT)
    await track.processed()
    assert len(await track.activities("u1", name="big")) == 2


async def test_wrong_write_key(track: TrackDriver, services: Services) -> None:
    other = await new_workspace(services, name="other")
    wrong = {"Authorization": "Basic " + base64.b64encode(b"not-a-key:").decode()}
    body = {"userId": "u1", "traits": {"plan": "x"}}
    strict = await track.client.post("/v1/identify", json=body, headers={**wrong, **STRICT})
    assert strict.status_code == 401 and strict.json()["code"] == 401
    missing = await track.client.post("/v1/identify", json=body, headers=STRICT)
    assert missing.status_code == 401
    # The Track API's credentials are not a write key.
    site = {"Authorization": "Basic " + base64.b64encode(f"{track.workspace.site_id}:".encode()).decode()}
    assert (await track.client.post("/v1/identify", json=body, headers={**site, **STRICT})).status_code == 401
    lax = await track.client.post("/v1/identify", json=body, headers=wrong)
    assert (lax.status_code, lax.json()) == (200, {})
    await track.processed()
    assert await track.customer("u1") is None
    # Another workspace's key writes to that workspace only.
    await track.client.post("/v1/identify", json=body, headers=write_key_auth(other))
    await track.processed()
    assert await track.customer("u1") is None


# Objects and relationships


async def test_group_creates_the_object_and_relates_the_user(track: TrackDriver) -> None:
    await send(
        track,
        "group",
        {
            "userId": "u1",
            "groupId": "acme",
            "traits": {"name": "Acme", "object_type_id": "2", "relationship_traits": {"is_admin": True}},
        },
    )
    await send(track, "g", {"anonymousId": "a1", "groupId": "acme", "traits": {"objectTypeId": 2, "plan": "pro"}})
    await track.processed()

    acme = await track.object(2, "acme")
    assert acme is not None and acme["attributes"] == {"name": "Acme", "plan": "pro"}
    (relationship,) = await track.relationships("u1")
    assert (relationship["object_type_id"], relationship["attributes"]) == ("2", {"is_admin": "true"})


async def test_identify_with_object_traits_relates_the_person(track: TrackDriver) -> None:
    await send(track, "identify", {"userId": "u1", "traits": {"plan": "pro", "objectId": "acme", "relationshipAttributes": {"r": "x"}}})
    await track.processed()

    assert "objectId" not in (await track.customer("u1"))["attributes"]
    assert [r["attributes"] for r in await track.relationships("u1")] == [{"r": "x"}]


async def test_relationship_and_object_deleted_events(track: TrackDriver) -> None:
    await send(track, "group", {"userId": "u1", "groupId": "acme"})
    await send(track, "group", {"userId": "u1", "groupId": "globex"})
    await send(track, "group", {"userId": "u2", "groupId": "globex"})
    await send(track, "track", {"userId": "u1", "event": "Relationship Deleted", "properties": {"objectId": "acme"}})
    await send(track, "track", {"anonymousId": "x", "event": "Object Deleted", "properties": {"objectId": "globex", "objectTypeId": 1}})
    await track.processed()

    assert await track.relationships("u1") == [] and await track.relationships("u2") == []
    assert await track.object(1, "acme") is not None and await track.object(1, "globex") is None
    assert [a["name"] for a in await track.activities("u1", type="event")] == []  # operations, not events


async def test_group_without_group_id_is_refused_in_strict_mode(track: TrackDriver) -> None:
    response = await send(track, "group", {"userId": "u1"}, headers=STRICT, status=400)

    assert response.json() == {"code": 400, "message": "groupId is required"}
