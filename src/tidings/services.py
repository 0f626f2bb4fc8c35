"""The running parts of one tidings process, built once from settings and passed to every face."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from tidings.clock import Clock, SystemClock
from tidings.config import Settings
from tidings.db import Database
from tidings.log import LogWriter
from tidings.messaging import EmailChannel, EmailRouter, MessageType, Sender, SmtpChannel
from tidings.processor import Processor
from tidings.scheduler import Scheduler
from tidings.segments import SegmentWorker

__all__ = ["Role", "Services", "build_services", "public_url"]


class Role(StrEnum):
    """What a process does; `tidings serve` runs them all, `tidings worker --role` one."""

    API = "api"
    PROCESSOR = "processor"
    SCHEDULER = "scheduler"
    SENDER = "sender"


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    db: Database
    log: LogWriter
    processor: Processor
    scheduler: Scheduler
    sender: Sender
    segments: SegmentWorker
    # Where email leaves this installation (None without an SMTP server); test sends use it directly.
    email_channel: EmailChannel | None = None

    async def start(self, roles: Iterable[Role]) -> None:
        roles = set(roles)
        if Role.API in roles:
            await self.log.start()
        if Role.PROCESSOR in roles:
            await self.processor.start()
        if Role.SCHEDULER in roles:
            await self.scheduler.start()
            await self.segments.start()
        if Role.SENDER in roles:
            await self.sender.start()

    async def stop(self) -> None:
        await self.log.stop()
        await self.processor.stop()
        await self.scheduler.stop()
        await self.sender.stop()
        await self.segments.stop()
        self.db.dispose()


def build_services(
    settings: Settings, *, clock: Clock | None = None, email_channel: EmailChannel | None = None
) -> Services:
    """Every part of a process. `email_channel` replaces the SMTP server of the settings (tests)."""
    clock = clock or SystemClock()
    db = Database(settings.database.url)
    partitions = settings.database.log_partitions
    processor = Processor(db, clock=clock, settings=settings.processor, partitions=partitions)
    log = LogWriter(db, clock=clock, partitions=partitions, on_commit=processor.wake)
    channel = email_channel or _smtp_channel(settings, clock)
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        log=log,
        processor=processor,
        scheduler=Scheduler(db, clock=clock),
        sender=Sender(
            db,
            clock=clock,
            channel=channel,
            base_url=public_url(settings),
            render_processes=settings.sender.render_processes,
        ),
        segments=SegmentWorker(db, clock=clock),
        email_channel=channel,
    )


def public_url(settings: Settings) -> str:
    """Where people's browsers reach this installation: tracking links, unsubscribe pages."""
    server = settings.server
    if server.public_track_url:
        return server.public_track_url.rstrip("/")
    scheme = "https" if server.tls_certificate is not None else "http"
    return f"{scheme}://{server.host}:{server.port}"


def _smtp_channel(settings: Settings, clock: Clock) -> EmailChannel | None:
    """The configured SMTP server, or with routes, a router sending each kind of email through its own."""
    if not settings.smtp.host:
        return None
    default = SmtpChannel(settings.smtp, clock=clock)
    if not settings.smtp_routes:
        return default
    routes = {}
    for route in settings.smtp_routes:
        channel = SmtpChannel(route.smtp, clock=clock)
        routes.update({MessageType(message_type): channel for message_type in route.message_types})
    return EmailRouter(default=default, routes=routes)
