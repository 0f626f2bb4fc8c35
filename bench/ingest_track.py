"""Track API ingest: a real `tidings serve` under a mixed identify/event load.

Creates a scratch database (SQLite in a temporary directory, or a scratch PostgreSQL database) and
a workspace, starts `tidings serve` on a free port, and sends a fixed number of Track API v1 calls
over keep-alive connections. Prints one line per figure (STYLE rule 16): accepted calls/s, request
latency p50 and p99, processed calls/s (until the processor has applied the whole log) and the
server's peak RSS.

    .venv/bin/python bench/ingest_track.py                      # SQLite, 60,000 calls, 64 connections
    .venv/bin/python bench/ingest_track.py --db postgres --calls 100000 --procs 2

The load generator shares the machine with the server, so it is kept cheap: raw asyncio streams,
requests encoded before the clock starts, and just enough response parsing to check the status.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import multiprocessing
import os
import platform
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from array import array
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tidings.db import Database, sync_url
from tidings.log import partitions_behind

DEFAULT_POSTGRES_URL = "postgresql://root@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
POLL_SECONDS = 0.2
STARTUP_TIMEOUT_SECONDS = 60.0
SHUTDOWN_TIMEOUT_SECONDS = 30.0
SHOWN_FAILURES = 10

_PLANS = ("free", "starter", "pro", "enterprise")
_EVENT_NAMES = ("page_viewed", "added_to_cart", "purchased", "signed_in")


@dataclass(frozen=True, slots=True)
class Credentials:
    site_id: str
    track_api_key: str

    @property
    def authorization(self) -> str:
        token = base64.b64encode(f"{self.site_id}:{self.track_api_key}".encode()).decode()
        return f"Basic {token}"


@dataclass(slots=True)
class LoadResult:
    """What one generator saw: per-call latencies of the 200s, and every failure."""

    latencies: array = field(default_factory=lambda: array("d"))
    failures: list[str] = field(default_factory=list)
    finished_at: float = 0.0

    def merge(self, other: LoadResult) -> None:
        self.latencies.extend(other.latencies)
        self.failures.extend(other.failures)
        self.finished_at = max(self.finished_at, other.finished_at)


def main() -> int:
    args = _parser().parse_args()
    host_name = f"{os.cpu_count()}cpu-{platform.machine()}"
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="tidings-bench-")))
        database_url = cleanup.enter_context(
            _scratch_database(args.db, workdir=workdir, server_url=args.postgres_url)
        )
        env = {**os.environ, "TIDINGS_DATABASE_URL": database_url, "TIDINGS_LOG_LEVEL": "WARNING"}
        credentials = create_workspace(env)
        port = _free_port()
        server = cleanup.enter_context(_running_server(env, port=port, workdir=workdir, workers=args.workers))
        wait_until_ready(server, port=port, credentials=credentials)
        _note(
            f"server pid {server.pid} on port {port}; {args.calls} calls over {args.connections} connections"
        )

        started_at, result = run_load(args, port=port, credentials=credentials)
        load_seconds = result.finished_at - started_at
        _note(f"load phase {load_seconds:.2f} s; waiting for the processor")
        processed_at = wait_until_applied(database_url)
        peak_rss_mb = server_peak_rss_mb(server.pid)

    backend = args.db
    accepted = len(result.latencies)
    latencies = sorted(result.latencies)
    _figure("track_accepted", accepted / load_seconds, "calls/s", backend, host_name)
    _figure("track_latency_p50", _percentile(latencies, 0.50) * 1000, "ms", backend, host_name)
    _figure("track_latency_p99", _percentile(latencies, 0.99) * 1000, "ms", backend, host_name)
    _figure("track_processed", accepted / (processed_at - started_at), "calls/s", backend, host_name)
    _figure("track_server_peak_rss", peak_rss_mb, "MB", backend, host_name)
    if result.failures:
        _note(f"{len(result.failures)} of {args.calls} calls failed; most common:")
        for failure, count in Counter(result.failures).most_common(SHOWN_FAILURES):
            _note(f"  {count:>6} x {failure}")
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--postgres-url", default=DEFAULT_POSTGRES_URL, help="server for the scratch database"
    )
    parser.add_argument("--calls", type=int, default=60_000, help="Track API calls to send")
    parser.add_argument(
        "--connections", type=int, default=64, help="concurrent keep-alive connections in all"
    )
    parser.add_argument("--procs", type=int, default=1, help="load generator processes")
    parser.add_argument("--people", type=int, default=20_000, help="size of the pool of person ids")
    parser.add_argument(
        "--identify-share", type=float, default=0.7, help="share of identify calls; the rest are events"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of `tidings serve` (0: processor in the API process)"
    )
    return parser


@contextlib.contextmanager
def _scratch_database(backend: str, *, workdir: Path, server_url: str) -> Iterator[str]:
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
    return Credentials(site_id=created["site_id"], track_api_key=created["track_api_key"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _running_server(env: dict[str, str], *, port: int, workdir: Path, workers: int) -> Iterator[subprocess.Popen]:
    """`tidings serve` as a child process, stopped with SIGINT (then killed) on exit."""
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "tidings", "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                _note(f"server did not stop within {SHUTDOWN_TIMEOUT_SECONDS:.0f} s of SIGINT; killing it")
                server.kill()
                server.wait()
        logged = log_path.read_text(errors="replace").splitlines()
        if server.returncode not in (0, -signal.SIGINT) or logged:
            _note(f"server exited with {server.returncode} after logging {len(logged)} lines; the last ones:")
            _note(_tail(log_path))


def wait_until_ready(server: subprocess.Popen, *, port: int, credentials: Credentials) -> None:
    """Block until `GET /auth` answers 200; this also fills the server's credentials cache."""
    request = _encode_request(
        "GET", "/auth", host=f"{HOST}:{port}", authorization=credentials.authorization, body=None
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"tidings serve exited with {server.returncode} before answering")
        try:
            with socket.create_connection((HOST, port), timeout=2) as conn:
                conn.sendall(request)
                if conn.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"tidings serve did not answer on port {port} within {STARTUP_TIMEOUT_SECONDS:.0f} s")


