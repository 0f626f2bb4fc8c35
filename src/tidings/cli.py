"""The `tidings` command: serve, run a worker, migrate, and manage workspaces."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tidings.clock import SystemClock, to_unix
from tidings.config import Settings, load_settings
from tidings.db import Database, migrate
from tidings.errors import InvalidInput
from tidings.logging_config import configure_logging
from tidings.services import Role, build_services
from tidings.ingest import IngestLimits
from tidings.workspaces import IdentifierMode, create_workspace, get_workspace, list_workspaces, set_workspace_limits

__all__ = ["main"]

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings(
            os.environ,
            server__host=getattr(args, "host", None),
            server__port=getattr(args, "port", None),
            server__tls_certificate=getattr(args, "tls_certificate", None),
            server__tls_key=getattr(args, "tls_key", None),
        )
    except InvalidInput as exc:
        print(f"tidings: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.logging)
    return args.run(settings, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tidings", description="Customer.io-compatible engagement platform.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the API and every worker role in one process")
    serve.add_argument("--host", help="listen address (TIDINGS_HOST, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (TIDINGS_PORT, default 8080)")
    serve.add_argument("--tls-certificate", type=Path, help="PEM certificate for HTTPS (TIDINGS_TLS_CERTIFICATE)")
    serve.add_argument("--tls-key", type=Path, help="PEM private key for HTTPS (TIDINGS_TLS_KEY)")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply migrations at start-up")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes applying the log beside the API (default 1; 0 runs everything in this process)",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run background roles without the API")
    worker.add_argument("--role", action="append", choices=[r.value for r in Role if r is not Role.API], required=True)
    worker.add_argument("--exit-with-parent", type=int, metavar="PID", help=argparse.SUPPRESS)
    worker.set_defaults(run=_worker)

    migrate_command = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate_command.set_defaults(run=_migrate)

    workspace = commands.add_parser("workspace", help="create and list workspaces")
    workspace_commands = workspace.add_subparsers(required=True, metavar="ACTION")
    create = workspace_commands.add_parser("create", help="create a workspace and its API credentials")
    create.add_argument("name")
    create.add_argument("--identifiers", choices=[m.value for m in IdentifierMode], default=IdentifierMode.EMAIL_OR_ID.value)
    create.add_argument("--json", action="store_true", help="print the credentials as one JSON object")
    create.set_defaults(run=_workspace_create)
    limits = workspace_commands.add_parser(
        "limits", help="show a workspace's ingest limits, or raise them with NAME=VALUE (NAME=default resets)"
    )
    limits.add_argument("workspace_id", type=int)
    limits.add_argument("changes", nargs="*", metavar="NAME=VALUE")
    limits.set_defaults(run=_workspace_limits)
    listing = workspace_commands.add_parser("list", help="list workspaces")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_workspace_list)
    return parser


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from tidings.api import create_app

    if not args.no_migrate:
        migrate(settings.database.url)
    roles = tuple(Role) if args.workers == 0 else (Role.API,)
    app = create_app(build_services(settings), roles=roles)
    tls = {}
    if settings.server.tls_certificate is not None:
        tls = {"ssl_certfile": str(settings.server.tls_certificate), "ssl_keyfile": str(settings.server.tls_key)}
    workers = [_spawn_worker(is_first=n == 0) for n in range(args.workers)]
    logger.info(
        "serving",
        extra={"host": settings.server.host, "port": settings.server.port, "tls": bool(tls), "workers": len(workers)},
    )
    try:
        uvicorn.run(app, host=settings.server.host, port=settings.server.port, log_config=None, access_log=False, **tls)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
    return 0


def _spawn_worker(*, is_first: bool) -> subprocess.Popen[bytes]:
    """A `tidings worker` child that processes the log on another core and exits with this process;
    the first also runs the scheduler and the sender."""
    roles = [Role.PROCESSOR, Role.SCHEDULER, Role.SENDER] if is_first else [Role.PROCESSOR]
    command = [sys.executable, "-m", "tidings", "worker", "--exit-with-parent", str(os.getpid())]
    for role in roles:
        command += ["--role", role.value]
    return subprocess.Popen(command)


def _worker(settings: Settings, args: argparse.Namespace) -> int:
    async def run() -> None:
        services = build_services(settings)
        await services.start(Role(role) for role in args.role)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopped.set)
        if args.exit_with_parent:
            loop.create_task(_stop_when_orphaned(args.exit_with_parent, stopped))
        logger.info("worker started", extra={"roles": args.role})
        await stopped.wait()
        await services.stop()

    asyncio.run(run())
    return 0


async def _stop_when_orphaned(parent: int, stopped: asyncio.Event) -> None:
    """A worker spawned by `serve` must not outlive it, even when it was killed outright."""
    while os.getppid() == parent:
        await asyncio.sleep(1)
    stopped.set()


def _migrate(settings: Settings, _: argparse.Namespace) -> int:
    migrate(settings.database.url)
    print("database is up to date")
    return 0


@contextmanager
def _database(settings: Settings) -> Iterator[Database]:
    """The database, migrated, for a one-off command."""
    migrate(settings.database.url)
    db = Database(settings.database.url)
    try:
        yield db
    finally:
        db.dispose()


def _workspace_create(settings: Settings, args: argparse.Namespace) -> int:
    with _database(settings) as db, db.transaction() as conn:
        created = create_workspace(
            conn, name=args.name, now=SystemClock().now(), identifier_mode=IdentifierMode(args.identifiers)
        )
    credentials = {
        "workspace_id": created.workspace.id,
        "name": created.workspace.name,
        "site_id": created.site_id,
        "track_api_key": created.track_api_key,
        "app_api_key": created.app_api_key,
        "cdp_api_key": created.cdp_api_key,
    }
    if args.json:
        print(json.dumps(credentials))
    else:
        width = max(len(k) for k in credentials)
        for key, value in credentials.items():
            print(f"{key.ljust(width)}  {value}")
        print("\nThe App API key is shown only now; store it somewhere safe.")
    return 0


def _workspace_limits(settings: Settings, args: argparse.Namespace) -> int:
    known = {f.name for f in dataclasses.fields(IngestLimits)}
    with _database(settings) as db, db.transaction() as conn:
        workspace = get_workspace(conn, workspace_id=args.workspace_id)
        if workspace is None:
            print(f"tidings: no workspace {args.workspace_id}", file=sys.stderr)
            return 2
        overrides = dict(workspace.limits)
        for change in args.changes:
            name, _, value = change.partition("=")
            if name not in known or not (value.isdigit() or value == "default"):
                names = ", ".join(sorted(known))
                print(f"tidings: {change!r}: expected NAME=NUMBER or NAME=default; names: {names}", file=sys.stderr)
                return 2
            if value == "default":
                overrides.pop(name, None)
            else:
                overrides[name] = int(value)
        set_workspace_limits(conn, workspace_id=workspace.id, limits=overrides)
    effective = dataclasses.asdict(IngestLimits.for_workspace(overrides))
    print(json.dumps(effective))
    return 0


def _workspace_list(settings: Settings, args: argparse.Namespace) -> int:
    with _database(settings) as db, db.connect() as conn:
        found = list_workspaces(conn)
    rows = [
        {"workspace_id": w.id, "name": w.name, "identifiers": w.identifier_mode.value, "created_at": to_unix(w.created_at)}
        for w in found
    ]
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(f"{row['workspace_id']:>4}  {row['name']}  ({row['identifiers']})")
    return 0
