"""The subscription center through the App API: topics and channels, enabling the center, a
person's computed preferences and the link to their preferences page."""

from __future__ import annotations

import json

from tests.conftest import new_workspace
from tests.factories.subscriptions import add_channel, add_topic, enable_center, preferences
from tests.factories.track import TrackDriver, app_auth
from tidings.services import Services


async def test_topics_are_numbered_from_one_per_workspace_in_customer_io_shape(
    track: TrackDriver, services: Services
) -> None:
    other = TrackDriver(track.client, services, await new_workspace(services))
    await add_topic(other, "Elsewhere")
    first = await add_topic(track, "Offers", description="Deals and discounts")
    second = await add_topic(track, "Product updates", subscribed_by_default=False)

    listed = (await track.app_get("/v1/subscription_topics")).json()["topics"]

    assert (first["id"], second["id"]) == (1, 2)
    assert [
        {k: t[k] for k in ("id", "identifier", "name", "description", "subscribed_by_default")}
        for t in listed
    ] == [
        {
            "id": 1,
            "identifier": "topic_1",
            "name": "Offers",
            "description": "Deals and discounts",
            "subscribed_by_default": True,
        },
        {
            "id": 2,
            "identifier": "topic_2",
            "name": "Product updates",
            "description": "",
            "subscribed_by_default": False,
        },
    ]


async def test_a_deleted_topic_id_is_never_given_again(track: TrackDriver) -> None:
    await add_topic(track, "Offers")
    doomed = await add_topic(track, "Doomed")

    deleted = await track.client.delete(
        f"/v1/subscription_topics/{doomed['id']}", headers=app_auth(track.workspace)
    )
    after = await add_topic(track, "News")

    assert deleted.status_code == 200
    assert after["id"] == 3
    assert (await track.app_get(f"/v1/subscription_topics/{doomed['id']}")).status_code == 404


async def test_a_topic_is_renamed_but_its_default_status_is_fixed(track: TrackDriver) -> None:
    topic = await add_topic(track, "Offers")
    path, headers = f"/v1/subscription_topics/{topic['id']}", app_auth(track.workspace)

    renamed = await track.client.put(
        path, json={"topic": {"name": "Deals", "description": "Weekly"}}, headers=headers
    )
    flipped = await track.client.put(path, json={"topic": {"subscribed_by_default": False}}, headers=headers)

    assert renamed.json()["topic"]["name"] == "Deals" and renamed.json()["topic"]["description"] == "Weekly"
    assert flipped.status_code == 400
    assert (
        flipped.json()["meta"]["error"] == "subscribed_by_default cannot be changed after the topic is added"
    )


async def test_bad_topics_and_channels_are_refused_naming_the_problem(track: TrackDriver) -> None:
    headers = app_auth(track.workspace)
    no_name = await track.client.post(
        "/v1/subscription_topics", json={"topic": {"name": " "}}, headers=headers
    )
    no_body = await track.client.post("/v1/subscription_topics", json={"name": "Offers"}, headers=headers)
    channel_first = await track.client.post(
        "/v1/subscription_channels", json={"channel": {"type": "email"}}, headers=headers
    )
    await add_topic(track, "Offers")
    unknown = await track.client.post(
        "/v1/subscription_channels", json={"channel": {"type": "fax"}}, headers=headers
    )
    await add_channel(track, "email")
    twice = await track.client.post(
        "/v1/subscription_channels", json={"channel": {"type": "email"}}, headers=headers
    )

    assert (no_name.status_code, no_name.json()["meta"]["error"]) == (400, "name is required")
    assert no_body.json()["meta"]["error"] == "topic is required and must be an object"
    assert (channel_first.status_code, channel_first.json()["meta"]["error"]) == (
        409,
        "channel preferences need at least one topic: add a topic first",
    )
    assert unknown.status_code == 400 and unknown.json()["meta"]["error"].startswith(
        "type must be one of: email, sms, push"
    )
    assert twice.status_code == 409


async def test_channels_are_listed_in_customer_io_shape_and_removed(track: TrackDriver) -> None:
    await add_topic(track, "Offers")
    await add_channel(track, "email")
    await add_channel(track, "push", subscribed_by_default=False, description="On your phone")

    listed = (await track.app_get("/v1/subscription_channels")).json()["channels"]
    removed = await track.client.delete("/v1/subscription_channels/email", headers=app_auth(track.workspace))
    missing = await track.client.delete("/v1/subscription_channels/email", headers=app_auth(track.workspace))

    assert listed == [
        {"id": 1, "type": "email", "name": "Email", "description": "", "subscribed_by_default": True},
        {
            "id": 2,
            "type": "push",
            "name": "Push notifications",
            "description": "On your phone",
            "subscribed_by_default": False,
        },
    ]
    assert removed.status_code == 200 and missing.status_code == 404
    assert [c["type"] for c in (await track.app_get("/v1/subscription_channels")).json()["channels"]] == [
        "push"
    ]


