"""An acknowledged call survives the server being killed: it is in the log, and applied after restart.

The worker process `serve` spawned does not outlive it either.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tidings.people import IdentifierKind, ResolvedRef, find_person
from tidings.services import Services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # waiting for a child process to bind, not for business time
        assert process.poll() is None, "tidings serve exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("tidings serve did not start listening")


def _children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _wait_until_gone(pid: int) -> None:
    """A worker spawned by `serve` exits when its parent dies (it checks once a second)."""
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid):
        assert time.monotonic() < deadline, "the worker outlived the killed server"
        time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split("\n")[0].lower()
    except (FileNotFoundError, IndexError):
        return "zombie"


async def test_acknowledged_calls_survive_a_killed_server(database_url: str, services: Services) -> None:
    env = {**os.environ, "TIDINGS_DATABASE_URL": database_url, "TIDINGS_LOG_LEVEL": "WARNING"}
    created = subprocess.run(
        [sys.executable, "-m", "tidings", "workspace", "create", "durable", "--json"],
        env=env, capture_output=True, text=True, check=True,
    )
    credentials = json.loads(created.stdout)
    basic = base64.b64encode(f"{credentials['site_id']}:{credentials['track_api_key']}".encode()).decode()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tidings", "serve", "--port", str(port), "--no-migrate"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(port, server)
        workers = _children(server.pid)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Basic {basic}"}) as http:
            for n in range(50):
                assert http.put(f"/api/v1/customers/person-{n}", json={"n": n}).status_code == 200
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait()
    assert len(workers) == 1, "serve starts one worker process by default"
    _wait_until_gone(workers[0])

    await services.processor.run_until_idle()

    with services.db.connect() as conn:
        found = [
            find_person(conn, workspace_id=credentials["workspace_id"], ref=ResolvedRef(IdentifierKind.ID, f"person-{n}"))
            for n in range(50)
        ]
    assert [person.attributes["n"] if person else None for person in found] == list(range(50))
