"""A process's parts as the settings describe them: here, email sent through the configured SMTP servers."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from tests.conftest import new_workspace
from tests.factories.mail import deliver, send, setup
from tests.factories.smtp import Inbox, smtp_server
from tests.factories.track import TrackDriver
from tidings.api import create_app
from tidings.clock import ManualClock
from tidings.config import Settings, SmtpRoute, SmtpSettings, StartTlsMode
from tidings.services import build_services


def _smtp(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, starttls=StartTlsMode.OFF, timeout_seconds=5)


@pytest.mark.parametrize(("route", "is_routed"), [("transactional", True), ("newsletter", False)])
async def test_email_goes_through_the_server_routed_for_its_kind(
    settings: Settings, clock: ManualClock, route: str, is_routed: bool
) -> None:
    everything, receipts = Inbox(), Inbox()
    async with smtp_server(everything) as default_port, smtp_server(receipts) as routed_port:
        routes = (SmtpRoute(name="receipts", message_types=frozenset({route}), smtp=_smtp(routed_port)),)
        services = build_services(dataclasses.replace(settings, smtp=_smtp(default_port), smtp_routes=routes), clock=clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(services)), base_url="http://t") as client:
            await services.sender.run_until_idle()  # what other tests left due
            everything.received.clear()
            receipts.received.clear()
            track = TrackDriver(client, services, await new_workspace(services))
            await setup(track)

            await send(track, message_data={"order": "A-1"})
            await deliver(services, track)

        await services.stop()
    routed, default = (receipts, everything) if is_routed else (everything, receipts)
    assert [r.rcpt_tos for r in routed.received] == [["ann@example.com"]]
    assert default.received == []
