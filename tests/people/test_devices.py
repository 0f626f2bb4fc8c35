"""Devices: upsert by token, last_used, and at most 25 per person."""

from __future__ import annotations

from tests.factories.track import TrackDriver
from tidings.clock import ManualClock, to_unix


async def put_device(track: TrackDriver, identifier: str, device: dict) -> None:
    await track.call("PUT", f"/api/v1/customers/{identifier}/devices", {"device": device})


async def test_device_is_upserted_by_token(track: TrackDriver, clock: ManualClock) -> None:
    await put_device(track, "u1", {"id": "tok", "platform": "ios", "attributes": {"app_version": "1.0"}})
    await put_device(track, "u1", {"id": "tok", "platform": "ios", "last_used": 1700000000, "push_enabled": "true"})
    await track.processed()

    (device,) = (await track.customer("u1"))["devices"]
    assert device["id"] == "tok"
    assert device["last_used"] == 1700000000
    assert device["attributes"] == {"app_version": "1.0", "push_enabled": "true"}


async def test_last_used_defaults_to_the_time_of_the_call(track: TrackDriver, clock: ManualClock) -> None:
    await put_device(track, "u1", {"id": "tok", "platform": "android"})
    await track.processed()

    assert (await track.customer("u1"))["devices"][0]["last_used"] == to_unix(clock.now())


async def test_twenty_sixth_device_evicts_the_least_recently_used(track: TrackDriver) -> None:
    for n in range(26):
        await put_device(track, "u1", {"id": f"tok-{n}", "platform": "ios", "last_used": 1700000000 + (n + 7) % 26})
    await track.processed()

    tokens = {d["id"] for d in (await track.customer("u1"))["devices"]}
    assert len(tokens) == 25
    assert "tok-19" not in tokens  # (19 + 7) % 26 == 0: the oldest last_used


async def test_deleted_device_is_gone(track: TrackDriver) -> None:
    await put_device(track, "u1", {"id": "tok-a", "platform": "ios"})
    await put_device(track, "u1", {"id": "tok-b", "platform": "ios"})
    await track.call("DELETE", "/api/v1/customers/u1/devices/tok-a")
    await track.processed()

    assert [d["id"] for d in (await track.customer("u1"))["devices"]] == ["tok-b"]
