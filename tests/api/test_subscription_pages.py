"""The hosted subscription pages: a message's unsubscribe link leaves its topic once the center is
enabled, the preferences page lists topics and channels and saves through the log, its links last
24 hours, and a preference set there gates the next email."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx

from tests.factories.mail import deliver, message, send, setup
from tests.factories.smtp import Inbox
from tests.factories.subscriptions import add_channel, add_topic, enable_center, preferences
from tests.factories.track import TrackDriver, app_auth
from tidings.clock import ManualClock
from tidings.services import Services

Mail = tuple[Inbox, Services, TrackDriver]
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def token_url(track: TrackDriver, identifier: str = "ann") -> str:
    """The path of a person's preferences page, from the App API's token endpoint."""
    response = await track.app_get(f"/v1/subscription_center/{identifier}/token")
    assert response.status_code == 200, response.text
    return "/" + response.json()["url"].split("/", 3)[3]


async def submit(client: httpx.AsyncClient, path: str, fields: list[tuple[str, str]]) -> httpx.Response:
    return await client.post(path, content=urlencode(fields), headers=FORM)


def checkboxes(html: str) -> dict[str, bool]:
    """Each checkbox of a page by value, and whether it is checked."""
    return {
        match.group(1): " checked" in match.group(0)
        for match in re.finditer(r'<input type="checkbox" name="checked" value="([^"]+)"[^>]*>', html)
    }


async def topic_message(mail: Mail, **topic: Any) -> tuple[str, dict[str, Any]]:
    """A sent receipt whose template belongs to a new topic, with the center enabled."""
    inbox, services, track = mail
    await setup(track)
    created = await add_topic(track, "Receipts & invoices", **topic)
    template = (await track.app_get("/v1/transactional/receipt")).json()["message"]
    await track.client.put(
        f"/v1/transactional/{template['id']}",
        json={"settings": {"topic_id": created["id"]}},
        headers=app_auth(track.workspace),
    )
    await enable_center(track)
    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)
    assert len(inbox.received) == 1
    return delivery_id, created


async def test_without_topics_the_unsubscribe_page_is_the_global_one(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track)
    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)

    page = await track.client.get(f"/unsubscribe/{delivery_id}")
    to_preferences = await track.client.get(f"/preferences/{delivery_id}")

    assert page.status_code == 200
    assert f'<form method="post" action="/unsubscribe/{delivery_id}">' in page.text
    assert "Stop receiving these emails?" in page.text and "/preferences/" not in page.text
    assert (to_preferences.status_code, to_preferences.headers["location"]) == (
        303,
        f"/unsubscribe/{delivery_id}",
    )


async def test_with_topics_the_unsubscribe_link_leaves_only_the_messages_topic(mail: Mail) -> None:
    _, _, track = mail
    delivery_id, topic = await topic_message(mail)

    page = await track.client.get(f"/unsubscribe/{delivery_id}")
    left = await track.client.post(f"/unsubscribe/{delivery_id}/topic")
    await track.processed()

    assert "Stop receiving emails about Receipts &amp; invoices?" in page.text
    assert f'action="/unsubscribe/{delivery_id}/topic"' in page.text
    assert f'<a href="/preferences/{delivery_id}">here</a>' in page.text
    assert left.status_code == 200 and f'action="/unsubscribe/{delivery_id}/topic/resubscribe"' in left.text
    found = await preferences(track, "ann")
    assert [t["subscribed"] for t in found["topics"]] == [False] and found["unsubscribed"] is False
    delivered = await message(track, delivery_id)
    assert "topic_unsubscribed" in delivered["metrics"] and delivered["status"] == "sent"
    assert len(await track.activities("ann", type="topic_unsubscribed_email")) == 1

    await track.client.post(f"/unsubscribe/{delivery_id}/topic/resubscribe")
    await track.processed()
    assert [t["subscribed"] for t in (await preferences(track, "ann"))["topics"]] == [True]
    assert topic["id"] == found["topics"][0]["id"]


async def test_one_click_unsubscribe_is_global_even_with_topics(mail: Mail) -> None:
    inbox, _, track = mail
    delivery_id, _ = await topic_message(mail)
    (url,) = re.findall(
        r"<https://track\.example\.com(/unsubscribe/[^>]+)>", inbox.received[-1].message["List-Unsubscribe"]
    )

    await track.client.post(url, content=b"List-Unsubscribe=One-Click", headers=FORM)
    await track.processed()

    assert (await preferences(track, "ann"))["unsubscribed"] is True
    assert (await message(track, delivery_id))["status"] == "unsubscribed"


async def test_the_preferences_page_lists_topics_and_channels_escaped(track: TrackDriver) -> None:
    await add_topic(track, "<b>Offers</b>", description='Deals "today"')
    await add_topic(track, "News", subscribed_by_default=False)
    await add_channel(track, "email")
    await add_channel(track, "sms", subscribed_by_default=False)
    await enable_center(track)
    await track.identify("ann", cio_subscription_preferences={"channels": {"sms": True}})
    await track.processed()

    page = await track.client.get(await token_url(track))

    assert page.status_code == 200 and page.headers["cache-control"].startswith("no-store")
    assert "<b>Offers</b>" not in page.text and "&lt;b&gt;Offers&lt;/b&gt;" in page.text
    assert "Deals &#34;today&#34;" in page.text
    assert checkboxes(page.text) == {
        "topic_1": True,
        "topic_2": False,
        "channel_email": True,
        "channel_sms": True,
    }
    assert "Save Preferences" in page.text and "Unsubscribe from all" in page.text


async def test_saving_writes_what_was_shown_through_the_log(track: TrackDriver) -> None:
    await add_topic(track, "Offers")
    await add_topic(track, "News", subscribed_by_default=False)
    await add_channel(track, "email")
    await enable_center(track)
    await track.identify("ann")
    await track.processed()
    path = await token_url(track)
    await add_topic(track, "Added meanwhile", subscribed_by_default=False)

    saved = await submit(
        track.client,
        path,
        [
            ("shown", "topic_1"),
            ("shown", "topic_2"),
            ("shown", "channel_email"),
            ("checked", "topic_2"),
            ("checked", "channel_email"),
            ("action", "save"),
        ],
    )
    await track.processed()

    assert saved.status_code == 200 and "Your preferences were saved." in saved.text
    assert checkboxes(saved.text) == {
        "topic_1": False,
        "topic_2": True,
        "topic_3": False,
        "channel_email": True,
    }
    customer = await track.customer("ann")
    assert customer is not None
    assert (
        '"topics":{"topic_1":false,"topic_2":true}' in customer["attributes"]["cio_subscription_preferences"]
    )
    assert "unsubscribed" not in customer["attributes"]
    assert (
        len(await track.activities("ann", type="attribute_change", name="cio_subscription_preferences")) == 1
    )


async def test_unchecking_every_topic_or_unsubscribing_from_all_is_global_and_checking_one_undoes_it(
    track: TrackDriver,
) -> None:
    await add_topic(track, "Offers")
    await enable_center(track)
    await track.identify("ann")
    await track.processed()
    path = await token_url(track)

    await submit(track.client, path, [("shown", "topic_1"), ("action", "save")])
    await track.processed()
    unchecked = (await preferences(track, "ann"))["unsubscribed"]
    await submit(track.client, path, [("shown", "topic_1"), ("checked", "topic_1"), ("action", "save")])
    await track.processed()
    rechecked = await preferences(track, "ann")
    everything = await submit(
        track.client, path, [("shown", "topic_1"), ("checked", "topic_1"), ("action", "unsubscribe_all")]
    )
    await track.processed()

    assert unchecked is True
    assert rechecked["unsubscribed"] is False and rechecked["topics"][0]["subscribed"] is True
    assert "You are unsubscribed from all messages." in everything.text
    assert (await preferences(track, "ann"))["unsubscribed"] is True


async def test_a_preferences_link_lasts_24_hours(track: TrackDriver, clock: ManualClock) -> None:
    await add_topic(track, "Offers")
    await enable_center(track)
    await track.identify("ann")
    await track.processed()
    path = await token_url(track)

    clock.advance(hours=23, minutes=59)
    still = await track.client.get(path)
    clock.advance(minutes=1, seconds=1)
    expired = await track.client.get(path)
    too_late = await submit(track.client, path, [("action", "unsubscribe_all")])
    await track.processed()

    assert still.status_code == 200
    assert expired.status_code == 410 and "This link has expired" in expired.text
    assert too_late.status_code == 410
    assert (await preferences(track, "ann"))["unsubscribed"] is False


async def test_an_altered_or_foreign_link_opens_nothing(track: TrackDriver) -> None:
    await track.identify("ann")
    await track.processed()
    path = await token_url(track)
    token = path.split("/")[3]
    forged = path.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    assert (await track.client.get(forged)).status_code == 404
    assert (await track.client.get("/u/i/not-a-token/")).status_code == 404
    assert (await submit(track.client, forged, [("action", "unsubscribe_all")])).status_code == 404


async def test_the_language_segment_is_accepted(track: TrackDriver) -> None:
    await track.identify("ann")
    await track.processed()

    page = await track.client.get(await token_url(track) + "fr")

    assert page.status_code == 200 and "Unsubscribe from all" in page.text


async def test_a_messages_preferences_link_opens_the_page_and_credits_the_message(mail: Mail) -> None:
    _, _, track = mail
    delivery_id, _ = await topic_message(mail)

    redirect = await track.client.get(f"/preferences/{delivery_id}")
    path = redirect.headers["location"]
    page = await track.client.get(path)
    await submit(track.client, path, [("shown", "topic_1"), ("action", "save")])
    await track.processed()

    assert redirect.status_code == 303 and path.startswith("/u/i/")
    assert checkboxes(page.text) == {"topic_1": True}
    assert (await message(track, delivery_id))["status"] == "unsubscribed"


async def test_a_topic_left_on_the_preferences_page_stops_the_next_email(mail: Mail) -> None:
    inbox, services, track = mail
    first, _ = await topic_message(mail)
    await add_topic(track, "Offers")
    await add_channel(track, "email")
    path = await token_url(track)
    shown = [
        ("shown", "topic_1"),
        ("shown", "topic_2"),
        ("shown", "channel_email"),
        ("checked", "topic_2"),
        ("checked", "channel_email"),
    ]

    await submit(track.client, path, [*shown, ("action", "save")])
    await track.processed()
    gated = await send(track, message_data={"order": "2"})
    await deliver(services, track)
    await submit(track.client, path, [*shown, ("checked", "topic_1"), ("action", "save")])
    await track.processed()
    allowed = await send(track, message_data={"order": "3"})
    await deliver(services, track)

    assert (await message(track, first))["status"] == "sent"
    stopped = await message(track, gated)
    assert stopped["status"] == "undeliverable"
    assert (
        stopped["failure_message"] == "Customer is unsubscribed from the topic topic_1 (Receipts & invoices)"
    )
    assert (await message(track, allowed))["status"] == "sent"
    assert [r.message["Subject"] for r in inbox.received] == ["Order 1 for Ann", "Order 3 for Ann"]