async def test_enabling_needs_a_topic_and_an_enabled_center_keeps_one(track: TrackDriver) -> None:
    headers = app_auth(track.workspace)
    too_soon = await track.client.put(
        "/v1/subscription_center", json={"subscription_center": {"enabled": True}}, headers=headers
    )
    topic = await add_topic(track, "Offers")
    enabled = await enable_center(track)
    last = await track.client.delete(f"/v1/subscription_topics/{topic['id']}", headers=headers)

    assert (too_soon.status_code, too_soon.json()["meta"]["error"]) == (
        409,
        "add at least one topic before enabling the subscription center",
    )
    assert enabled["enabled"] is True and [t["id"] for t in enabled["topics"]] == [topic["id"]]
    assert last.status_code == 409
    assert (await track.app_get("/v1/subscription_center")).json()["subscription_center"]["enabled"] is True


async def test_a_topic_a_template_uses_cannot_be_deleted(track: TrackDriver) -> None:
    headers = app_auth(track.workspace)
    topic = await add_topic(track, "Receipts")
    unknown = await track.client.post(
        "/v1/transactional",
        json={"name": "Receipt", "settings": {"topic_id": 99}, "content": {}},
        headers=headers,
    )
    template = await track.client.post(
        "/v1/transactional",
        json={"name": "Receipt", "settings": {"topic_id": topic["id"]}, "content": {}},
        headers=headers,
    )

    refused = await track.client.delete(f"/v1/subscription_topics/{topic['id']}", headers=headers)

    assert (unknown.status_code, unknown.json()["meta"]["error"]) == (
        400,
        "settings.topic_id: there is no subscription topic 99",
    )
    assert template.json()["message"]["topic_id"] == topic["id"]
    assert refused.status_code == 409
    assert refused.json()["meta"]["error"].startswith(
        f"topic_{topic['id']} is the subscription topic of transactional message"
    )


async def test_a_persons_preferences_fill_in_the_defaults(track: TrackDriver) -> None:
    offers = await add_topic(track, "Offers", description="Deals")
    news = await add_topic(track, "News", subscribed_by_default=False)
    digest = await add_topic(track, "Digest", subscribed_by_default=False)
    await add_channel(track, "email")
    await add_channel(track, "sms", subscribed_by_default=False)
    await track.identify(
        "ann",
        email="ann@example.com",
        cio_subscription_preferences={
            "topics": {f"topic_{digest['id']}": True},
            "channels": {"email": False},
        },
    )
    await track.processed()

    found = await preferences(track, "ann@example.com", id_type="email")

    assert found["id"] == "ann" and found["identifiers"]["email"] == "ann@example.com"
    assert found["topics"] == [
        {"id": offers["id"], "name": "Offers", "description": "Deals", "subscribed": True},
        {"id": news["id"], "name": "News", "description": "", "subscribed": False},
        {"id": digest["id"], "name": "Digest", "description": "", "subscribed": True},
    ]
    assert [(c["type"], c["subscribed"]) for c in found["channels"]] == [("email", False), ("sms", False)]
    assert found["unsubscribed"] is False
    assert found["header"]["title"] == "Manage your subscription preferences"
    assert (await track.app_get("/v1/customers/nobody/subscription_preferences")).status_code == 404


async def test_attributes_carry_the_computed_preferences_once_there_are_topics(track: TrackDriver) -> None:
    await track.identify("ann", unsubscribed="TRUE")
    await track.processed()
    before = await track.customer("ann")
    await add_topic(track, "Offers")
    await add_topic(track, "News", subscribed_by_default=False)

    after = await track.customer("ann")

    assert before is not None and after is not None
    assert "_cio_subscription_preferences_computed" not in before["attributes"]
    assert json.loads(after["attributes"]["_cio_subscription_preferences_computed"]) == {
        "topics": {"topic_1": True, "topic_2": False},
        "channels": {},
    }
    assert after["timestamps"]["_cio_subscription_preferences_computed"] == 0
    assert (await preferences(track, "ann"))["unsubscribed"] is True


async def test_the_token_endpoint_links_to_the_preferences_page(track: TrackDriver) -> None:
    await track.identify("ann", email="ann@example.com")
    await track.processed()

    by_email = await track.app_get("/v1/subscription_center/ann@example.com/token")
    by_id = await track.app_get("/v1/subscription_center/ann/token")
    unknown = await track.app_get("/v1/subscription_center/nobody/token")

    token = by_email.json()["token"]
    assert by_email.status_code == 200
    assert by_email.json()["url"] == f"http://127.0.0.1:8080/u/i/{token}/"
    assert by_id.status_code == 200
    assert unknown.status_code == 400
