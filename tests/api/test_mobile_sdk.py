"""What the mobile SDKs send: gzip batches labelled text/plain with the write key in the body."""

from __future__ import annotations

import gzip
import json

from tests.factories.track import TrackDriver

ANDROID_CONTEXT = {
    "app": {"name": "Demo", "version": "1.2.0", "namespace": "com.demo", "build": "120"},
    "device": {"id": "d-1", "manufacturer": "Google", "model": "Pixel 8", "type": "android", "token": "fcm-token-abc"},
    "os": {"name": "Android", "version": "14"},
    "userAgent": "Customer.io Flutter Client/4.1.2 (Google Pixel 8; 34) com.demo/1.2.0",
}


def android_batch(write_key: str) -> dict:
    """The shape of a decompressed Android upload after identify with a registered token."""
    common = {"userId": "user-42", "anonymousId": "8d2c-anon", "context": ANDROID_CONTEXT, "integrations": {}}
    return {
        "batch": [
            {
                **common,
                "type": "identify",
                "messageId": "m-1",
                "timestamp": "2026-03-01T11:59:00.123Z",
                "traits": {"email": "dana@example.com", "first_name": "Dana"},
            },
            {
                **common,
                "type": "track",
                "event": "Device Created or Updated",
                "messageId": "m-2",
                "timestamp": "2026-03-01T11:59:01.000Z",
                "properties": {"device_model": "Pixel 8", "app_version": "1.2.0", "push_enabled": True},
            },
            {**common, "type": "screen", "name": "Home", "category": "", "messageId": "m-3", "properties": {"tab": "feed"}},
            {**common, "type": "track", "event": "add-to-cart", "messageId": "m-4", "properties": {"price": "29.99"}},
        ],
        "sentAt": "2026-03-01T11:59:30.456Z",
        "writeKey": write_key,
    }


async def upload(track: TrackDriver, path: str, body: dict) -> int:
    response = await track.client.post(
        path,
        content=gzip.compress(json.dumps(body).encode()),
        headers={"Content-Type": "text/plain", "Content-Encoding": "gzip", "User-Agent": "analytics-kotlin/1.24.1"},
    )
    return response.status_code


async def test_android_batch_identifies_registers_the_device_and_records_activity(track: TrackDriver) -> None:
    assert await upload(track, "/v1/b", android_batch(track.workspace.cdp_api_key)) == 200
    await track.processed()

    customer = await track.customer("user-42")
    assert customer["identifiers"]["email"] == "dana@example.com"
    (device,) = customer["devices"]
    assert (device["id"], device["platform"]) == ("fcm-token-abc", "android")
    assert device["attributes"]["push_enabled"] is True
    names = [(a["type"], a["name"]) for a in await track.activities("user-42") if a["type"] != "attribute_change"]
    # Device Created or Updated is an operation on the person, recorded as a device update, not an event.
    assert sorted(names) == [("device_update", "fcm-token-abc"), ("event", "add-to-cart"), ("screen", "Home")]


async def test_resent_batch_is_applied_once(track: TrackDriver) -> None:
    body = android_batch(track.workspace.cdp_api_key)
    assert await upload(track, "/b", body) == 200
    assert await upload(track, "/b", body) == 200  # the SDK resends a batch after a timeout
    await track.processed()

    assert len(await track.activities("user-42", type="screen")) == 1


async def test_unknown_write_key_in_body_is_not_applied(track: TrackDriver) -> None:
    assert await upload(track, "/v1/b", android_batch("not-a-key")) == 200
    await track.processed()

    assert await track.customer("user-42") is None


async def test_settings_name_the_customerio_destination(track: TrackDriver) -> None:
    key = track.workspace.cdp_api_key

    response = await track.client.get(f"/v1/projects/{key}/settings")

    assert response.status_code == 200
    settings = response.json()
    assert settings["integrations"]["Customer.io Data Pipelines"] == {"apiKey": key}
    assert "apiHost" not in settings["integrations"]["Customer.io Data Pipelines"]
    assert (await track.client.get(f"/projects/{key}/settings")).json() == settings
    assert (await track.client.get("/v1/projects/unknown/settings")).status_code == 401