def build_requests(
    calls: int, *, people: int, identify_share: float, host: str, authorization: str, seed: int
) -> list[bytes]:
    """Encoded HTTP/1.1 requests: identify with five attributes, or an event with a small data object."""
    rng = random.Random(seed)
    requests = []
    for _ in range(calls):
        person = rng.randrange(people)
        if rng.random() < identify_share:
            body = {
                "email": f"person{person}@example.com",
                "first_name": f"Person{person}",
                "plan": rng.choice(_PLANS),
                "logins": rng.randrange(1000),
                "last_seen_at": 1_767_225_600 + rng.randrange(86_400),
            }
            requests.append(
                _encode_request(
                    "PUT", f"/api/v1/customers/{person}", host=host, authorization=authorization, body=body
                )
            )
        else:
            body = {
                "name": rng.choice(_EVENT_NAMES),
                "data": {"price": rng.randrange(1, 500), "sku": f"sku-{rng.randrange(100)}"},
            }
            requests.append(
                _encode_request(
                    "POST",
                    f"/api/v1/customers/{person}/events",
                    host=host,
                    authorization=authorization,
                    body=body,
                )
            )
    return requests


def _encode_request(method: str, path: str, *, host: str, authorization: str, body: dict | None) -> bytes:
    payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {authorization}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return (head + "\r\n").encode() + payload


def run_load(args: argparse.Namespace, *, port: int, credentials: Credentials) -> tuple[float, LoadResult]:
    """Send `args.calls` calls; returns the start time and what the generators saw."""
    shares = [_share(args.calls, parts=args.procs, index=i) for i in range(args.procs)]
    connections = [max(1, _share(args.connections, parts=args.procs, index=i)) for i in range(args.procs)]
    jobs = [
        {
            "port": port,
            "connections": connections[i],
            "requests": {
                "calls": shares[i],
                "people": args.people,
                "identify_share": args.identify_share,
                "host": f"{HOST}:{port}",
                "authorization": credentials.authorization,
                "seed": args.seed * 1000 + i,
            },
        }
        for i in range(args.procs)
    ]
    if args.procs == 1:
        requests = build_requests(**jobs[0]["requests"])
        return _run_loop(_drive(requests, port=port, connections=connections[0], start=None))

    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(args.procs + 1)
    start = context.Event()
    results = context.Queue()
    procs = [context.Process(target=_generator_process, args=(job, ready, start, results)) for job in jobs]
    for proc in procs:
        proc.start()
    ready.wait()
    started_at = time.monotonic()
    start.set()
    result = LoadResult()
    for _ in procs:
        latencies, failures, finished_at = results.get()
        result.merge(LoadResult(array("d", latencies), failures, finished_at))
    for proc in procs:
        proc.join()
    return started_at, result


def _share(total: int, *, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


def _generator_process(job: dict, ready, start, results) -> None:
    requests = build_requests(**job["requests"])

    async def go() -> tuple[float, LoadResult]:
        return await _drive(requests, port=job["port"], connections=job["connections"], start=(ready, start))

    _, result = _run_loop(go())
    results.put((result.latencies.tolist(), result.failures, result.finished_at))


def _run_loop(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


async def _drive(requests: list[bytes], *, port: int, connections: int, start) -> tuple[float, LoadResult]:
    """Send `requests` over `connections` keep-alive connections, one call in flight on each."""
    result = LoadResult()
    streams = [await asyncio.open_connection(HOST, port) for _ in range(connections)]
    if start is not None:
        ready, go = start
        await asyncio.to_thread(ready.wait)
        await asyncio.to_thread(go.wait)
    pending = iter(requests)  # shared: each connection takes the next unsent request
    started_at = time.monotonic()

    async def send_all(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for request in pending:
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
                if not partitions_behind(conn):
                    return time.monotonic()
            time.sleep(POLL_SECONDS)
    finally:
        db.dispose()


def server_peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no VmHWM line")


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _figure(name: str, value: float, unit: str, backend: str, host: str) -> None:
    shown = f"{value:.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    print(f"{name} {shown} {unit} {backend} {host}", flush=True)


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _tail(path: Path, *, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


if __name__ == "__main__":
    sys.exit(main())
