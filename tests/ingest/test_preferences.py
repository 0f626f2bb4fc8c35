"""`cio_subscription_preferences` writes: Pipelines merges, the Track API (v1 and v2) overwrites
with the whole object, dot keys merge from every API, as Customer.io documents."""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.factories.track import TrackDriver
from tidings.ingest import preferences

STORED = {"topics": {"topic_1": True, "topic_4": True}, "channels": {"email": True, "push": False}}


def test_merge_spreads_the_object_into_one_dot_key_per_preference() -> None:
    traits = {
        "plan": "pro",
        "cio_subscription_preferences": {"topics": {"topic_1": False}, "channels": {"sms": True}},
    }

    assert preferences.merge_preferences(traits) == {
        "plan": "pro",
        "cio_subscription_preferences.topics.topic_1": False,
        "cio_subscription_preferences.channels.sms": True,
    }


def test_merge_keeps_an_empty_map_whole_so_it_resets_that_map() -> None:
    assert preferences.merge_preferences({"cio_subscription_preferences": {"topics": {}}}) == {
        "cio_subscription_preferences.topics": {}
    }


def test_a_json_string_overwrites_from_every_api() -> None:
    encoded = json.dumps({"topics": {"topic_2": False}})

    assert preferences.merge_preferences({"cio_subscription_preferences": encoded}) == {
        "cio_subscription_preferences": {"topics": {"topic_2": False}}
    }
    assert preferences.replace_preferences({"cio_subscription_preferences": encoded}) == {
        "cio_subscription_preferences": {"topics": {"topic_2": False}}
    }


def test_other_values_pass_through_unchanged() -> None:
    for traits in (
        {},
        {"cio_subscription_preferences": None},
        {"cio_subscription_preferences": "not json"},
        {"plan": "pro"},
    ):
        assert preferences.merge_preferences(traits) == traits
        assert preferences.replace_preferences(traits) == traits


def _write_key(track: TrackDriver) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{track.workspace.cdp_api_key}:".encode()).decode()}


async def _stored(track: TrackDriver, identifier: str = "ann") -> dict[str, Any]:
    await track.processed()
    customer = await track.customer(identifier)
    assert customer is not None
    return json.loads(customer["attributes"].get("cio_subscription_preferences", "null") or "null")


async def _pipelines_identify(track: TrackDriver, traits: dict[str, Any]) -> None:
    response = await track.client.post(
        "/v1/identify", json={"userId": "ann", "traits": traits}, headers=_write_key(track)
    )
    assert response.status_code == 200, response.text


async def _v2_identify(track: TrackDriver, attributes: dict[str, Any]) -> None:
    response = await track.entities(
        {"type": "person", "identifiers": {"id": "ann"}, "action": "identify", "attributes": attributes}
    )
    assert response.status_code == 200, response.text


async def test_pipelines_identify_merges_and_keeps_what_it_does_not_name(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await _pipelines_identify(
        track, {"cio_subscription_preferences": {"topics": {"topic_1": False, "topic_2": True}}}
    )

    assert await _stored(track) == {
        "topics": {"topic_1": False, "topic_2": True, "topic_4": True},
        "channels": {"email": True, "push": False},
    }


async def test_pipelines_identify_with_an_empty_topics_object_resets_the_topics(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await _pipelines_identify(track, {"cio_subscription_preferences": {"topics": {}}})

    assert await _stored(track) == {"topics": {}, "channels": {"email": True, "push": False}}


async def test_track_v1_identify_with_the_whole_object_overwrites(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await track.identify("ann", cio_subscription_preferences={"topics": {"topic_2": False}})

    assert await _stored(track) == {"topics": {"topic_2": False}}


async def test_track_v2_identify_with_the_whole_object_overwrites(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await _v2_identify(track, {"cio_subscription_preferences": {"channels": {"sms": False}}})

    assert await _stored(track) == {"channels": {"sms": False}}


async def test_dot_keys_merge_through_track_v1_and_v2(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await track.call("PUT", "/api/v1/customers/ann", {"cio_subscription_preferences.topics.topic_4": False})
    await _v2_identify(
        track,
        {
            "cio_subscription_preferences.channels.push": True,
            "cio_subscription_preferences.topics.topic_9": True,
        },
    )

    assert await _stored(track) == {
        "topics": {"topic_1": True, "topic_4": False, "topic_9": True},
        "channels": {"email": True, "push": True},
    }


async def test_a_dot_key_set_to_null_reverts_that_preference_to_its_default(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await _pipelines_identify(track, {"cio_subscription_preferences.topics.topic_1": None})

    assert await _stored(track) == {"topics": {"topic_4": True}, "channels": {"email": True, "push": False}}


async def test_a_json_string_from_the_classic_javascript_snippet_overwrites(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await track.identify("ann", cio_subscription_preferences=json.dumps({"topics": {"topic_3": True}}))

    assert await _stored(track) == {"topics": {"topic_3": True}}


async def test_one_merge_is_one_attribute_change_in_the_activity(track: TrackDriver) -> None:
    await track.identify("ann", cio_subscription_preferences=STORED)
    await _pipelines_identify(
        track, {"cio_subscription_preferences": {"topics": {"topic_1": False, "topic_2": True}}}
    )
    await track.processed()

    changes = await track.activities("ann", type="attribute_change", name="cio_subscription_preferences")

    assert len(changes) == 2
    assert changes[0]["data"]["from"] == STORED
    assert changes[0]["data"]["to"]["topics"] == {"topic_1": False, "topic_2": True, "topic_4": True}


async def test_segments_read_a_preference_at_its_path(track: TrackDriver) -> None:
    condition = {
        "type": "attribute",
        "field": "cio_subscription_preferences.topics.topic_4",
        "operator": "eq",
        "value": False,
    }
    await track.identify("ann", cio_subscription_preferences=STORED)
    await track.identify("bob", cio_subscription_preferences={"topics": {"topic_4": False}})
    await track.processed()

    response = await track.client.post(
        "/v1/segments/preview",
        json={"conditions": condition},
        headers={"Authorization": f"Bearer {track.workspace.app_api_key}"},
    )

    assert response.json() == {"count": 1}
