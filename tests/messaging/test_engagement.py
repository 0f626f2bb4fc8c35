"""What people do with an email comes back: a followed click link and the loaded pixel mark the
delivery clicked and opened, a one-click unsubscribe sets `unsubscribed` and gates the next send,
and metrics reported through the Track API move deliveries on."""

from __future__ import annotations

import re

from tests.factories.mail import deliver, html_part, message, send, setup
from tests.factories.smtp import Inbox
from tests.factories.track import TrackDriver, track_auth
from tidings.services import Services

CLICK = re.compile(r'href="https://track\.example\.com(/click/[^"]+)"')
PIXEL = re.compile(r'src="https://track\.example\.com(/open/[^"]+)"')


async def sent_email(inbox: Inbox, services: Services, track: TrackDriver, **body: object) -> tuple[str, str]:
    await setup(track)
    delivery_id = await send(track, message_data={"order": "A-1"}, **body)
    await deliver(services, track)
    return delivery_id, html_part(inbox.received[-1].message)


async def test_following_a_link_records_the_click_and_redirects(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    delivery_id, html = await sent_email(inbox, services, track)
    (path,) = CLICK.findall(html)

    response = await track.client.get(path)
    await track.processed()

    assert (response.status_code, response.headers["location"]) == (302, "https://example.com/orders/A-1")
    clicked = await message(track, delivery_id)
    assert clicked["status"] == "clicked"
    assert {"delivered", "opened", "clicked"} <= set(clicked["metrics"])
    activity = {a["type"] for a in await track.activities("ann")}
    assert {"sent_email", "clicked_email"} <= activity


async def test_the_pixel_records_an_open_once(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    delivery_id, html = await sent_email(inbox, services, track)
    (path,) = PIXEL.findall(html)

    first = await track.client.get(path)
    await track.client.get(path)
    await track.processed()

    assert first.headers["content-type"] == "image/gif" and first.content.startswith(b"GIF89a")
    assert (await message(track, delivery_id))["status"] == "opened"
    assert len(await track.activities("ann", type="opened_email")) == 1


async def test_a_tampered_link_is_refused_and_a_tampered_pixel_records_nothing(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    delivery_id, html = await sent_email(inbox, services, track)
    (click,), (pixel,) = CLICK.findall(html), PIXEL.findall(html)

    forged_click = await track.client.get(click[:-3] + ("AAA" if not click.endswith("AAA") else "BBB"))
    forged_pixel = await track.client.get(pixel[:-3] + ("AAA" if not pixel.endswith("AAA") else "BBB"))
    await track.processed()

    assert forged_click.status_code == 400
    assert forged_pixel.status_code == 200  # still an image
    assert (await message(track, delivery_id))["status"] == "sent"


async def test_one_click_unsubscribe_sets_unsubscribed_and_gates_the_next_send(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    delivery_id, _ = await sent_email(inbox, services, track)
    header = inbox.received[-1].message["List-Unsubscribe"]
    (url,) = re.findall(r"<https://track\.example\.com(/unsubscribe/[^>]+)>", header)

    page = await track.client.get(url)
    one_click = await track.client.post(url, content=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"})
    await track.processed()
    later = await send(track, message_data={"order": "A-2"}, send_to_unsubscribed=False)
    await deliver(services, track)

    assert page.status_code == 200 and "<form" in page.text
    assert one_click.status_code == 200
    assert (await track.customer("ann"))["unsubscribed"] is True
    assert (await message(track, delivery_id))["status"] == "unsubscribed"
    assert (await message(track, later))["status"] == "undeliverable"

    await track.client.post(f"{url}/resubscribe")
    await track.processed()
    assert (await track.customer("ann"))["unsubscribed"] is False


async def test_view_in_browser_shows_the_kept_copy(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    delivery_id, _ = await sent_email(inbox, services, track)
    forgotten = await send(track, message_data={"order": "A-3"}, disable_message_retention=True)
    await deliver(services, track)

    shown = await track.client.get(f"/deliveries/{delivery_id}")

    assert shown.status_code == 200 and "Thanks!" in shown.text
    assert (await track.client.get(f"/deliveries/{forgotten}")).status_code == 404
    assert (await track.client.get("/deliveries/nope")).status_code == 404


async def test_track_api_metrics_move_deliveries_and_spam_suppresses(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    delivery_id, _ = await sent_email(inbox, services, track)

    await track.call("POST", "/api/v1/metrics", {"delivery_id": delivery_id, "metric": "spammed", "timestamp": 1772400000})
    bad = await track.client.post("/api/v1/metrics", json={"delivery_id": delivery_id, "metric": "liked"}, headers=track_auth(track.workspace))
    await track.processed()
    later = await send(track, message_data={"order": "A-4"})
    await deliver(services, track)

    assert bad.status_code == 400 and bad.json()["meta"]["error"].startswith("metric must be one of")
    spammed = await message(track, delivery_id)
    assert spammed["status"] == "spammed" and spammed["metrics"]["spammed"] == 1772400000
    assert (await message(track, later))["status"] == "suppressed"


async def test_push_events_and_sdk_reports_are_kept_before_their_delivery_exists(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    _, _, track = mail

    await track.call("POST", "/api/v1/push/events", {"delivery_id": "push-1", "event": "opened", "device_id": "tok"})
    await track.processed()

    (report,) = await track.delivery_reports("push-1")
    assert (report.metric, report.recipient) == ("opened", "tok")

