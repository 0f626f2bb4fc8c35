"""Identify through the Track API: creating, updating and re-identifying people as Customer.io does."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import new_workspace
from tests.factories.track import TrackDriver
from tidings.clock import ManualClock, to_unix
from tidings.workspaces import IdentifierMode


async def test_identify_creates_person_with_attributes_as_strings(track: TrackDriver) -> None:
    await track.identify("u1", email="Ann@Example.com", plan="pro", seats=5, vip=True)
    await track.processed()

    customer = await track.customer("u1")

    assert customer["identifiers"]["email"] == "Ann@Example.com"
    assert customer["attributes"]["plan"] == "pro"
    assert customer["attributes"]["seats"] == "5"
    assert customer["attributes"]["vip"] == "true"
    assert customer["unsubscribed"] is False


async def test_email_identifier_matches_case_insensitively(track: TrackDriver) -> None:
    await track.identify("ann@example.com", plan="free")
    await track.identify("ANN@EXAMPLE.COM", plan="pro")
    await track.processed()

    response = await track.client.get(
        "/v1/customers", params={"email": "Ann@example.COM"}, headers={"Authorization": f"Bearer {track.workspace.app_api_key}"}
    )

    results = response.json()["results"]
    assert len(results) == 1
    customer = await track.customer(results[0]["cio_id"], id_type="cio_id")
    assert customer["attributes"]["plan"] == "pro"


async def test_id_is_case_sensitive(track: TrackDriver) -> None:
    await track.identify("ab100", plan="a")
    await track.identify("AB100", plan="b")
    await track.processed()

    assert (await track.customer("ab100"))["attributes"]["plan"] == "a"
    assert (await track.customer("AB100"))["attributes"]["plan"] == "b"


async def test_empty_value_removes_attribute(track: TrackDriver) -> None:
    await track.identify("u1", plan="pro", nickname="al")
    await track.identify("u1", plan="", nickname=None)
    await track.processed()

    attributes = (await track.customer("u1"))["attributes"]
    assert "plan" not in attributes
    assert "nickname" not in attributes


async def test_older_timestamp_does_not_overwrite_newer_value(track: TrackDriver, clock: ManualClock) -> None:
    now = to_unix(clock.now())
    await track.identify("u1", plan="new", _timestamp=now)
    await track.identify("u1", plan="old", _timestamp=now - 3600)
    await track.processed()

    customer = await track.customer("u1")
    assert customer["attributes"]["plan"] == "new"
    assert customer["timestamps"]["plan"] == now


async def test_update_only_never_creates(track: TrackDriver) -> None:
    await track.identify("ghost", plan="pro", _update=True)
    await track.identify("u1", plan="free")
    await track.identify("u1", plan="pro", _update=True)
    await track.processed()

    assert await track.customer("ghost") is None
    assert (await track.customer("u1"))["attributes"]["plan"] == "pro"


async def test_unsubscribed_truthiness(track: TrackDriver) -> None:
    values = {"a": "TRUE", "b": 1, "c": "1", "d": "yes", "e": False, "f": "false"}
    for identifier, value in values.items():
        await track.identify(identifier, unsubscribed=value)
    await track.processed()

    flags = {identifier: (await track.customer(identifier))["unsubscribed"] for identifier in values}
    assert flags == {"a": True, "b": True, "c": True, "d": False, "e": False, "f": False}


async def test_cio_id_path_changes_id_and_email(track: TrackDriver) -> None:
    await track.identify("old-id", email="old@example.com")
    await track.processed()
    cio_id = (await track.customer("old-id"))["identifiers"]["cio_id"]

    await track.identify(f"cio_{cio_id}", id="new-id", email="new@example.com")
    await track.processed()

    assert await track.customer("old-id") is None
    customer = await track.customer("new-id")
    assert customer["identifiers"] == {"id": "new-id", "email": "new@example.com", "cio_id": cio_id}


async def test_cio_id_never_creates_a_person(track: TrackDriver) -> None:
    await track.identify("cio_doesnotexist", plan="pro")
    await track.processed()

    assert await track.customer("doesnotexist", id_type="cio_id") is None


async def test_id_path_cannot_change_an_existing_id(track: TrackDriver) -> None:
    await track.identify("u1", plan="pro")
    await track.identify("u1", id="u2", plan="team")
    await track.processed()

    assert await track.customer("u2") is None
    assert (await track.customer("u1"))["attributes"]["plan"] == "team"
    failed = await track.activities("u1", type="failed_attribute_change")
    assert [a["name"] for a in failed] == ["id"]


async def test_id_path_sets_email_then_updates_it(track: TrackDriver) -> None:
    await track.identify("u1")
    await track.identify("u1", email="first@example.com")
    await track.identify("u1", email="second@example.com")
    await track.processed()

    assert (await track.customer("u1"))["identifiers"]["email"] == "second@example.com"


async def test_email_path_adds_id_to_person_without_one(track: TrackDriver) -> None:
    await track.identify("ann@example.com", plan="pro")
    await track.identify("ann@example.com", id="ann")
    await track.processed()

    customer = await track.customer("ann")
    assert customer["identifiers"]["email"] == "ann@example.com"
    assert customer["attributes"]["plan"] == "pro"


async def test_id_and_email_of_two_mergeable_people_merge_into_the_older(track: TrackDriver, clock: ManualClock) -> None:
    await track.identify("u1", plan="pro")
    await track.processed()
    clock.advance(timedelta(minutes=1))
    await track.identify("ann@example.com", city="Oslo")
    await track.event("ann@example.com", "signed_up")
    await track.processed()
    older = (await track.customer("u1"))["identifiers"]["cio_id"]

    await track.identify("u1", email="ann@example.com")
    await track.processed()

    customer = await track.customer("u1")
    assert customer["identifiers"] == {"id": "u1", "email": "ann@example.com", "cio_id": older}
    assert customer["attributes"]["city"] == "Oslo"
    names = [a["name"] for a in await track.activities("u1", type="event")]
    assert names == ["signed_up"]


async def test_id_and_email_of_two_unmergeable_people_change_nothing(track: TrackDriver) -> None:
    await track.identify("u1", email="one@example.com")
    await track.identify("u2", email="two@example.com")
    await track.processed()

    await track.identify("u1", email="two@example.com", plan="pro")
    await track.processed()

    assert (await track.customer("u1"))["identifiers"]["email"] == "one@example.com"
    assert "plan" not in (await track.customer("u1"))["attributes"]


async def test_id_only_workspace_treats_email_as_plain_attribute(track: TrackDriver) -> None:
    created = await new_workspace(track.services, identifier_mode=IdentifierMode.ID_ONLY)
    driver = TrackDriver(track.client, track.services, created)

    await driver.identify("ann@example.com", plan="pro")
    await driver.identify("u1", email="shared@example.com")
    await driver.identify("u2", email="shared@example.com")
    await driver.processed()

    assert (await driver.customer("ann@example.com"))["identifiers"]["id"] == "ann@example.com"
    assert (await driver.customer("u1"))["identifiers"]["email"] == "shared@example.com"
    assert (await driver.customer("u2"))["identifiers"]["email"] == "shared@example.com"


async def test_attribute_changes_are_recorded_in_activity(track: TrackDriver) -> None:
    await track.identify("u1", plan="free")
    await track.identify("u1", plan="pro")
    await track.processed()

    changes = await track.activities("u1", type="attribute_change", name="plan")

    assert [c["data"] for c in changes] == [{"from": "free", "to": "pro"}, {"from": None, "to": "free"}]


async def test_subscription_preference_dot_keys_set_one_leaf(track: TrackDriver) -> None:
    await track.identify("u1", cio_subscription_preferences={"topics": {"topic_1": True, "topic_2": True}})
    await track.call("PUT", "/api/v1/customers/u1", {"cio_subscription_preferences.topics.topic_2": False})
    await track.processed()

    preferences = (await track.customer("u1"))["attributes"]["cio_subscription_preferences"]
    assert preferences == '{"topics":{"topic_1":true,"topic_2":false}}'
