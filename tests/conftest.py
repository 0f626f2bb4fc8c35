"""Fixtures that give tests real parts: a migrated database, a manual clock, the app and a workspace.

`mail` adds a real SMTP server (aiosmtpd on 127.0.0.1) that the sender delivers to. The database
is SQLite by default. Set TIDINGS_TEST_DATABASE_URL to a PostgreSQL server URL
(`postgresql://root@127.0.0.1:5432/postgres`) to run the same suite there: a scratch database is
created for the session and dropped after. Tests never share a workspace, so they never see each
other's rows.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.factories.smtp import Inbox, smtp_server
from tests.factories.track import TrackDriver, app_auth, track_auth
from tidings.api import create_app
from tidings.clock import ManualClock
from tidings.config import DatabaseSettings, ProcessorSettings, SenderSettings, Settings, SmtpSettings, StartTlsMode
from tidings.db import migrate, sync_url
from tidings.services import Services, build_services
from tidings.workspaces import IdentifierMode, NewWorkspace, create_workspace


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = os.environ.get("TIDINGS_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'tidings.db'}"
        migrate(url)
        yield url
        return
    name = f"tidings_test_{secrets.token_hex(4)}"
    admin = create_engine(sync_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    """Defaults on the test database; parametrize indirectly with processor settings to change them.

    The sender renders in a thread: a render process per test would cost a second to start
    (tests/messaging/test_sender.py runs one)."""
    processor = ProcessorSettings(**getattr(request, "param", {}))
    sender = SenderSettings(render_processes=0)
    return Settings(database=DatabaseSettings(url=database_url), processor=processor, sender=sender)


@pytest.fixture
async def services(settings: Settings, clock: ManualClock) -> AsyncIterator[Services]:
    built = build_services(settings, clock=clock)
    yield built
    await built.stop()


async def new_workspace(
    services: Services, *, name: str = "test", identifier_mode: IdentifierMode = IdentifierMode.EMAIL_OR_ID
) -> NewWorkspace:
    return await services.db.write(create_workspace, name=name, now=services.clock.now(), identifier_mode=identifier_mode)


@pytest.fixture
async def workspace(services: Services) -> NewWorkspace:
    return await new_workspace(services)


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for the app. The processor does not run by itself: call `processed()`."""
    app = create_app(services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tidings.test") as http:
        yield http




@pytest.fixture
def track(client: httpx.AsyncClient, services: Services, workspace: NewWorkspace) -> TrackDriver:
    """Track API calls for `workspace`, the processor on demand, and App API read-back."""
    return TrackDriver(client, services, workspace)


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


__all__ = ["app_auth", "new_workspace", "track_auth"]
