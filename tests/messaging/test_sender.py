"""Transactional email end to end: the API queues, the processor creates the delivery, the sender
hands it to a real SMTP server (aiosmtpd on 127.0.0.1), and the delivery records what happened."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import re
import signal

from tests.conftest import new_workspace
from tests.factories.mail import deliver, html_part, message, send, setup
from tests.factories.smtp import Inbox
from tests.factories.track import TrackDriver, app_auth
from tidings.clock import ManualClock
from tidings.messaging import DELIVERY_HEADER, RETRY_DELAYS, Sender, SmtpChannel
from tidings.messaging.queries import insert_email_suppression
from tidings.services import Services
from tidings.workspaces import SendMode, set_sending

async def test_a_transactional_email_arrives_rendered_and_tracked(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)

    delivery_id = await send(track, message_data={"order": "A-17"})
    await deliver(services, track)

    (received,) = inbox.received
    assert received.rcpt_tos == ["ann@example.com"]
    assert received.message["Subject"] == "Order A-17 for Ann"
    assert delivery_id in received.message["Message-ID"]
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = html_part(received.message)
    assert "https://example.com/orders/A-17" not in html and "https://track.example.com/click/" in html
    assert 'href="https://example.com/help"' in html  # untracked
    assert re.search(r'<img[^>]+src="https://track\.example\.com/open/', html)
    sent = await message(track, delivery_id)
    assert sent["status"] == "sent" and sent["subject"] == "Order A-17 for Ann"
    assert set(sent["metrics"]) == {"queued", "sent"}


async def test_451_then_250_gives_one_email_after_a_retry(mail: tuple[Inbox, Services, TrackDriver], clock: ManualClock) -> None:
    inbox, services, track = mail
    await setup(track)
    inbox.data_replies.append("451 4.3.0 Try again later")

    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)
    attempted = await message(track, delivery_id)
    clock.advance(seconds=RETRY_DELAYS[0].total_seconds())
    await services.sender.run_until_idle()

    assert attempted["status"] == "attempted" and "451" in attempted["failure_message"]
    assert len(inbox.received) == 1
    assert (await message(track, delivery_id))["status"] == "sent"


async def test_550_bounces_and_suppresses_the_address_for_later_sends(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)
    inbox.data_replies.append("550 5.1.1 No such user")

    bounced = await send(track, message_data={"order": "1"})
    await deliver(services, track)
    later = await send(track, message_data={"order": "2"})
    await deliver(services, track)

    assert (await message(track, bounced))["status"] == "bounced"
    assert (await message(track, later))["status"] == "suppressed"
    assert inbox.received == []


async def test_unsubscribed_people_get_only_what_may_go_to_the_unsubscribed(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track, unsubscribed=True)

    gated = await send(track, message_data={"order": "1"}, send_to_unsubscribed=False)
    allowed = await send(track, message_data={"order": "2"})
    await deliver(services, track)

    assert (await message(track, gated))["status"] == "undeliverable"
    assert (await message(track, gated))["failure_message"] == "Customer is unsubscribed"
    assert (await message(track, allowed))["status"] == "sent"
    assert len(inbox.received) == 1


async def test_missing_liquid_data_fails_the_delivery_with_customer_ios_text(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)

    delivery_id = await send(track)  # no message_data: trigger.order is missing
    await deliver(services, track)

    failed = await message(track, delivery_id)
    assert (failed["status"], failed["failure_message"]) == ("failed", "Variable 'trigger.order' is missing")
    assert inbox.received == []


async def test_send_modes_redirect_or_stop_everything(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)
    workspace_id = track.workspace.workspace.id

    await services.db.write(set_sending, workspace_id=workspace_id, send_mode=SendMode.TEST, test_address="qa@example.com", is_open_tracking=False)
    redirected = await send(track, message_data={"order": "1"})
    await deliver(services, track)
    await services.db.write(set_sending, workspace_id=workspace_id, send_mode=SendMode.NEVER, test_address=None, is_open_tracking=True)
    stopped = await send(track, message_data={"order": "2"})
    await deliver(services, track)

    (received,) = inbox.received
    assert received.rcpt_tos == ["qa@example.com"]
    assert "/open/" not in html_part(received.message)  # open tracking off
    assert (await message(track, redirected))["status"] == "sent"
    assert (await message(track, stopped))["status"] == "undeliverable"


async def test_disabled_retention_keeps_no_body(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)

    kept = await send(track, message_data={"order": "1"})
    forgotten = await send(track, message_data={"order": "2"}, disable_message_retention=True, tracked=False)
    await deliver(services, track)

    assert "body" in (await message(track, kept))["content"]
    assert "body" not in (await message(track, forgotten))["content"]
    (untracked,) = [r.message for r in inbox.received if r.message["Subject"] == "Order 2 for Ann"]
    assert "https://example.com/orders/2" in html_part(untracked)  # tracked=False leaves links alone


async def test_scheduled_sends_wait_for_their_time(mail: tuple[Inbox, Services, TrackDriver], clock: ManualClock) -> None:
    inbox, services, track = mail
    await setup(track)

    delivery_id = await send(track, message_data={"order": "1"}, send_at=int(clock.now().timestamp()) + 600)
    await deliver(services, track)
    waiting = await message(track, delivery_id)
    clock.advance(seconds=600)
    await services.sender.run_until_idle()

    assert waiting["status"] == "queued"
    assert len(inbox.received) == 1


async def test_other_workspaces_cannot_read_the_delivery(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    _, services, track = mail
    await setup(track)
    delivery_id = await send(track, message_data={"order": "1"})
    await deliver(services, track)
    other = await new_workspace(services, name="other")

    response = await track.client.get(f"/v1/messages/{delivery_id}", headers=app_auth(other))

    assert response.status_code == 404


async def test_a_template_change_reaches_the_next_send(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)
    await send(track, message_data={"order": "1"})
    await deliver(services, track)
    (template,) = (await track.app_get("/v1/transactional")).json()["messages"]

    changed = {"content": {"email": {**template["content"]["email"], "subject": "Changed {{trigger.order}}"}}}
    response = await track.client.put(f"/v1/transactional/{template['id']}", json=changed, headers=app_auth(track.workspace))
    assert response.status_code == 200, response.text
    await send(track, message_data={"order": "2"})
    await deliver(services, track)

    assert [r.message["Subject"] for r in inbox.received] == ["Order 1 for Ann", "Changed 2"]


async def test_an_email_that_breaks_a_composition_rule_fails_without_retrying(
    mail: tuple[Inbox, Services, TrackDriver],
) -> None:
    inbox, services, track = mail
    await setup(track)

    delivery_id = await send(track, message_data={"order": "1"}, subject=" ")
    await deliver(services, track)

    failed = await message(track, delivery_id)
    assert (failed["status"], failed["failure_message"]) == ("failed", "subject can not be blank")
    assert inbox.received == []


async def test_concurrent_rounds_send_each_delivery_once(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    other = TrackDriver(track.client, services, await new_workspace(services, name="other"))
    for driver in (track, other):
        await setup(driver)
    await track.identify("bob", email="bob@example.com", first_name="Bob")
    await services.db.write(
        insert_email_suppression,
        workspace_id=track.workspace.workspace.id,
        email_key="bob@example.com",
        reason="bounce",
        detail=None,
        now=services.clock.now(),
    )
    sent = {driver: [await send(driver, message_data={"order": str(n)}) for n in range(12)] for driver in (track, other)}
    suppressed = await send(track, message_data={"order": "x"}, identifiers={"id": "bob"}, to="bob@example.com")
    await track.processed()
    channel = SmtpChannel(services.settings.smtp, clock=services.clock)
    sender = Sender(services.db, clock=services.clock, channel=channel, base_url="https://track.example.com", batch_size=5)

    while sum(await asyncio.gather(sender.send_due(), sender.send_due(), sender.send_due())):
        pass
    await sender.stop()

    received = sorted(r.message[DELIVERY_HEADER] for r in inbox.received)
    assert received == sorted(sent[track] + sent[other])
    assert {(await message(driver, d))["status"] for driver, ids in sent.items() for d in ids} == {"sent"}
    assert (await message(track, suppressed))["status"] == "suppressed"


async def test_each_outcome_is_a_line_in_the_persons_activity(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    _, services, track = mail
    await setup(track)

    sent = await send(track, message_data={"order": "1"})
    failed = await send(track)  # trigger.order is missing
    await deliver(services, track)

    activities = await track.activities("ann")
    lines = {(a["type"], a["data"]["delivery_id"]): a for a in activities if "delivery_id" in a["data"]}
    assert lines[("sent_email", sent)]["name"] == "Order 1 for Ann"
    assert ("failed_email", failed) in lines


async def test_render_processes_send_the_same_emails_and_failures(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, services, track = mail
    await setup(track)
    sent = [await send(track, message_data={"order": str(n)}) for n in range(3)]
    failed = await send(track)  # trigger.order is missing
    await track.processed()
    channel = SmtpChannel(services.settings.smtp, clock=services.clock)
    sender = Sender(services.db, clock=services.clock, channel=channel, base_url="https://track.example.com", render_processes=1)

    try:
        await sender.run_until_idle()
    finally:
        await sender.stop()

    assert sorted(r.message[DELIVERY_HEADER] for r in inbox.received) == sorted(sent)
    assert "https://track.example.com/click/" in html_part(inbox.received[0].message)
    assert [(await message(track, d))["status"] for d in sent] == ["sent"] * 3
    stopped = await message(track, failed)
    assert (stopped["status"], stopped["failure_message"]) == ("failed", "Variable 'trigger.order' is missing")


async def test_a_render_process_that_died_is_replaced(mail: tuple[Inbox, Services, TrackDriver], clock: ManualClock) -> None:
    inbox, services, track = mail
    await setup(track)
    channel = SmtpChannel(services.settings.smtp, clock=services.clock)
    sender = Sender(services.db, clock=services.clock, channel=channel, base_url="https://track.example.com", render_processes=1)

    try:
        first = await send(track, message_data={"order": "1"})
        await track.processed()
        others = set(multiprocessing.active_children())
        await sender.run_until_idle()  # starts the render process
        (process,) = set(multiprocessing.active_children()) - others
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        second = await send(track, message_data={"order": "2"})
        await track.processed()
        # Whether the pool sees the death before or after taking this batch, the email goes out once:
        # now, or (when the batch was lost with the process) on its first retry.
        await sender.run_until_idle()
        clock.advance(seconds=RETRY_DELAYS[0].total_seconds())
        await sender.run_until_idle()
    finally:
        await sender.stop()

    assert [r.message[DELIVERY_HEADER] for r in inbox.received] == [first, second]
    assert (await message(track, second))["status"] == "sent"


async def test_a_sent_email_moves_the_person_into_a_message_segment(
    mail: tuple[Inbox, Services, TrackDriver], clock: ManualClock
) -> None:
    inbox, services, track = mail
    await setup(track)
    await track.processed()
    created = await track.client.post(
        "/v1/segments",
        json={"segment": {"name": "Mailed", "conditions": {"type": "message", "channel": "email", "metric": "sent"}}},
        headers=app_auth(track.workspace),
    )
    segment_id = created.json()["segment"]["id"]
    await services.segments.run_once()
    clock.advance(minutes=1)

    await send(track, message_data={"order": "A-17"})
    await deliver(services, track)
    assert len(inbox.received) == 1
    await services.segments.run_once()

    membership = await track.app_get(f"/v1/segments/{segment_id}/membership")
    assert membership.json()["ids"] == ["ann"]
