"""What every ingest bench shares: a scratch database, a server child process, a keep-alive load
generator, and the one-line figures (STYLE rule 16).

The load generator shares the machine with the server, so it is kept cheap: raw asyncio streams,
requests encoded before the clock starts, and just enough response parsing to check the status.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import platform
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from tidings.db import Database, sync_url
from tidings.db.schema import log_cursors
from tidings.log import partitions_behind

DEFAULT_POSTGRES_URL = "postgresql://root@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
POLL_SECONDS = 0.2
STARTUP_TIMEOUT_SECONDS = 60.0
SHUTDOWN_TIMEOUT_SECONDS = 30.0
SHOWN_FAILURES = 10


@dataclass(frozen=True, slots=True)
class Credentials:
    site_id: str
    track_api_key: str
    cdp_api_key: str
    app_api_key: str

    @property
    def track_authorization(self) -> str:
        """Track API: Basic `site_id:api_key`."""
        return _basic(f"{self.site_id}:{self.track_api_key}")

    @property
    def pipelines_authorization(self) -> str:
        """Pipelines API: Basic with the write key as user name and no password."""
        return _basic(f"{self.cdp_api_key}:")

    @property
    def app_authorization(self) -> str:
        """App API (the Transactional API too): Bearer with the App API key."""
        return f"Bearer {self.app_api_key}"


def _basic(user_password: str) -> str:
    return "Basic " + base64.b64encode(user_password.encode()).decode()


@dataclass(slots=True)
class LoadResult:
    """What one generator saw: per-request latencies of the 200s, and every failure."""

    latencies: array = field(default_factory=lambda: array("d"))
    failures: list[str] = field(default_factory=list)
    finished_at: float = 0.0

    def merge(self, other: LoadResult) -> None:
        self.latencies.extend(other.latencies)
        self.failures.extend(other.failures)
        self.finished_at = max(self.finished_at, other.finished_at)


def host_name() -> str:
    """The last field of a figure: enough to tell machines apart."""
    return f"{os.cpu_count()}cpu-{platform.machine()}"


@contextlib.contextmanager
def scratch_database(backend: str, *, workdir: Path, server_url: str) -> Iterator[str]:
    """A database URL nobody else uses; a PostgreSQL one is dropped on exit."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'tidings.db'}"
        return
    name = f"tidings_bench_{secrets.token_hex(4)}"
    admin = create_engine(sync_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_workspace(env: dict[str, str]) -> Credentials:
    """Create a workspace with the CLI (which also migrates the database)."""
    completed = subprocess.run(
        [sys.executable, "-m", "tidings", "workspace", "create", "bench", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    created = json.loads(completed.stdout)
    return Credentials(
        site_id=created["site_id"],
        track_api_key=created["track_api_key"],
        cdp_api_key=created["cdp_api_key"],
        app_api_key=created["app_api_key"],
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def serve_command(*, port: int, workers: int) -> list[str]:
    """`tidings serve` on `port` with `workers` worker processes."""
    return [sys.executable, "-m", "tidings", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]


@contextlib.contextmanager
def running_server(command: list[str], *, env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """A server child process, stopped with SIGINT (then killed) on exit; its output goes to `log_path`."""
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                note(f"server did not stop within {SHUTDOWN_TIMEOUT_SECONDS:.0f} s of SIGINT; killing it")
                server.kill()
                server.wait()
        logged = log_path.read_text(errors="replace").splitlines()
        if server.returncode not in (0, -signal.SIGINT) or logged:
            note(f"server exited with {server.returncode} after logging {len(logged)} lines; the last ones:")
            note(_tail(log_path))


def wait_until_ready(server: subprocess.Popen, *, port: int, request: bytes) -> None:
    """Block until `request` answers 200; a request that authenticates also fills the credentials cache."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before answering")
        try:
            with socket.create_connection((HOST, port), timeout=2) as conn:
                conn.sendall(request)
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer on port {port} within {STARTUP_TIMEOUT_SECONDS:.0f} s")


def encode_request(
    method: str,
    path: str,
    *,
    host: str,
    authorization: str,
    body: dict | bytes | None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One HTTP/1.1 request; a dict body is sent as compact JSON."""
    payload = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\n"
    for name, value in (headers or {}).items():
        head += f"{name}: {value}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return (head + "\r\n").encode() + payload


def run_load(
    build_requests: Callable[..., list[bytes]],
    request_args: dict,
    *,
    port: int,
    connections: int,
    procs: int,
    total: int,
    seed: int,
    rate: float | None = None,
) -> tuple[float, LoadResult]:
    """Send `total` requests made by `build_requests(count=, seed=, **request_args)` over `connections`
    keep-alive connections from `procs` generator processes; returns the start time and what they saw.
    With a `rate` (requests/s in all) the requests are paced to it instead of sent as fast as answered.

    `build_requests` must be a module-level function (generator processes are spawned).
    """
    counts = [_share(total, parts=procs, index=i) for i in range(procs)]
    per_proc_connections = [max(1, _share(connections, parts=procs, index=i)) for i in range(procs)]
    jobs = [
        {
            "port": port,
            "connections": per_proc_connections[i],
            "rate": rate / procs if rate else None,
            "build": build_requests,
            "request_args": {**request_args, "count": counts[i], "seed": seed * 1000 + i},
        }
        for i in range(procs)
    ]
    if procs == 1:
        requests = build_requests(**jobs[0]["request_args"])
        return _run_loop(_drive(requests, port=port, connections=per_proc_connections[0], start=None, rate=rate))

    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(procs + 1)
    start = context.Event()
    results = context.Queue()
    children = [context.Process(target=_generator_process, args=(job, ready, start, results)) for job in jobs]
    for child in children:
        child.start()
    ready.wait()
    started_at = time.monotonic()
    start.set()
    result = LoadResult()
    for _ in children:
        latencies, failures, finished_at = results.get()
        result.merge(LoadResult(array("d", latencies), failures, finished_at))
    for child in children:
        child.join()
    return started_at, result


def _share(total: int, *, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


def _generator_process(job: dict, ready, start, results) -> None:
    requests = job["build"](**job["request_args"])

    async def go() -> tuple[float, LoadResult]:
        return await _drive(
            requests, port=job["port"], connections=job["connections"], start=(ready, start), rate=job["rate"]
        )

    _, result = _run_loop(go())
    results.put((result.latencies.tolist(), result.failures, result.finished_at))


def _run_loop(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


async def _drive(
    requests: list[bytes], *, port: int, connections: int, start, rate: float | None = None
) -> tuple[float, LoadResult]:
    """Send `requests` over `connections` keep-alive connections, one request in flight on each;
    with a `rate`, request n is not sent before n / rate seconds from the start."""
    result = LoadResult()
    streams = [await asyncio.open_connection(HOST, port) for _ in range(connections)]
    if start is not None:
        ready, go = start
        await asyncio.to_thread(ready.wait)
        await asyncio.to_thread(go.wait)
    pending = iter(enumerate(requests))  # shared: each connection takes the next unsent request
    started_at = time.monotonic()

    async def send_all(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for index, request in pending:
            if rate and (wait := started_at + index / rate - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            sent_at = time.monotonic()
            try:
                writer.write(request)
                status, body, keep_alive = await _read_response(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                result.failures.append(f"{type(exc).__name__}: {exc}")
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            if status == 200:
                result.latencies.append(time.monotonic() - sent_at)
            else:
                result.failures.append(
                    f"{status} {body[:200].decode(errors='replace')} ({request.split(b' ', 2)[1].decode()})"
                )
            if not keep_alive:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
        writer.close()

    await asyncio.gather(*(send_all(reader, writer) for reader, writer in streams))
    result.finished_at = time.monotonic()
    return started_at, result


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the connection stays open; bodies need Content-Length or chunking."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lowered = head.lower()
    keep_alive = b"\r\nconnection: close" not in lowered
    length_at = lowered.find(b"\r\ncontent-length:")
    if length_at >= 0:
        end = lowered.index(b"\r\n", length_at + 2)
        return status, await reader.readexactly(int(head[length_at + 17 : end])), keep_alive
    if b"\r\ntransfer-encoding: chunked" in lowered:
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append((await reader.readexactly(size + 2))[:-2])
        await reader.readuntil(b"\r\n")
        return status, b"".join(chunks), keep_alive
    raise ValueError(f"response {status} has neither Content-Length nor chunked encoding")


def wait_until_applied(database_url: str) -> float:
    """Poll with a fresh read until the processor has applied every log entry; returns when it had."""
    db = Database(database_url)
    try:
        while True:
            with db.connect() as conn:
                # Without cursors (a processor not started yet) no partition counts as behind.
                has_cursors = conn.execute(select(func.count()).select_from(log_cursors)).scalar_one() > 0
                if has_cursors and not partitions_behind(conn):
                    return time.monotonic()
            time.sleep(POLL_SECONDS)
    finally:
        db.dispose()


def server_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child_pids(pid: int) -> list[int]:
    """The direct children of a process (the workers `tidings serve` spawns)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


@contextlib.contextmanager
def sampling_profiles(pids: dict[str, int], *, directory: Path | None) -> Iterator[None]:
    """With a `directory`, sample each named process with py-spy while the block runs.

    py-spy is not a dependency of tidings (`pip install py-spy` into any environment); it writes
    collapsed stacks, `<name>.txt`, one line per stack with its sample count.
    """
    if directory is None:
        yield
        return
    spy = shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("--profile needs py-spy on PATH (pip install py-spy)")
    directory.mkdir(parents=True, exist_ok=True)
    samplers = [
        subprocess.Popen(
            [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200", "--nonblocking",
             "--output", str(directory / f"{name}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]
    try:
        yield
    finally:
        for sampler in samplers:
            sampler.send_signal(signal.SIGINT)
        for sampler in samplers:
            sampler.wait()
        note(f"profiles written to {directory}")


def report_failures(result: LoadResult, *, total: int, what: str) -> bool:
    """Print the most common failures; True if there were any."""
    if not result.failures:
        return False
    note(f"{len(result.failures)} of {total} {what} failed; most common:")
    for failure, count in Counter(result.failures).most_common(SHOWN_FAILURES):
        note(f"  {count:>6} x {failure}")
    return True


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def figure(name: str, value: float, unit: str, backend: str, host: str) -> None:
    """One figure on stdout: name, value, unit, backend, host."""
    shown = f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    print(f"{name} {shown} {unit} {backend} {host}", flush=True)


def note(text: str) -> None:
    """Progress and failures, on stderr."""
    print(text, file=sys.stderr, flush=True)


def _tail(path: Path, *, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
