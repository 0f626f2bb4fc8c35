"""The sender role: takes due email deliveries, passes them through the gate and hands them to SMTP.

Each round leases a batch of due deliveries (pushing their due time past the lease) and, in the same
transaction, reads what the gate needs with a statement per kind for the whole batch: workspaces,
templates, people and suppressed addresses. It hands the batch, a few deliveries at a time, to the
render processes (`RenderPool`: gate, Liquid, tracking and MIME, returning finished bytes), gives
each email to the channel as soon as its few are ready (the channel sends on several connections at
once), and records every outcome in one transaction: sent; attempted and due again after
Customer.io's backoff when the server answered 4xx or could not be reached; bounced, with the address
suppressed, on a 5xx; failed when the Liquid does not render, the email breaks a composition rule or
the retries run out. Rounds run in `lanes` at once, so one round renders while another sends. A
sender that dies mid-send leaves the lease to expire and the delivery is sent again (at least once;
its Message-ID carries the delivery id), never lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.db import Database
from tidings.errors import InvalidInput, ProviderFailed
from tidings.messaging import queries
from tidings.messaging.channels import EmailChannel
from tidings.messaging.deliveries import advance_delivery
from tidings.messaging.email import parse_addresses
from tidings.messaging.email_content import Stopped
from tidings.messaging.errors import SmtpFailed
from tidings.messaging.metrics import record_status_activities
from tidings.messaging.rendering import ReadyEmail, RenderJob, RenderPool
from tidings.messaging.snippets import read_snippets
from tidings.messaging.subscriptions import read_subscription_center
from tidings.messaging.types import Delivery, DeliveryChannel, DeliveryStatus, Layout, TransactionalMessage
from tidings.people import IdentifierKind, Person, ResolvedRef, email_key, find_people
from tidings.segments import recheck_messages
from tidings.workspaces import get_workspace

__all__ = ["RETRY_DELAYS", "Sender"]

logger = logging.getLogger(__name__)

# Customer.io retries a message it could not hand over with exponential backoff, about an hour in all.
RETRY_DELAYS = tuple(
    timedelta(seconds=s) for s in (15, 30, 60, 120, 240, 480, 600, 600, 600, 600)
)
_LEASE = timedelta(minutes=5)
# Deliveries rendered per trip to a render process: fewer trips cost less CPU, and the emails of a
# trip wait for the last of them (16 measured about 8 % less CPU per email than 4 in bench/send_email.py).
_RENDER_CHUNK = 16


@dataclass(frozen=True, slots=True)
class _Claimed:
    workspace_id: int
    delivery: Delivery
    # None when the workspace was deleted after the delivery was queued.
    job: RenderJob | None


@dataclass(frozen=True, slots=True)
class _Prepared:
    workspace_id: int
    delivery: Delivery
    # ProviderFailed: rendering itself failed (a render process died), so the send is tried later.
    outcome: ReadyEmail | Stopped | ProviderFailed


class Sender:
    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        channel: EmailChannel | None,
        base_url: str,
        batch_size: int = 200,
        lanes: int = 2,
        idle_poll_seconds: float = 1.0,
        render_processes: int = 0,
    ) -> None:
        """`render_processes` worker processes render and compose; with 0, a thread of this process does."""
        self._db = db
        self._clock = clock
        self._channel = channel
        self._base_url = base_url
        self._batch_size = batch_size
        self._idle_poll_seconds = idle_poll_seconds
        self._lanes = [BackgroundTask(f"sender-{n}", self._run) for n in range(lanes)]
        self._renderer = RenderPool(render_processes)

    async def start(self) -> None:
        if self._channel is None:
            logger.warning("no SMTP server is configured (TIDINGS_SMTP_HOST): email deliveries stay queued")
            return
        await self._renderer.start()
        for lane in self._lanes:
            lane.start()

    async def stop(self) -> None:
        for lane in self._lanes:
            await lane.stop()
        await self._renderer.close()
        if self._channel is not None:
            await self._channel.close()

    async def run_until_idle(self) -> int:
        """Send everything due now; returns how many deliveries were taken."""
        total = 0
        while taken := await self.send_due():
            total += taken
        return total

    async def send_due(self) -> int:
        """One round: lease due deliveries, send them, record what happened. Returns how many."""
        assert self._channel is not None, "the sender needs a channel; configure TIDINGS_SMTP_HOST"
        now = self._clock.now()
        claimed = await self._db.write(self._claim, now)
        if not claimed:
            return 0
        logger.debug("sender claimed deliveries", extra={"count": len(claimed)})
        prepared = [
            _Prepared(item.workspace_id, item.delivery, Stopped(DeliveryStatus.UNDELIVERABLE, "the workspace was deleted"))
            for item in claimed
            if item.job is None
        ]
        renderable = [item for item in claimed if item.job is not None]
        chunks = [renderable[start : start + _RENDER_CHUNK] for start in range(0, len(renderable), _RENDER_CHUNK)]
        # Every chunk is handed over at once, so all render processes work; each chunk's emails go
        # to the channel as soon as that chunk is back.
        renders = [
            self._renderer.render([item.job for item in chunk if item.job], base_url=self._base_url, now=now)
            for chunk in chunks
        ]
        sends: list[asyncio.Task[tuple[_Prepared, BaseException | None]]] = []
        async with asyncio.TaskGroup() as group:
            for chunk, render in zip(chunks, renders, strict=True):
                for item, outcome in zip(chunk, await _rendered(render, len(chunk)), strict=True):
                    sends.append(group.create_task(self._send(_Prepared(item.workspace_id, item.delivery, outcome))))
        results = [(item, None) for item in prepared] + [task.result() for task in sends]
        await self._db.write(self._record, results)
        return len(claimed)

    async def _run(self) -> None:
        while True:
            try:
                taken = await self.send_due()
            except Exception:
                logger.exception("sender round failed; retrying")
                taken = 0
            if not taken:
                with suppress(TimeoutError):
                    await asyncio.sleep(self._idle_poll_seconds)

    def _claim(self, conn: Connection, now: datetime) -> list[_Claimed]:
        claimed = queries.claim_due_deliveries(
            conn, channel=DeliveryChannel.EMAIL, now=now, lease_until=now + _LEASE, limit=self._batch_size
        )
        workspace_ids = {workspace_id for workspace_id, _ in claimed}
        workspaces = {workspace_id: get_workspace(conn, workspace_id=workspace_id) for workspace_id in workspace_ids}
        centers = {workspace_id: read_subscription_center(conn, workspace_id=workspace_id) for workspace_id in workspace_ids}
        templates = {
            (workspace_id, message_id): queries.find_transactional_message(
                conn, workspace_id=workspace_id, message_id=message_id
            )
            for workspace_id, message_id in {
                (workspace_id, delivery.transactional_message_id)
                for workspace_id, delivery in claimed
                if delivery.transactional_message_id is not None
            }
        }
        snippets = {workspace_id: read_snippets(conn, workspace_id=workspace_id) for workspace_id in workspace_ids}
        layouts = _read_layouts(conn, templates)
        recipient_keys = {delivery.id: _recipient_keys(delivery) for _, delivery in claimed}
        people: dict[tuple[int, str], Person] = {}
        suppressed: set[tuple[int, str]] = set()
        for workspace_id in workspace_ids:
            batch = [delivery for owner, delivery in claimed if owner == workspace_id]
            refs = [ResolvedRef(IdentifierKind.CIO_ID, delivery.cio_id) for delivery in batch if delivery.cio_id]
            found = find_people(conn, workspace_id=workspace_id, refs=refs)
            people.update(((workspace_id, ref.value), person) for ref, person in found.items())
            keys = {key for delivery in batch for key in recipient_keys[delivery.id]}
            found_keys = queries.find_suppressed_email_keys(conn, workspace_id=workspace_id, email_keys=keys)
            suppressed.update((workspace_id, key) for key in found_keys)
        return [
            _Claimed(
                workspace_id,
                delivery,
                None
                if workspaces[workspace_id] is None
                else RenderJob(
                    delivery=delivery,
                    workspace=workspaces[workspace_id],
                    person=people.get((workspace_id, delivery.cio_id)),
                    template=templates.get((workspace_id, delivery.transactional_message_id)),
                    subscription_center=centers[workspace_id],
                    is_suppressed=any((workspace_id, key) in suppressed for key in recipient_keys[delivery.id]),
                    snippets=snippets[workspace_id],
                    layout=_layout_of(templates.get((workspace_id, delivery.transactional_message_id)), workspace_id, layouts),
                ),
            )
            for workspace_id, delivery in claimed
        ]

    async def _send(self, item: _Prepared) -> tuple[_Prepared, BaseException | None]:
        if not isinstance(item.outcome, ReadyEmail):
            return item, None
        assert self._channel is not None
        try:
            await self._channel.send_composed(item.outcome.composed)
        except (ProviderFailed, InvalidInput) as exc:
            return item, exc
        except Exception as exc:  # an unexpected failure is retried like a connection failure
            logger.exception("email send failed unexpectedly", extra={"delivery_id": item.delivery.id})
            return item, ProviderFailed(str(exc), retryable=True)
        return item, None

    def _record(self, conn: Connection, results: list[tuple[_Prepared, BaseException | None]]) -> None:
        now = self._clock.now()
        finished = [(item.workspace_id, self._outcome(conn, item, error, now=now)) for item, error in results]
        queries.update_deliveries(conn, deliveries=finished)
        record_status_activities(
            conn,
            deliveries=[(workspace_id, d) for workspace_id, d in finished if d.status is not DeliveryStatus.ATTEMPTED],
            now=now,
        )
        recipients: dict[int, set[str]] = {}
        for workspace_id, delivery in finished:
            if delivery.cio_id:
                recipients.setdefault(workspace_id, set()).add(delivery.cio_id)
        for workspace_id, cio_ids in recipients.items():
            # Segments that read message activity ("was sent ...") see the outcomes at the next re-check.
            recheck_messages(conn, workspace_id=workspace_id, cio_ids=cio_ids, now=now)

    def _outcome(self, conn: Connection, item: _Prepared, error: BaseException | None, *, now: datetime) -> Delivery:
        delivery, outcome = item.delivery, item.outcome
        if isinstance(outcome, Stopped):
            return advance_delivery(delivery, outcome.status, at=now, failure_message=outcome.reason, due_at=None)
        if isinstance(outcome, ProviderFailed):
            error = outcome
        elif error is None:
            content = {"to": outcome.to, "from": outcome.from_address, "subject": outcome.subject}
            if outcome.html is not None:
                content["body"] = outcome.html
            return advance_delivery(delivery, DeliveryStatus.SENT, at=now, rendered=content, due_at=None, failure_message=None)
        if isinstance(error, InvalidInput):  # the email breaks a composition rule: no attempt can succeed
            return advance_delivery(delivery, DeliveryStatus.FAILED, at=now, failure_message=str(error), due_at=None)
        assert isinstance(error, ProviderFailed)
        if isinstance(error, SmtpFailed) and error.is_bounce:
            assert isinstance(outcome, ReadyEmail)
            self._suppress_recipients(conn, item.workspace_id, outcome.to, str(error), now=now)
            return advance_delivery(delivery, DeliveryStatus.BOUNCED, at=now, failure_message=str(error), due_at=None)
        if error.retryable and delivery.attempts <= len(RETRY_DELAYS):
            logger.info(
                "email delivery attempted, retrying",
                extra={"delivery_id": delivery.id, "attempt": delivery.attempts},
            )
            due = now + RETRY_DELAYS[delivery.attempts - 1]
            return advance_delivery(delivery, DeliveryStatus.ATTEMPTED, at=now, failure_message=str(error), due_at=due)
        return advance_delivery(delivery, DeliveryStatus.FAILED, at=now, failure_message=str(error), due_at=None)

    def _suppress_recipients(self, conn: Connection, workspace_id: int, to: str, detail: str, *, now: datetime) -> None:
        """A hard bounce puts the address on the suppression list, which later sends respect."""
        for address in parse_addresses(to, field="to"):
            queries.insert_email_suppression(
                conn, workspace_id=workspace_id, email_key=email_key(address.addr_spec), reason="bounce", detail=detail, now=now
            )


async def _rendered(render: asyncio.Future[list[ReadyEmail | Stopped]], count: int) -> list[ReadyEmail | Stopped | ProviderFailed]:
    """A chunk's outcomes; if rendering itself failed, each delivery is tried again later."""
    try:
        return list(await render)
    except Exception as exc:
        logger.exception("rendering a batch of emails failed; its deliveries will be retried")
        return [ProviderFailed(f"rendering failed: {exc}", retryable=True)] * count


