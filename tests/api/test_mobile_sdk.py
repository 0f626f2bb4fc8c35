"""What the mobile SDKs send: gzip batches labelled text/plain with the write key in the body."""

from __future__ import annotations

import gzip
import json
import uuid

from tests.factories.track import TrackDriver
from tidings.clock import ManualClock

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


def flutter_session_batch(write_key: str) -> dict:
    """A fresh install, a profile switch from Dana to Sam, a screen and push metrics (spec-sdk-contracts §7)."""
    device = {"token": "fcm-abc", "type": "android", "model": "Pixel 8"}
    context = {**ANDROID_CONTEXT, "device": device}

    def call(n: int, **fields: object) -> dict:
        return {"anonymousId": "anon-1", "context": context, "messageId": f"s-{n}", **fields}

    return {
        "batch": [
            call(1, type="track", event="Application Installed", properties={"version": "1.2.0", "build": "120"}),
            call(2, type="track", event="Application Opened", properties={"from_background": False}),
            call(3, type="identify", userId="dana@example.com", traits={"first_name": "Dana"}),
            call(4, type="track", event="Device Created or Updated", userId="dana@example.com", properties={"push_enabled": True}),
            # clearIdentify, then identify as Sam: the device moves.
            call(5, type="track", event="Device Deleted", userId="dana@example.com", properties={}),
            call(6, type="identify", userId="sam@example.com", traits={}),
            call(7, type="track", event="Device Created or Updated", userId="sam@example.com", properties={"push_enabled": True}),
            call(8, type="screen", userId="sam@example.com", name="Settings", category="", properties={"source": "Dashboard"}),
            call(9, type="track", event="Report Delivery Event", properties={"recipient": "fcm-abc", "metric": "opened", "deliveryId": "dlv-123"}),
            call(10, type="track", event="Report Delivery Event", userId="sam@example.com", properties={"metric": "clicked", "deliveryId": "dlv_abc", "actionName": "Enable push", "actionValue": "myapp://settings/push"}),
            call(11, type="track", event="Application Backgrounded", userId="sam@example.com", properties={}),
        ],
        "sentAt": "2026-03-01T11:59:30.456Z",
        "writeKey": write_key,
    }


async def test_profile_switch_moves_the_device_and_metrics_are_kept_by_delivery(track: TrackDriver) -> None:
    assert await upload(track, "/v1/b", flutter_session_batch(track.workspace.cdp_api_key)) == 200
    await track.processed()

    dana, sam = await track.customer("dana@example.com", "email"), await track.customer("sam@example.com", "email")
    assert dana["devices"] == []
    assert [(d["id"], d["attributes"]["push_enabled"]) for d in sam["devices"]] == [("fcm-abc", True)]
    # Anonymous lifecycle events joined Dana, who identified with their anonymous id first.
    assert {a["name"] for a in await track.activities("dana@example.com", "email", type="event")} == {
        "Application Installed",
        "Application Opened",
    }
    sam_events = [(a["type"], a["name"]) for a in await track.activities("sam@example.com", "email") if a["type"] in ("event", "screen")]
    assert sorted(sam_events) == [("event", "Application Backgrounded"), ("screen", "Settings")]
    (opened,) = await track.delivery_reports("dlv-123")
    assert (opened.metric, opened.recipient) == ("opened", "fcm-abc")
    (clicked,) = await track.delivery_reports("dlv_abc")
    assert clicked.details == {"actionName": "Enable push", "actionValue": "myapp://settings/push"}


def anonymous_calls(write_key: str, *calls: dict) -> dict:
    """A batch from an app nobody has signed in to yet: every call carries only the anonymous id."""
    context = {**ANDROID_CONTEXT, "device": {**ANDROID_CONTEXT["device"], "token": "fcm-early"}}
    batch = [{"anonymousId": "anon-9", "context": context, "messageId": str(uuid.uuid4()), **call} for call in calls]
    return {"batch": batch, "sentAt": "2026-03-01T11:59:30.456Z", "writeKey": write_key}


DEVICE_REGISTERED = {"type": "track", "event": "Device Created or Updated", "properties": {"push_enabled": True}}


async def anonymous_devices(track: TrackDriver) -> list[dict]:
    response = await track.app_get("/v1/anonymous/anon-9/activities")
    assert response.status_code == 200, response.text
    return response.json()["devices"]


async def test_device_registered_before_sign_in_joins_the_person_who_signs_in(track: TrackDriver) -> None:
    key = track.workspace.cdp_api_key
    assert await upload(track, "/v1/b", anonymous_calls(key, DEVICE_REGISTERED)) == 200
    await track.processed()
    assert [(d["id"], d["platform"]) for d in await anonymous_devices(track)] == [("fcm-early", "android")]

    sign_in = {"type": "identify", "userId": "user-7", "traits": {"email": "kim@example.com"}}
    assert await upload(track, "/v1/b", anonymous_calls(key, sign_in)) == 200
    await track.processed()

    customer = await track.customer("user-7")
    assert customer is not None
    (device,) = customer["devices"]
    assert (device["id"], device["platform"], device["attributes"]["push_enabled"]) == ("fcm-early", "android", True)
    assert await anonymous_devices(track) == []


async def test_device_deleted_before_sign_in_does_not_join_the_person(track: TrackDriver) -> None:
    key = track.workspace.cdp_api_key
    deleted = {"type": "track", "event": "Device Deleted", "properties": {}}
    sign_in = {"type": "identify", "userId": "user-7", "traits": {}}
    assert await upload(track, "/v1/b", anonymous_calls(key, DEVICE_REGISTERED, deleted, sign_in)) == 200
    await track.processed()

    customer = await track.customer("user-7")
    assert customer is not None and customer["devices"] == []


async def test_device_registered_soon_after_the_merge_joins_the_person_and_later_stays_anonymous(
    track: TrackDriver, clock: ManualClock
) -> None:
    key = track.workspace.cdp_api_key
    sign_in = {"type": "identify", "userId": "user-7", "traits": {}}
    assert await upload(track, "/v1/b", anonymous_calls(key, sign_in)) == 200
    await track.processed()

    clock.advance(minutes=4)
    assert await upload(track, "/v1/b", anonymous_calls(key, DEVICE_REGISTERED)) == 200
    await track.processed()
    customer = await track.customer("user-7")
    assert customer is not None and [d["id"] for d in customer["devices"]] == ["fcm-early"]

    clock.advance(minutes=2)
    later = {**DEVICE_REGISTERED, "context": {**ANDROID_CONTEXT, "device": {"token": "fcm-later", "type": "android"}}}
    assert await upload(track, "/v1/b", anonymous_calls(key, later)) == 200
    await track.processed()
    customer = await track.customer("user-7")
    assert customer is not None and [d["id"] for d in customer["devices"]] == ["fcm-early"]
    assert [d["id"] for d in await anonymous_devices(track)] == ["fcm-later"]


async def test_devices_of_anonymous_ids_nobody_signs_in_with_are_forgotten_after_30_days(
    track: TrackDriver, clock: ManualClock
) -> None:
    assert await upload(track, "/v1/b", anonymous_calls(track.workspace.cdp_api_key, DEVICE_REGISTERED)) == 200
    await track.processed()

    clock.advance(days=30, seconds=1)
    await track.services.scheduler.run_once()

    assert await anonymous_devices(track) == []
