"""Segments at scale: builds over a large workspace, the processing cost of live segments, re-checks.

Writes a workspace of `--people` people and `--events` events (page views and five event names over
the past year, devices for 30 % of people; `_segment_data.py`, straight into the tables) into a
scratch database, then measures:

1. the build time of five representative segments (`build_segment`: the SQL evaluation over
   everyone, the members written with their activity and change-feed rows, and, for conditions
   that depend on time, every re-check scheduled), each built from empty in its own transaction;
2. the processing cost of live segments: `--ingest` Pipelines calls (the mix of
   `ingest_pipelines.py`: track 70 %, page 20 %, identify 10 %, over people of the workspace)
   through a real `tidings serve --workers 1`, once with no data-driven segment and once with 50
   live ones (the five, plus 45 more over attributes, events, pages, devices and groups); events/s
   applied, and the worker process's CPU time per event;
3. re-check throughput: with time moved 31 days on, `run_due_rechecks` over the re-checks the
   builds scheduled, in rounds of 500 (`--rechecks` of them), in re-checks/s.

Prints one line per figure (STYLE rule 16). The README's figures are the 1,000,000-people,
10,000,000-events run; the defaults are a quicker tenth of it.

    .venv/bin/python bench/segments.py                                   # SQLite, 100,000 people
    .venv/bin/python bench/segments.py --db postgres --people 1000000 --events 10000000
    .venv/bin/python bench/segments.py --skip-ingest                     # builds and re-checks only
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

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
    report_failures,
    run_load,
    running_server,
    sampling_profiles,
    scratch_database,
    serve_command,
    wait_until_applied,
    wait_until_ready,
)
from _segment_data import Population, load
from ingest_pipelines import build_requests
from sqlalchemy import func, select

from tidings import segments
from tidings.clock import SystemClock
from tidings.db import Database
from tidings.db.schema import workspaces

BATCH_SIZE = 100


def attribute(field: str, operator: str, value: Any = None, **rest: Any) -> dict[str, Any]:
    return {"type": "attribute", "field": field, "operator": operator, "value": value, **rest}


def activity(name: str, *, kind: str = "event", days: int | None = None, at_least: int = 1) -> dict[str, Any]:
    document: dict[str, Any] = {"type": kind, "name": name, "count": {"op": "at_least", "n": at_least}}
    if days is not None:
        document["window"] = {"within_days": days}
    return document


def group(kind: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "children": list(children)}


IOS = {"type": "device", "filters": [attribute("platform", "eq", "ios")]}
# The five whose build times are figures: one of each kind a workspace commonly has.
TIMED = {
    "attribute_eq": attribute("plan", "eq", "pro"),
    "event_3_in_30_days": activity("Product Viewed", days=30, at_least=3),
    "timestamp_within_7_days": attribute("last_login", "ts_after_relative", 7, direction="ago"),
    "device_exists": {"type": "device"},
    "group": group(
        "and",
        group("or", attribute("plan", "eq", "pro"), attribute("vip", "eq", True)),
        activity("Order Completed", days=90),
        IOS,
    ),
}


def more_segments() -> list[dict[str, Any]]:
    """45 more, to make 50 live segments over what the Pipelines mix changes."""
    found = [attribute("plan", "eq", plan) for plan in ("free", "starter", "enterprise")]
    found += [attribute("country", "eq", country) for country in ("US", "CA", "GB", "DE", "FR", "BR", "IN", "JP", "AU", "MX")]
    found += [attribute("logins", "gt", n) for n in (100, 300, 500, 700, 900)]
    for name in ("Product Viewed", "Product Added", "Checkout Started", "Order Completed", "Signed In"):
        found += [activity(name, days=7), activity(name, days=30, at_least=2)]
    found += [activity(page, kind="page", days=14) for page in ("Home", "Pricing", "Docs", "Blog", "Checkout", "Account")]
    found += [
        attribute("last_login", "ts_after_relative", 1, direction="ago"),
        attribute("last_login", "ts_before_relative", 60, direction="ago"),
        attribute("created_at", "ts_after_relative", 30, direction="ago"),
        attribute("vip", "eq", True),
        IOS,
        group("and", attribute("plan", "eq", "free"), activity("Checkout Started", days=30)),
        group("and", attribute("plan", "eq", "starter"), {"type": "event", "name": "Order Completed", "performed": False, "window": {"within_days": 60}}),
        group("or", attribute("logins", "gt", 950), activity("Order Completed", days=7, at_least=2)),
        group("and", attribute("country", "eq", "US"), activity("Product Added", days=14), attribute("plan", "neq", "free")),
        group("and", {"type": "device", "exists": False}, activity("Signed In", days=3)),
        group("or", attribute("email", "contains", "person1*@example.com"), attribute("country", "eq", "MX")),
    ]
    assert len(found) == 45, len(found)
    return found


def main() -> int:
    args = _parser().parse_args()
    host = host_name()
    backend = args.db
    clock = SystemClock()
    with contextlib.ExitStack() as cleanup:
        workdir = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="tidings-bench-")))
        database_url = cleanup.enter_context(scratch_database(args.db, workdir=workdir, server_url=args.postgres_url))
        env = {**os.environ, "TIDINGS_DATABASE_URL": database_url, "TIDINGS_LOG_LEVEL": "WARNING"}
        credentials = create_workspace(env)
        db = Database(database_url)
        cleanup.callback(db.dispose)
        with db.connect() as conn:
            workspace_id = conn.execute(select(func.max(workspaces.c.id))).scalar_one()
        population = Population(workspace_id, args.people, args.events, clock.now().replace(microsecond=0))
        load(db, population, seed=args.seed)

        def ingest(label: str, seed: int) -> tuple[float, float, bool]:
            port = free_port()
            log_path = workdir / f"{label}.log"
            with running_server(serve_command(port=port, workers=1), env=env, log_path=log_path) as server:
                authorization = credentials.pipelines_authorization
                wait_until_ready(server, port=port, request=encode_request(
                    "POST", "/v1/batch", host=f"{HOST}:{port}", authorization=authorization, body={"batch": []}
                ))
                worker = child_pids(server.pid)[0]
                cpu_before = cpu_seconds(worker)
                request_args = {
                    "people": min(args.people, 1_000_000), "batch_size": BATCH_SIZE, "is_gzip": False,
                    "host": f"{HOST}:{port}", "authorization": authorization,
                }
                with sampling_profiles({f"worker-{label}": worker}, directory=args.profile):
                    started_at, result = run_load(
                        build_requests, request_args, port=port, connections=args.connections, procs=1,
                        total=args.ingest // BATCH_SIZE, seed=seed,
                    )
                    applied_at = wait_until_applied(database_url)
                cpu_used = cpu_seconds(worker) - cpu_before
            accepted = len(result.latencies) * BATCH_SIZE
            failed = report_failures(result, total=args.ingest // BATCH_SIZE, what=f"{label} batches")
            return accepted / (applied_at - started_at), cpu_used / max(accepted, 1), failed

        failed = False
        if not args.skip_ingest:
            plain_rate, plain_cpu, failed = ingest("plain", args.seed)
            figure("segments_applied_without_segments", plain_rate, "events/s", backend, host)
            figure("segments_worker_cpu_without_segments", plain_cpu * 1e6, "us/event", backend, host)

        for name, document in TIMED.items():
            seconds, members = _build(db, workspace_id, name, document, clock=clock)
            note(f"{name}: {members} members")
            figure(f"segments_build_{name}", seconds, "s", backend, host)
        if not args.skip_ingest:
            started = time.monotonic()
            for i, document in enumerate(more_segments()):
                _build(db, workspace_id, f"more {i}", document, clock=clock)
            note(f"45 more segments built in {time.monotonic() - started:.0f} s")
            live_rate, live_cpu, failed_live = ingest("live", args.seed + 1)
            failed |= failed_live
            figure("segments_applied_with_50_segments", live_rate, "events/s", backend, host)
            figure("segments_worker_cpu_with_50_segments", live_cpu * 1e6, "us/event", backend, host)
            figure("segments_applied_with_of_without", live_rate / plain_rate, "ratio", backend, host)

        rate, done = _rechecks(db, limit=args.rechecks, now=clock.now() + timedelta(days=31))
        note(f"{done} re-checks run")
        figure("segments_rechecks", rate, "rechecks/s", backend, host)
    return 1 if failed else 0


def _build(db: Database, workspace_id: int, name: str, document: dict[str, Any], *, clock: SystemClock) -> tuple[float, int]:
    """Create a segment, then build it in its own transaction; returns the seconds and its members."""
    with db.transaction() as conn:
        segment = segments.create_data_segment(
            conn, workspace_id=workspace_id, name=name, description="", document=document, now=clock.now()
        )
    started = time.monotonic()
    with db.transaction() as conn:
        segments.build_segment(conn, workspace_id=workspace_id, segment=segment, now=clock.now())
    seconds = time.monotonic() - started
    with db.connect() as conn:
        return seconds, segments.count_members(conn, workspace_id=workspace_id, segment_id=segment.id)


def _rechecks(db: Database, *, limit: int, now: Any) -> tuple[float, int]:
    done = 0
    started = time.monotonic()
    while done < limit:
        with db.transaction() as conn:
            ran = segments.run_due_rechecks(conn, now=now, limit=500)
        if not ran:
            break
        done += ran
    return done / (time.monotonic() - started), done


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server for the scratch database")
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ingest", type=int, default=20_000, help="Pipelines calls per ingest phase")
    parser.add_argument("--connections", type=int, default=16, help="keep-alive connections of the load generator")
    parser.add_argument("--rechecks", type=int, default=20_000, help="re-checks to run for the throughput figure")
    parser.add_argument("--skip-ingest", action="store_true", help="only builds and re-checks")
    parser.add_argument("--profile", type=Path, metavar="DIR", help="write py-spy samples of the worker process here")
    return parser


if __name__ == "__main__":
    sys.exit(main())