def _recipient_keys(delivery: Delivery) -> list[str]:
    """The suppression keys of the addresses a send request names in `to` (none if they do not parse)."""
    to = delivery.request.get("to")
    if not to:
        return []
    try:
        return [email_key(address.addr_spec) for address in parse_addresses(to, field="to")]
    except Exception:
        return []


def _read_layouts(
    conn: Connection, templates: Mapping[tuple[int, int], TransactionalMessage | None]
) -> dict[tuple[int, int], Layout]:
    """The layouts the claimed templates wrap their emails in, by (workspace, layout number)."""
    wanted: dict[int, set[int]] = {}
    for (workspace_id, _), template in templates.items():
        if template is not None and template.settings.layout_id is not None:
            wanted.setdefault(workspace_id, set()).add(template.settings.layout_id)
    return {
        (workspace_id, layout_id): layout
        for workspace_id, layout_ids in wanted.items()
        for layout_id, layout in queries.find_layouts(conn, workspace_id=workspace_id, layout_ids=layout_ids).items()
    }


def _layout_of(
    template: TransactionalMessage | None, workspace_id: int, layouts: Mapping[tuple[int, int], Layout]
) -> Layout | None:
    if template is None or template.settings.layout_id is None:
        return None
    return layouts.get((workspace_id, template.settings.layout_id))
