"""Merging people with merge_customers: primary wins, secondary fills the gaps and goes away."""

from __future__ import annotations

from tests.factories.track import TrackDriver


async def merge(track: TrackDriver, primary: dict, secondary: dict) -> None:
    await track.call("POST", "/api/v1/merge_customers", {"primary": primary, "secondary": secondary})
    await track.processed()


async def test_secondary_fills_missing_attributes_and_primary_wins_conflicts(track: TrackDriver) -> None:
    await track.identify("p", plan="pro", city="")
    await track.identify("s", email="s@example.com", plan="free", city="Oslo", age=30)
    await track.event("s", "signed_up")
    await track.processed()

    await merge(track, {"id": "p"}, {"email": "S@example.com"})

    assert await track.customer("s") is None
    customer = await track.customer("p")
    assert customer["attributes"]["plan"] == "pro"
    assert customer["attributes"]["city"] == "Oslo"
    assert customer["attributes"]["age"] == "30"
    assert customer["identifiers"]["email"] == "s@example.com"
    assert [a["name"] for a in await track.activities("p", type="event")] == ["signed_up"]
    (merged,) = await track.activities("p", type="profile_merge")
    assert merged["data"]["secondary"]["id"] == "s"


async def test_merge_moves_devices(track: TrackDriver) -> None:
    await track.identify("p")
    await track.call("PUT", "/api/v1/customers/s/devices", {"device": {"id": "tok-s", "platform": "ios"}})
    await track.processed()

    await merge(track, {"id": "p"}, {"id": "s"})

    assert [d["id"] for d in (await track.customer("p"))["devices"]] == ["tok-s"]


async def test_merge_with_missing_primary_does_nothing(track: TrackDriver) -> None:
    await track.identify("s", plan="free")
    await track.processed()

    await merge(track, {"id": "nobody"}, {"id": "s"})

    assert await track.customer("nobody") is None
    assert (await track.customer("s"))["attributes"]["plan"] == "free"


async def test_merge_by_cio_id(track: TrackDriver) -> None:
    await track.identify("p")
    await track.identify("s", plan="free")
    await track.processed()
    secondary = (await track.customer("s"))["identifiers"]["cio_id"]

    await merge(track, {"id": "p"}, {"cio_id": secondary})

    assert (await track.customer("p"))["attributes"]["plan"] == "free"
