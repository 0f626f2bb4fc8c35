"""A real tidings server on loopback, for driving real client libraries against it.

`tidings_server` runs uvicorn in a background thread with its own event loop (as httpx's
tests/conftest.py does) and serves one app twice: over TLS, with a certificate trustme makes for
127.0.0.1, for Track API clients (they always speak https), and over plain HTTP for App API
clients. The processor does not run by itself; a test calls `process()` to apply everything
logged so far, on the server's loop, so results are deterministic without sleeping or polling.

The server lives for the session; each test gets a fresh workspace, so tests never see each
other's people.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import trustme
import uvicorn
from aiosmtpd.controller import Controller
from customerio import APIClient, CustomerIO

from tests.conftest import new_workspace
from tests.factories.smtp import Inbox
from tidings.api import create_app
from tidings.clock import ManualClock
from tidings.config import DatabaseSettings, Settings, SmtpSettings, StartTlsMode
from tidings.services import Role, Services, build_services
from tidings.workspaces import IdentifierMode, NewWorkspace

T = TypeVar("T")

SERVER_STARTED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
_HOST = "127.0.0.1"
# Generous bound for one call into the server's loop; a hang fails the test instead of the run.
_CALL_TIMEOUT_SECONDS = 30
_SHUTDOWN_TIMEOUT_SECONDS = 3
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass(frozen=True, slots=True)
class TidingsServer:
    """A running server: where to reach it, and a way to run coroutines on its loop."""

    track_port: int
    app_url: str
    ca_bundle: Path
    services: Services
    loop: asyncio.AbstractEventLoop
    # What the server's sender handed to its SMTP server.
    inbox: Inbox

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run `coroutine` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=_CALL_TIMEOUT_SECONDS)

    def process(self) -> int:
        """Apply everything in the log now; returns how many messages were applied."""
        return self.call(self.services.processor.run_until_idle())

    def send(self) -> int:
        """Send every email delivery due now to the inbox; returns how many were taken."""
        return self.call(self.services.sender.run_until_idle())

    def new_workspace(self, *, identifier_mode: IdentifierMode = IdentifierMode.EMAIL_OR_ID) -> NewWorkspace:
        return self.call(new_workspace(self.services, name="compat", identifier_mode=identifier_mode))


class _Server(uvicorn.Server):
    """A uvicorn server that tells the test thread once it is listening, or has failed to."""

    def __init__(self, config: uvicorn.Config, *, listening: threading.Event) -> None:
        super().__init__(config)
        self.listening = listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.listening.set()


class _ServerThread(threading.Thread):
    """Builds services on its own loop, then serves the app over TLS and over plain HTTP."""

    def __init__(self, settings: Settings, *, certificate: Path, key: Path) -> None:
        super().__init__(name="tidings-compat-server", daemon=True)
        self.settings = settings
        self.certificate = certificate
        self.key = key
        self.tls_socket = _bound_socket()
        self.plain_socket = _bound_socket()
        self.tls_listening = threading.Event()
        self.plain_listening = threading.Event()
        self.servers: list[_Server] = []
        self.services: Services | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.failure: BaseException | None = None
        self.is_failure_reported = False

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the test thread by `wait_listening`
            self.failure = exc
        finally:
            self.tls_listening.set()
            self.plain_listening.set()

    async def _serve(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.services = build_services(self.settings, clock=ManualClock(SERVER_STARTED_AT))
        # Only the API role: the log writer runs, the processor waits for `process()`.
        app = create_app(self.services, roles=(Role.API,))
        # The TLS server runs the app's lifespan; the plain one shares the started services.
        tls = _Server(
            uvicorn.Config(
                app,
                ssl_certfile=str(self.certificate),
                ssl_keyfile=str(self.key),
                lifespan="on",
                log_level="warning",
                # A client socket left open (a response kept alive by a stored exception) holds
                # asyncio's TLS close for 30 s; bound the wait so teardown still stops services.
                timeout_graceful_shutdown=_SHUTDOWN_TIMEOUT_SECONDS,
            ),
            listening=self.tls_listening,
        )
        plain = _Server(
            uvicorn.Config(app, lifespan="off", log_level="warning"), listening=self.plain_listening
        )
        self.servers = [tls, plain]
        await asyncio.gather(tls.serve(sockets=[self.tls_socket]), plain.serve(sockets=[self.plain_socket]))

    def wait_listening(self) -> None:
        for listening in (self.tls_listening, self.plain_listening):
            assert listening.wait(_CALL_TIMEOUT_SECONDS), "the compat server did not start in time"
        if self.failure is not None or not all(server.started for server in self.servers):
            self.is_failure_reported = True
            raise RuntimeError("the compat server failed to start") from self.failure

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True
        self.join(_CALL_TIMEOUT_SECONDS)
        assert not self.is_alive(), "the compat server did not stop in time"
        if self.failure is not None and not self.is_failure_reported:
            raise RuntimeError("the compat server failed while serving") from self.failure


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_HOST, 0))
        return sock.getsockname()[1]


def _bound_socket() -> socket.socket:
    """A socket bound to a free loopback port; uvicorn listens on it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((_HOST, 0))
    return sock


@pytest.fixture(scope="session")
def tidings_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TidingsServer]:
    directory = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    issued = authority.issue_cert(_HOST, "localhost")
    ca_bundle, certificate, key = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    authority.cert_pem.write_to_path(str(ca_bundle))
    key.write_bytes(issued.private_key_pem.bytes())
    certificate.write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))

    inbox = Inbox()
    smtp = Controller(inbox, hostname=_HOST, port=_free_port())
    smtp.start()
    settings = Settings(
        database=DatabaseSettings(url=database_url),
        smtp=SmtpSettings(host=_HOST, port=smtp.port, starttls=StartTlsMode.OFF, timeout_seconds=10),
    )
    thread = _ServerThread(settings, certificate=certificate, key=key)
    thread.start()
    try:
        thread.wait_listening()
        assert thread.services is not None and thread.loop is not None
        yield TidingsServer(
            track_port=thread.tls_socket.getsockname()[1],
            app_url=f"http://{_HOST}:{thread.plain_socket.getsockname()[1]}",
            ca_bundle=ca_bundle,
            services=thread.services,
            loop=thread.loop,
            inbox=inbox,
        )
    finally:
        thread.stop()
        smtp.stop()


@pytest.fixture
def process(tidings_server: TidingsServer) -> Callable[[], int]:
    """Apply everything the server has logged so far."""
    return tidings_server.process


@pytest.fixture
def workspace(tidings_server: TidingsServer) -> NewWorkspace:
    """A fresh email-or-id workspace on the compat server."""
    return tidings_server.new_workspace()


@pytest.fixture
def trust_server_certificate(tidings_server: TidingsServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `requests` trust the server's certificate and reach loopback directly."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tidings_server.ca_bundle))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", _HOST)


@pytest.fixture
def track(
    tidings_server: TidingsServer, workspace: NewWorkspace, trust_server_certificate: None
) -> Iterator[CustomerIO]:
    """The PyPI `customerio` Track client, unchanged, pointed at the server over TLS."""
    port = tidings_server.track_port
    with CustomerIO(workspace.site_id, workspace.track_api_key, host=_HOST, port=port) as client:
        yield client


@pytest.fixture
def api(
    tidings_server: TidingsServer, workspace: NewWorkspace, trust_server_certificate: None
) -> Iterator[APIClient]:
    """The PyPI `customerio` App API client, pointed at the server over plain HTTP."""
    with APIClient(workspace.app_api_key, url=tidings_server.app_url) as client:
        yield client
