"""Fixtures for messaging tests: a real SMTP server and services that send to it."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import new_workspace
from tests.factories.smtp import Inbox, smtp_server
from tests.factories.track import TrackDriver
from tidings.api import create_app
from tidings.clock import ManualClock
from tidings.config import Settings, SmtpSettings, StartTlsMode
from tidings.services import Services, build_services


@pytest.fixture
async def mail(settings: Settings, clock: ManualClock) -> AsyncIterator[tuple[Inbox, Services, TrackDriver]]:
    """An SMTP inbox on 127.0.0.1, services whose sender delivers to it (tracking links under
    https://track.example.com), and a Track/App API driver for a fresh workspace."""
    inbox = Inbox()
    async with smtp_server(inbox) as port:
        smtp = SmtpSettings(host="127.0.0.1", port=port, starttls=StartTlsMode.OFF, timeout_seconds=5)
        server = dataclasses.replace(settings.server, public_track_url="https://track.example.com")
        services = build_services(dataclasses.replace(settings, smtp=smtp, server=server), clock=clock)
        app = create_app(services)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tidings.test") as client:
            # Tests share one database: send what other tests left due, so the inbox holds only ours.
            await services.sender.run_until_idle()
            inbox.received.clear()
            workspace = await new_workspace(services)
            yield inbox, services, TrackDriver(client, services, workspace)
        await services.stop()
