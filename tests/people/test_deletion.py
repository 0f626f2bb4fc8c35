"""Delete, suppress and unsuppress."""

from __future__ import annotations

from tests.factories.track import TrackDriver


async def test_deleted_person_can_be_created_again_without_history(track: TrackDriver) -> None:
    await track.identify("u1", plan="pro")
    await track.event("u1", "purchased")
    await track.processed()
    old = (await track.customer("u1"))["identifiers"]["cio_id"]

    await track.call("DELETE", "/api/v1/customers/u1")
    await track.processed()
    assert await track.customer("u1") is None

    await track.identify("u1", plan="free")
    await track.processed()
    customer = await track.customer("u1")
    assert customer["identifiers"]["cio_id"] != old
    assert customer["attributes"]["plan"] == "free"
    assert await track.activities("u1", type="event") == []


async def test_suppressed_identifiers_are_ignored_until_unsuppressed(track: TrackDriver) -> None:
    await track.identify("u1", email="ann@example.com")
    await track.processed()

    await track.call("POST", "/api/v1/customers/u1/suppress", {})
    await track.identify("u1", plan="pro")
    await track.identify("ann@example.com", plan="pro")
    await track.event("u1", "purchased")
    await track.processed()
    assert await track.customer("u1") is None
    assert await track.customer("ann@example.com", id_type="email") is None

    await track.call("POST", "/api/v1/customers/u1/unsuppress", {})
    await track.identify("ann@example.com", plan="team")
    await track.processed()
    customer = await track.customer("ann@example.com", id_type="email")
    assert customer["attributes"] == {"plan": "team", "email": "ann@example.com", "cio_id": customer["identifiers"]["cio_id"]}


async def test_suppressing_an_unknown_id_blocks_it(track: TrackDriver) -> None:
    await track.call("POST", "/api/v1/customers/never-seen/suppress", {})
    await track.identify("never-seen", plan="pro")
    await track.processed()

    assert await track.customer("never-seen") is None
