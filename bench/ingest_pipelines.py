"""Pipelines API ingest: `POST /v1/batch` of 100 calls, against a real `tidings serve` and a bare baseline.

Creates a scratch database (SQLite in a temporary directory, or a scratch PostgreSQL database) and
a workspace, then sends the same fixed set of batches twice over keep-alive connections:

1. to `bench/bare_server.py`, the same app on the same uvicorn settings that authenticates,
   decompresses, decodes and translates every call but stores nothing (the baseline);
2. to `tidings serve`, which answers each batch once its messages are committed to the log
   (SQLite `synchronous=FULL`), then waits until the processor has applied the whole log.

Calls are a mix over a pool of people: track events with product properties (70 %), page views
(20 %, a quarter of them anonymous) and identifies with traits and the anonymous id (10 %), each
with a messageId, a timestamp and a Segment-style context, as a Pipelines client library sends
them. Prints one line per figure (STYLE rule 16): events/s accepted, batch latency p50 and p99,
events/s applied, server peak RSS, the baseline's events/s and latency with the ratio of the
two, and the CPU time per event of the API process and of each worker process (start-up
included), which moves less than the rates when something else shares the machine.

    .venv/bin/python bench/ingest_pipelines.py                      # SQLite, 200,000 events
    .venv/bin/python bench/ingest_pipelines.py --db postgres --events 400000
    .venv/bin/python bench/ingest_pipelines.py --profile profiles  # py-spy samples of each process
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _harness import (
    DEFAULT_POSTGRES_URL,
    HOST,
    LoadResult,
    child_pids,
    cpu_seconds,
    create_workspace,
    encode_request,
    figure,
    free_port,
    host_name,
    note,
    percentile,
    report_failures,
    run_load,
    running_server,
    sampling_profiles,
    scratch_database,
    serve_command,
    server_peak_rss_mb,
    wait_until_applied,
    wait_until_ready,
)

BARE_SERVER = Path(__file__).with_name("bare_server.py")
TRACK_SHARE = 0.7
PAGE_SHARE = 0.2  # the rest are identifies
ANONYMOUS_PAGE_SHARE = 0.25
_START = datetime(2026, 1, 1, tzinfo=UTC)

_EVENT_NAMES = ("Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Signed In")
_CATEGORIES = ("shoes", "shirts", "books", "games", "garden", "kitchen")
_PAGES = ("Home", "Pricing", "Docs", "Blog", "Checkout", "Account")
_PLANS = ("free", "starter", "pro", "enterprise")
_LIBRARY = {"name": "analytics-python", "version": "2.3.3"}


def main() -> int:
    args = _parser().parse_args()
    host = host_name()
    backend = args.db
    batches = args.events // args.batch_size
    events = batches * args.batch_size
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="tidings-bench-")))
        database_url = cleanup.enter_context(
            scratch_database(args.db, workdir=workdir, server_url=args.postgres_url)
        )
        env = {**os.environ, "TIDINGS_DATABASE_URL": database_url, "TIDINGS_LOG_LEVEL": "WARNING"}
        credentials = create_workspace(env)
        authorization = credentials.pipelines_authorization
        note(f"{events} events in {batches} batches over {args.connections} connections")

        def load(port: int) -> tuple[float, LoadResult]:
            request_args = {
                "people": args.people,
                "batch_size": args.batch_size,
                "is_gzip": args.gzip,
                "host": f"{HOST}:{port}",
                "authorization": authorization,
            }
            return run_load(
                build_requests,
                request_args,
                port=port,
                connections=args.connections,
                procs=args.procs,
                total=batches,
                seed=args.seed,
            )

        def ready(port: int) -> bytes:
            return encode_request("POST", "/v1/batch", host=f"{HOST}:{port}", authorization=authorization, body={"batch": []})

        baseline: tuple[float, LoadResult] | None = None
        if not args.no_baseline:
            port = free_port()
            command = [sys.executable, str(BARE_SERVER), "--host", HOST, "--port", str(port)]
            with running_server(command, env=env, log_path=workdir / "bare.log") as server:
                wait_until_ready(server, port=port, request=ready(port))
                started_at, result = load(port)
            baseline = (result.finished_at - started_at, result)
            note(f"baseline load phase {baseline[0]:.2f} s")

        port = free_port()
        server = cleanup.enter_context(
            running_server(serve_command(port=port, workers=args.workers), env=env, log_path=workdir / "server.log")
        )
        wait_until_ready(server, port=port, request=ready(port))
        processes = {"api": server.pid} | {f"worker{i}": pid for i, pid in enumerate(child_pids(server.pid))}
        with sampling_profiles(processes, directory=args.profile):
            started_at, result = load(port)
            load_seconds = result.finished_at - started_at
            note(f"load phase {load_seconds:.2f} s; waiting for the processor")
            applied_at = wait_until_applied(database_url)
        peak_rss_mb = server_peak_rss_mb(server.pid)
        # CPU per event says where the time goes even when other work shares the machine.
        cpu_used = {name: cpu_seconds(pid) for name, pid in processes.items()}

    accepted = len(result.latencies) * args.batch_size
    latencies = sorted(result.latencies)
    if baseline is not None:
        baseline_seconds, baseline_result = baseline
        baseline_latencies = sorted(baseline_result.latencies)
        baseline_rate = len(baseline_latencies) * args.batch_size / baseline_seconds
        figure("pipelines_baseline_accepted", baseline_rate, "events/s", backend, host)
        figure("pipelines_baseline_latency_p50", percentile(baseline_latencies, 0.50) * 1000, "ms", backend, host)
        figure("pipelines_baseline_latency_p99", percentile(baseline_latencies, 0.99) * 1000, "ms", backend, host)
    figure("pipelines_accepted", accepted / load_seconds, "events/s", backend, host)
    figure("pipelines_latency_p50", percentile(latencies, 0.50) * 1000, "ms", backend, host)
    figure("pipelines_latency_p99", percentile(latencies, 0.99) * 1000, "ms", backend, host)
    if baseline is not None:
        figure("pipelines_accepted_of_baseline", accepted / load_seconds / baseline_rate, "ratio", backend, host)
    figure("pipelines_applied", accepted / (applied_at - started_at), "events/s", backend, host)
    figure("pipelines_server_peak_rss", peak_rss_mb, "MB", backend, host)
    for name, seconds in cpu_used.items():
        figure(f"pipelines_{name}_cpu", seconds / accepted * 1e6, "us/event", backend, host)
    failed = report_failures(result, total=batches, what="batches")
    if baseline is not None:
        failed |= report_failures(baseline[1], total=batches, what="baseline batches")
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server for the scratch database")
    parser.add_argument("--events", type=int, default=200_000, help="calls to send, in batches")
    parser.add_argument("--batch-size", type=int, default=100, help="calls per /v1/batch request")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections in all")
    parser.add_argument("--procs", type=int, default=1, help="load generator processes")
    parser.add_argument("--people", type=int, default=20_000, help="size of the pool of people")
    parser.add_argument("--gzip", action="store_true", help="send bodies with Content-Encoding: gzip")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of `tidings serve` (0: processor in the API process)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the bare-server run")
    parser.add_argument(
        "--profile", type=Path, metavar="DIR", help="write py-spy samples of the API and worker processes here"
    )
    return parser


def build_requests(
    *, count: int, people: int, batch_size: int, is_gzip: bool, host: str, authorization: str, seed: int
) -> list[bytes]:
    """`count` encoded `POST /v1/batch` requests of `batch_size` calls each."""
    rng = random.Random(seed)
    headers = {"Content-Encoding": "gzip"} if is_gzip else {}
    requests = []
    moment = _START + timedelta(days=seed % 1000)
    for _ in range(count):
        calls = []
        for _ in range(batch_size):
            moment += timedelta(milliseconds=rng.randrange(1, 50))
            calls.append(_call(rng, person=rng.randrange(people), at=_iso(moment)))
        body = json.dumps({"batch": calls, "sentAt": _iso(moment)}, separators=(",", ":")).encode()
        if is_gzip:
            body = gzip.compress(body, compresslevel=6)
        requests.append(
            encode_request("POST", "/v1/batch", host=host, authorization=authorization, body=body, headers=headers)
        )
    return requests


def _call(rng: random.Random, *, person: int, at: str) -> dict:
    """One Pipelines call, shaped as analytics-python sends it."""
    user_id = f"user-{person:06d}"
    anonymous_id = f"anon-{person:06d}"
    common = {
        "messageId": "%032x" % rng.getrandbits(128),
        "timestamp": at,
        "context": {"library": _LIBRARY, "ip": f"198.51.100.{person % 250}"},
    }
    kind = rng.random()
    if kind < TRACK_SHARE:
        product = rng.randrange(5000)
        return {
            "type": "track",
            "userId": user_id,
            "event": rng.choice(_EVENT_NAMES),
            "properties": {
                "product_id": f"sku-{product:05d}",
                "name": f"Product {product}",
                "category": rng.choice(_CATEGORIES),
                "price": round(rng.uniform(1, 500), 2),
                "currency": "USD",
                "quantity": rng.randrange(1, 5),
            },
            **common,
        }
    if kind < TRACK_SHARE + PAGE_SHARE:
        page = rng.choice(_PAGES)
        path = "/" if page == "Home" else f"/{page.lower()}"
        identity = {"anonymousId": anonymous_id}
        if rng.random() >= ANONYMOUS_PAGE_SHARE:
            identity["userId"] = user_id
        return {
            "type": "page",
            **identity,
            "name": page,
            "properties": {
                "url": f"https://www.example.com{path}",
                "path": path,
                "title": f"{page} | Example",
                "referrer": "https://www.example.org/",
            },
            **common,
        }
    return {
        "type": "identify",
        "userId": user_id,
        "anonymousId": anonymous_id,
        "traits": {
            "email": f"person{person}@example.com",
            "name": f"Person {person}",
            "plan": rng.choice(_PLANS),
            "logins": rng.randrange(1000),
            "created_at": _iso(_START - timedelta(days=person % 700)),
        },
        **common,
    }


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


if __name__ == "__main__":
    sys.exit(main())
