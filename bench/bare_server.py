"""The tidings API with nothing stored: the baseline that `ingest_pipelines.py` compares against.

Runs the app `tidings serve` runs, on the same uvicorn settings: routing, authentication, body
decompression and decoding, and translation into canonical messages all happen, but the log
discards the messages instead of encoding and committing them. The database (from
`TIDINGS_DATABASE_URL`, already migrated) is read only to look up the write key.

    TIDINGS_DATABASE_URL=sqlite:///bench.db python bench/bare_server.py --port 8081
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Sequence

import uvicorn

from tidings.api import create_app
from tidings.config import load_settings
from tidings.log import Message
from tidings.logging_config import configure_logging
from tidings.services import Role, build_services


class DiscardingLog:
    """Stands in for LogWriter: accepts messages and keeps none of them."""

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def append(self, workspace_id: int, messages: Sequence[Message], *, origin: str | None = None) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    settings = load_settings(os.environ, server__host=args.host, server__port=args.port)
    configure_logging(settings.logging)
    services = dataclasses.replace(build_services(settings), log=DiscardingLog())
    app = create_app(services, roles=(Role.API,))
    # As `tidings serve` runs it (cli._serve).
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
