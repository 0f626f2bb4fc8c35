"""The send-time gate with the subscription center, through the sender and a real SMTP server: a
template's topic and the email channel decide once the center is enabled, and a send request's
`send_to_unsubscribed` overrides them."""

from __future__ import annotations

from typing import Any

from tests.factories.mail import deliver, message, send, setup
from tests.factories.smtp import Inbox
from tests.factories.subscriptions import add_channel, add_topic, enable_center
from tests.factories.track import TrackDriver, app_auth
from tidings.services import Services

Mail = tuple[Inbox, Services, TrackDriver]


async def topic_template(track: TrackDriver, **topic: Any) -> dict[str, Any]:
    """The receipt template belonging to a new topic, with the subscription center enabled."""
    created = await add_topic(track, "Receipts", **topic)
    template = (await track.app_get("/v1/transactional/receipt")).json()["message"]
    response = await track.client.put(
        f"/v1/transactional/{template['id']}",
        json={"settings": {"topic_id": created["id"]}},
        headers=app_auth(track.workspace),
    )
    assert response.status_code == 200, response.text
    await enable_center(track)
    return created


async def test_an_opt_in_topic_the_person_never_chose_is_not_sent(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track)
    await topic_template(track, subscribed_by_default=False)

    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)

    stopped = await message(track, delivery_id)
    assert inbox.received == []
    assert stopped["status"] == "undeliverable"
    assert stopped["failure_message"] == "Customer is unsubscribed from the topic topic_1 (Receipts)"
    assert [a["type"] for a in await track.activities("ann", type="undeliverable_email")] == [
        "undeliverable_email"
    ]


async def test_an_opt_out_topic_the_person_never_chose_is_sent(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track)
    await topic_template(track)

    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)

    assert len(inbox.received) == 1
    assert (await message(track, delivery_id))["status"] == "sent"


async def test_a_topic_the_person_left_is_not_sent(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track, cio_subscription_preferences={"topics": {"topic_1": False}})
    await topic_template(track)

    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)

    assert inbox.received == [] and (await message(track, delivery_id))["status"] == "undeliverable"


async def test_the_email_channel_turned_off_stops_a_topic_the_person_is_in(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(
        track, cio_subscription_preferences={"topics": {"topic_1": True}, "channels": {"email": False}}
    )
    await topic_template(track)
    await add_channel(track, "email")

    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)

    stopped = await message(track, delivery_id)
    assert inbox.received == []
    assert stopped["failure_message"] == "Customer is unsubscribed from the email channel"


async def test_send_to_unsubscribed_in_the_request_overrides_topic_and_channel(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track, unsubscribed=True, cio_subscription_preferences={"channels": {"email": False}})
    await topic_template(track, subscribed_by_default=False)
    await add_channel(track, "email")

    delivery_id = await send(track, message_data={"order": "1"}, send_to_unsubscribed=True)
    await deliver(services, track)

    assert len(inbox.received) == 1 and (await message(track, delivery_id))["status"] == "sent"


async def test_a_topic_template_goes_only_to_globally_subscribed_people_before_the_center_is_enabled(
    mail: Mail,
) -> None:
    inbox, services, track = mail
    await setup(track, unsubscribed=True)
    await topic_template(track, subscribed_by_default=False)
    await enable_center(track, enabled=False)

    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)

    stopped = await message(track, delivery_id)
    assert inbox.received == [] and stopped["failure_message"] == "Customer is unsubscribed"
