"""The sender's rendering as a pure function of plain values, in a thread or in a render process."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import UTC, datetime
from typing import Any

from tidings.messaging.email_content import Stopped
from tidings.messaging.rendering import ReadyEmail, RenderJob, RenderPool, render_jobs
from tidings.messaging.subscriptions import SubscriptionCenter
from tidings.messaging.types import (
    Delivery,
    DeliveryChannel,
    DeliverySource,
    DeliveryStatus,
    Layout,
    TransactionalMessage,
    TransactionalSettings,
)
from tidings.people import Person
from tidings.workspaces import EmailUpdatePolicy, IdentifierMode, Workspace

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BASE_URL = "https://track.example.com"
WORKSPACE = Workspace(
    id=1,
    account_id=1,
    name="shop",
    identifier_mode=IdentifierMode.EMAIL_OR_ID,
    email_update_policy=next(iter(EmailUpdatePolicy)),
    anonymous_merge=False,
    multi_identifier_merge=False,
    has_suppressions=False,
    region="us",
    created_at=NOW,
    link_key="k" * 32,
)
LAYOUT = Layout(id=1, name="Shop", html="<html><body>{{ content }}<p>{{ snippets.footer }}</p></body></html>", created_at=NOW, updated_at=NOW)
TEMPLATE = TransactionalMessage(
    id=1,
    name="Receipt",
    trigger_name="receipt",
    description="",
    settings=TransactionalSettings(layout_id=1),
    content={
        "email": {
            "from": "Shop <shop@example.com>",
            "subject": "Order {{ trigger.order }}",
            "body": '<p>Hi {{ customer.first_name }}</p><a href="https://example.com/o/{{ trigger.order }}">Order</a>',
        }
    },
    created_at=NOW,
    updated_at=NOW,
)
ANN = Person(
    cio_id="c1", id="ann", email="ann@example.com", attributes={"first_name": "Ann"}, attribute_timestamps={}, created_at=NOW, updated_at=NOW
)


def job(delivery_id: str, **request: Any) -> RenderJob:
    delivery = Delivery(
        id=delivery_id,
        cio_id="c1",
        channel=DeliveryChannel.EMAIL,
        source=DeliverySource.TRANSACTIONAL,
        transactional_message_id=1,
        status=DeliveryStatus.QUEUED,
        request={"to": "ann@example.com", **request},
        milestones={},
        created_at=NOW,
        updated_at=NOW,
        attempts=1,
    )
    return RenderJob(
        delivery=delivery,
        workspace=WORKSPACE,
        person=ANN,
        template=TEMPLATE,
        subscription_center=SubscriptionCenter(is_enabled=False),
        is_suppressed=False,
        snippets={"footer": "Sent to {{ customer.email }}"},
        layout=LAYOUT,
    )


def html_of(ready: ReadyEmail) -> str:
    message = email.message_from_bytes(ready.composed.data, policy=email.policy.default)
    part = message.get_body(("html",))
    assert part is not None
    return part.get_content()


def test_a_job_becomes_a_composed_tracked_email_in_its_layout() -> None:
    (ready,) = render_jobs([job("d1", message_data={"order": "A-1"})], base_url=BASE_URL, now=NOW)

    assert isinstance(ready, ReadyEmail)
    assert (ready.to, ready.subject, ready.composed.recipients) == ("ann@example.com", "Order A-1", ("ann@example.com",))
    html = html_of(ready)
    assert "<p>Hi Ann</p>" in html and "Sent to ann@example.com" in html
    assert "https://track.example.com/click/" in html and "https://example.com/o/A-1" not in html
    assert ready.html is not None and "Sent to ann@example.com" in ready.html


def test_failures_and_the_gate_stop_a_job_without_raising() -> None:
    missing, suppressed, bad_header = render_jobs(
        [
            job("d1"),  # trigger.order is missing
            dataclasses.replace(job("d2"), is_suppressed=True),
            job("d3", message_data={"order": "1"}, headers={"To": "x@example.com"}),
        ],
        base_url=BASE_URL,
        now=NOW,
    )

    assert missing == Stopped(DeliveryStatus.FAILED, "Variable 'trigger.order' is missing")
    assert suppressed == Stopped(DeliveryStatus.SUPPRESSED, "the address is on the email suppression list")
    assert bad_header == Stopped(DeliveryStatus.FAILED, "header 'To' cannot be set to a custom value")


def test_retention_off_keeps_no_html() -> None:
    (ready,) = render_jobs([job("d1", message_data={"order": "1"}, disable_message_retention=True)], base_url=BASE_URL, now=NOW)

    assert isinstance(ready, ReadyEmail) and ready.html is None


async def test_a_render_process_gives_what_a_thread_gives() -> None:
    jobs = [job(f"d{n}", message_data={"order": str(n)}) for n in range(3)] + [job("d9")]
    in_thread, in_process = RenderPool(0), RenderPool(1)
    try:
        threaded = await in_thread.render(jobs, base_url=BASE_URL, now=NOW)
        spawned = await in_process.render(jobs, base_url=BASE_URL, now=NOW)
    finally:
        await in_process.close()

    assert [type(outcome) for outcome in spawned] == [ReadyEmail, ReadyEmail, ReadyEmail, Stopped]
    assert spawned[3] == threaded[3]
    for theirs, ours in zip(threaded[:3], spawned[:3], strict=True):
        assert isinstance(theirs, ReadyEmail) and isinstance(ours, ReadyEmail)
        assert (ours.subject, ours.html, html_of(ours)) == (theirs.subject, theirs.html, html_of(theirs))
