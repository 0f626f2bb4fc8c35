"""The sender role: takes due email deliveries, passes them through the gate and hands them to SMTP.

Each round leases a batch of due deliveries (pushing their due time past the lease), sends them
concurrently, and records each outcome: sent; attempted and due again after Customer.io's backoff
when the server answered 4xx or could not be reached; bounced, with the address suppressed, on a
5xx; failed when the Liquid does not render or the retries run out. A sender that dies mid-send
leaves the lease to expire and the delivery is sent again (at least once; its Message-ID carries
the delivery id), never lost.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from tidings.background import BackgroundTask
from tidings.clock import Clock
from tidings.db import Database
from tidings.errors import ProviderFailed
from tidings.messaging import queries
from tidings.messaging.channels import Channel
from tidings.messaging.deliveries import advance_delivery
from tidings.messaging.email import OutboundEmail, parse_addresses
from tidings.messaging.email_content import Stopped, prepare_email
from tidings.messaging.errors import RenderFailed, SmtpFailed
from tidings.messaging.metrics import record_delivery_activity
from tidings.messaging.subscriptions import read_subscription_center
from tidings.messaging.types import Delivery, DeliveryChannel, DeliveryStatus
from tidings.people import IdentifierKind, ResolvedRef, email_key, find_person
from tidings.workspaces import get_workspace

__all__ = ["RETRY_DELAYS", "Sender"]

logger = logging.getLogger(__name__)

# Customer.io retries a message it could not hand over with exponential backoff, about an hour in all.
RETRY_DELAYS = tuple(
    timedelta(seconds=s) for s in (15, 30, 60, 120, 240, 480, 600, 600, 600, 600)
)
_LEASE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class _Prepared:
    workspace_id: int
    delivery: Delivery
    outcome: OutboundEmail | Stopped | RenderFailed


class Sender:
    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        channel: Channel[OutboundEmail] | None,
        base_url: str,
        batch_size: int = 50,
        idle_poll_seconds: float = 1.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._channel = channel
        self._base_url = base_url
        self._batch_size = batch_size
        self._idle_poll_seconds = idle_poll_seconds
        self._loop = BackgroundTask("sender", self._run)

    async def start(self) -> None:
        if self._channel is None:
            logger.warning("no SMTP server is configured (TIDINGS_SMTP_HOST): email deliveries stay queued")
            return
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
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
        prepared = await self._db.write(self._claim_and_prepare, now)
        if not prepared:
            return 0
        results = await asyncio.gather(*(self._send(item) for item in prepared))
        await self._db.write(self._record, results)
        return len(prepared)

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

    def _claim_and_prepare(self, conn: Connection, now: datetime) -> list[_Prepared]:
        claimed = queries.claim_due_deliveries(
            conn, channel=DeliveryChannel.EMAIL, now=now, lease_until=now + _LEASE, limit=self._batch_size
        )
        return [self._prepare(conn, workspace_id, delivery, now) for workspace_id, delivery in claimed]

    def _prepare(self, conn: Connection, workspace_id: int, delivery: Delivery, now: datetime) -> _Prepared:
        workspace = get_workspace(conn, workspace_id=workspace_id)
        person = (
            find_person(conn, workspace_id=workspace_id, ref=ResolvedRef(IdentifierKind.CIO_ID, delivery.cio_id))
            if delivery.cio_id and workspace is not None
            else None
        )
        if workspace is None:
            return _Prepared(workspace_id, delivery, Stopped(DeliveryStatus.UNDELIVERABLE, "the workspace was deleted"))
        template = (
            queries.find_transactional_message(
                conn, workspace_id=workspace_id, message_id=delivery.transactional_message_id
            )
            if delivery.transactional_message_id is not None
            else None
        )
        try:
            outcome = prepare_email(
                delivery,
                workspace=workspace,
                person=person,
                template=template,
                subscription_center=read_subscription_center(conn, workspace_id=workspace_id),
                is_suppressed=self._is_suppressed(conn, workspace_id, delivery),
                base_url=self._base_url,
                now=now,
            )
        except RenderFailed as exc:
            outcome = exc
        except Exception as exc:  # a bad stored request must fail its delivery, not the round
            outcome = RenderFailed(str(exc))
        return _Prepared(workspace_id, delivery, outcome)

    def _is_suppressed(self, conn: Connection, workspace_id: int, delivery: Delivery) -> bool:
        to = delivery.request.get("to")
        if not to:
            return False
        try:
            addresses = parse_addresses(to, field="to")
        except Exception:
            return False
        return any(
            queries.is_email_suppressed(conn, workspace_id=workspace_id, email_key=email_key(a.addr_spec))
            for a in addresses
        )

    async def _send(self, item: _Prepared) -> tuple[_Prepared, BaseException | None]:
        if not isinstance(item.outcome, OutboundEmail):
            return item, None
        assert self._channel is not None
        try:
            await self._channel.send(item.outcome)
        except ProviderFailed as exc:
            return item, exc
        except Exception as exc:  # an unexpected failure is retried like a connection failure
            logger.exception("email send failed unexpectedly", extra={"delivery_id": item.delivery.id})
            return item, ProviderFailed(str(exc), retryable=True)
        return item, None

    def _record(self, conn: Connection, results: list[tuple[_Prepared, BaseException | None]]) -> None:
        now = self._clock.now()
        for item, error in results:
            delivery = self._outcome(conn, item, error, now=now)
            queries.update_delivery(conn, workspace_id=item.workspace_id, delivery=delivery)
            if delivery.status is not DeliveryStatus.ATTEMPTED:
                record_delivery_activity(
                    conn, workspace_id=item.workspace_id, delivery=delivery, metric=delivery.status.value, data={}, now=now
                )

    def _outcome(self, conn: Connection, item: _Prepared, error: BaseException | None, *, now: datetime) -> Delivery:
        delivery, outcome = item.delivery, item.outcome
        if isinstance(outcome, Stopped):
            return advance_delivery(delivery, outcome.status, at=now, failure_message=outcome.reason, due_at=None)
        if isinstance(outcome, RenderFailed):
            return advance_delivery(delivery, DeliveryStatus.FAILED, at=now, failure_message=str(outcome), due_at=None)
        if error is None:
            retained = not delivery.request.get("disable_message_retention")
            content = {"to": outcome.to, "from": outcome.from_address, "subject": outcome.subject}
            if retained:
                content["body"] = outcome.html
            return advance_delivery(delivery, DeliveryStatus.SENT, at=now, rendered=content, due_at=None, failure_message=None)
        assert isinstance(error, ProviderFailed)
        if isinstance(error, SmtpFailed) and error.is_bounce:
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
