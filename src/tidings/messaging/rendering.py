"""The sender's CPU work: a leased delivery through the gate, Liquid, link tracking and MIME, to bytes.

Rendering and composing cost about a millisecond of CPU per email, several times what handing the
bytes to an SMTP connection costs, so the sender does them in processes of its own (`RenderPool`)
and keeps its event loop for the database and the SMTP connections. A `RenderJob` holds plain
values (the delivery, the person, the template, its layout and snippets), and `render_jobs` is a
pure function of them, so the same code runs in a worker process, in a thread (no render
processes: tests, the smallest machines) or directly.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from functools import partial

import anyio.to_thread

from tidings.errors import InvalidInput
from tidings.messaging.email import ComposedEmail, compose_email
from tidings.messaging.email_content import Stopped, prepare_email
from tidings.messaging.subscriptions import SubscriptionCenter
from tidings.messaging.types import Delivery, DeliveryStatus, Layout, TransactionalMessage
from tidings.people import Person
from tidings.workspaces import Workspace

__all__ = ["ReadyEmail", "RenderJob", "RenderPool", "render_jobs"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RenderJob:
    """A leased delivery and what the gate and the Liquid read, as found when it was leased."""

    delivery: Delivery
    workspace: Workspace
    person: Person | None
    template: TransactionalMessage | None
    subscription_center: SubscriptionCenter
    is_suppressed: bool
    snippets: Mapping[str, str]
    layout: Layout | None


@dataclass(frozen=True, slots=True)
class ReadyEmail:
    """An email composed for SMTP, and what its delivery keeps of it once sent."""

    composed: ComposedEmail
    to: str
    from_address: str
    subject: str
    # The rendered HTML, or None when the send request turned message retention off.
    html: str | None


def render_jobs(jobs: Sequence[RenderJob], *, base_url: str, now: datetime) -> list[ReadyEmail | Stopped]:
    """Each job's email, ready for SMTP, or why it must not be sent.

    A delivery whose Liquid does not render, or whose email breaks a composition rule, is Stopped
    as failed with the reason Customer.io gives; nothing here raises for one bad delivery.
    """
    return [_render(job, base_url=base_url, now=now) for job in jobs]


def _render(job: RenderJob, *, base_url: str, now: datetime) -> ReadyEmail | Stopped:
    try:
        email = prepare_email(
            job.delivery,
            workspace=job.workspace,
            person=job.person,
            template=job.template,
            subscription_center=job.subscription_center,
            is_suppressed=job.is_suppressed,
            snippets=job.snippets,
            layout=job.layout,
            base_url=base_url,
            now=now,
        )
        if isinstance(email, Stopped):
            return email
        composed = compose_email(email, now=now)
    except InvalidInput as exc:  # RenderFailed, or a composition rule
        return Stopped(DeliveryStatus.FAILED, str(exc))
    except Exception as exc:  # a bad stored request must fail its delivery, not the round
        return Stopped(DeliveryStatus.FAILED, str(exc))
    is_retained = not job.delivery.request.get("disable_message_retention")
    return ReadyEmail(
        composed=composed,
        to=email.to,
        from_address=email.from_address,
        subject=email.subject,
        html=email.html if is_retained else None,
    )


class RenderPool:
    """Runs `render_jobs` in `processes` worker processes, or in a worker thread when 0.

    The processes start on first use (or `start`) and are spawned, not forked: the sender's
    process has threads and open connections that a fork would copy. A worker that dies breaks
    the pool: the batches in flight raise `BrokenProcessPool`, and the next batch starts new workers.
    """

    def __init__(self, processes: int) -> None:
        assert processes >= 0, "render processes must be 0 (render in a thread) or more"
        self._processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._thread_turn = asyncio.Lock()

    async def start(self) -> None:
        """Start the worker processes now rather than on the first batch (they take a second to
        import), and wait until each has."""
        if self._processes:
            executor = self._running()
            await asyncio.gather(*(asyncio.wrap_future(executor.submit(_ready)) for _ in range(self._processes)))

    def render(self, jobs: Sequence[RenderJob], *, base_url: str, now: datetime) -> asyncio.Future[list[ReadyEmail | Stopped]]:
        """Start rendering `jobs`; the result is what `render_jobs` returns.

        In processes, batches started together render in parallel; in a thread, one at a time
        (the interpreter lock would only interleave them).
        """
        work = partial(render_jobs, jobs, base_url=base_url, now=now)
        if not self._processes:
            return asyncio.ensure_future(self._in_thread(work))
        executor = self._running()
        try:
            submitted = executor.submit(work)
        except BrokenProcessPool:  # a worker died while the pool was idle: nothing was lost
            self._forget(executor)
            executor = self._running()
            submitted = executor.submit(work)
        future = asyncio.wrap_future(submitted)
        future.add_done_callback(partial(self._forget_if_broken, executor))
        return future

    async def close(self) -> None:
        """Stop the worker processes once the batches in flight are done."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await anyio.to_thread.run_sync(executor.shutdown)

    async def _in_thread(self, work: partial[list[ReadyEmail | Stopped]]) -> list[ReadyEmail | Stopped]:
        async with self._thread_turn:
            return await anyio.to_thread.run_sync(work)

    def _running(self) -> ProcessPoolExecutor:
        if self._executor is None:
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(self._processes, mp_context=context, initializer=_ignore_interrupts)
        return self._executor

    def _forget_if_broken(self, executor: ProcessPoolExecutor, future: asyncio.Future[list[ReadyEmail | Stopped]]) -> None:
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            self._forget(executor)

    def _forget(self, broken: ProcessPoolExecutor) -> None:
        """Drop a broken pool, once: the batches it failed all report it, and a new pool may run already."""
        if self._executor is broken:
            logger.error("a render process died; starting new ones")
            self._executor = None
            broken.shutdown(wait=False, cancel_futures=True)


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the whole process group; the sender decides when its workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _ready() -> None:
    """Nothing: a worker that ran it has started and imported tidings."""
