"""Track API ingest: a real `tidings serve` under a mixed identify/event load.

Creates a scratch database (SQLite in a temporary directory, or a scratch PostgreSQL database) and
a workspace, starts `tidings serve` on a free port, and sends a fixed number of Track API v1 calls
over keep-alive connections. Prints one line per figure (STYLE rule 16): accepted calls/s, request
latency p50 and p99, processed calls/s (until the processor has applied the whole log), the
server's peak RSS, and the CPU time per call of the API and worker processes (steadier than the
rates when other work shares the machine), and the apply lag: how long after the last answer the
processor had applied everything. `--rate N` paces the calls to N a second, to show whether the
processor keeps up with that load. `--profile DIR` samples the processes with py-spy.

    .venv/bin/python bench/ingest_track.py                      # SQLite, 60,000 calls, 64 connections
    .venv/bin/python bench/ingest_track.py --db postgres --calls 100000 --procs 2
    .venv/bin/python bench/ingest_track.py --rate 3000 --calls 90000   # paced: does the processor keep up?
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
from pathlib import Path

from _harness import (
    DEFAULT_POSTGRES_URL,
    HOST,
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

_PLANS = ("free", "starter", "pro", "enterprise")
_EVENT_NAMES = ("page_viewed", "added_to_cart", "purchased", "signed_in")


def main() -> int:
    args = _parser().parse_args()
    host = host_name()
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="tidings-bench-")))
        database_url = cleanup.enter_context(
            scratch_database(args.db, workdir=workdir, server_url=args.postgres_url)
        )
        env = {**os.environ, "TIDINGS_DATABASE_URL": database_url, "TIDINGS_LOG_LEVEL": "WARNING"}
        credentials = create_workspace(env)
        port = free_port()
        server = cleanup.enter_context(
            running_server(serve_command(port=port, workers=args.workers), env=env, log_path=workdir / "server.log")
        )
        authorization = credentials.track_authorization
        ready = encode_request("GET", "/auth", host=f"{HOST}:{port}", authorization=authorization, body=None)
        wait_until_ready(server, port=port, request=ready)
        note(f"server pid {server.pid} on port {port}; {args.calls} calls over {args.connections} connections")
        processes = {"api": server.pid} | {f"worker{i}": pid for i, pid in enumerate(child_pids(server.pid))}

        with sampling_profiles(processes, directory=args.profile):
            started_at, result = run_load(
                build_requests,
                {
                    "people": args.people,
                    "identify_share": args.identify_share,
                    "host": f"{HOST}:{port}",
                    "authorization": authorization,
                },
                port=port,
                connections=args.connections,
                procs=args.procs,
                total=args.calls,
                seed=args.seed,
                rate=args.rate,
            )
            load_seconds = result.finished_at - started_at
            note(f"load phase {load_seconds:.2f} s; waiting for the processor")
            processed_at = wait_until_applied(database_url)
        peak_rss_mb = server_peak_rss_mb(server.pid)
        cpu_used = {name: cpu_seconds(pid) for name, pid in processes.items()}

    backend = args.db
    accepted = len(result.latencies)
    latencies = sorted(result.latencies)
    figure("track_accepted", accepted / load_seconds, "calls/s", backend, host)
    figure("track_latency_p50", percentile(latencies, 0.50) * 1000, "ms", backend, host)
    figure("track_latency_p99", percentile(latencies, 0.99) * 1000, "ms", backend, host)
    figure("track_processed", accepted / (processed_at - started_at), "calls/s", backend, host)
    figure("track_apply_lag", processed_at - result.finished_at, "s", backend, host)
    figure("track_server_peak_rss", peak_rss_mb, "MB", backend, host)
    for name, seconds in cpu_used.items():
        figure(f"track_{name}_cpu", seconds / accepted * 1e6, "us/call", backend, host)
    return 1 if report_failures(result, total=args.calls, what="calls") else 0


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
        "--rate", type=float, help="pace the calls to this many a second (default: as fast as they are answered)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes of `tidings serve` (0: processor in the API process)"
    )
    parser.add_argument("--profile", type=Path, help="write py-spy samples of each server process here")
    return parser


def build_requests(
    *, count: int, people: int, identify_share: float, host: str, authorization: str, seed: int
) -> list[bytes]:
    """Encoded HTTP/1.1 requests: identify with five attributes, or an event with a small data object."""
    rng = random.Random(seed)
    requests = []
    for _ in range(count):
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
                encode_request("PUT", f"/api/v1/customers/{person}", host=host, authorization=authorization, body=body)
            )
        else:
            body = {
                "name": rng.choice(_EVENT_NAMES),
                "data": {"price": rng.randrange(1, 500), "sku": f"sku-{rng.randrange(100)}"},
            }
            requests.append(
                encode_request(
                    "POST", f"/api/v1/customers/{person}/events", host=host, authorization=authorization, body=body
                )
            )
    return requests


if __name__ == "__main__":
    sys.exit(main())
