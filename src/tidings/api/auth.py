"""Who is calling: Track API Basic credentials, Pipelines write keys and App API Bearer keys, each opening one workspace.

Successful look-ups are cached briefly, so a busy client costs no database read per call; a key
removed from the database stops working within `ttl`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from starlette.requests import Request

from tidings.clock import Clock
from tidings.db import Database
from tidings.errors import Unauthenticated
from tidings.workspaces import (
    Workspace,
    workspace_for_app_api_key,
    workspace_for_track_credentials,
    workspace_for_write_key,
)

__all__ = ["Authenticator"]

_CACHE_LIMIT = 10_000


class Authenticator:
    def __init__(self, db: Database, *, clock: Clock, ttl: timedelta = timedelta(seconds=30)) -> None:
        self._db = db
        self._clock = clock
        self._ttl = ttl
        self._cache: dict[str, tuple[Workspace, datetime]] = {}

    async def track_workspace(self, request: Request) -> Workspace:
        """The workspace of a Track API call's `Authorization: Basic site_id:api_key`."""
        return await self.track_workspace_for(request.headers.get("authorization", ""))

    async def track_workspace_for(self, header: str) -> Workspace:
        """As `track_workspace`, from the `Authorization` header's value (for routes served without a Request)."""
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded:
            raise Unauthenticated("Unauthorized request")

        async def lookup() -> Workspace | None:
            try:
                site_id, _, api_key = base64.b64decode(encoded, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return None
            if "\x00" in site_id or "\x00" in api_key:  # no stored key has one, and PostgreSQL refuses it
                return None
            return await self._db.read(workspace_for_track_credentials, site_id=site_id, api_key=api_key)

        return await self._cached("basic " + encoded, lookup)

    async def source_workspace(self, request: Request) -> Workspace:
        """The workspace of a Pipelines call's `Authorization: Basic write_key:` (the password is ignored)."""
        header = request.headers.get("authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic" or not encoded.strip():
            raise Unauthenticated("Unauthorized request: a write key is required as the Basic user name")
        encoded = encoded.strip()

        async def lookup() -> Workspace | None:
            try:
                write_key = base64.b64decode(encoded, validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                return None
            if not write_key or "\x00" in write_key:
                return None
            return await self._db.read(workspace_for_write_key, write_key=write_key)

        return await self._cached("source " + encoded, lookup)

    async def write_key_workspace(self, write_key: str) -> Workspace:
        """The workspace of a write key given in a body or path (mobile SDK batches and settings)."""
        if "\x00" in write_key:
            raise Unauthenticated("Unauthorized request")

        async def lookup() -> Workspace | None:
            return await self._db.read(workspace_for_write_key, write_key=write_key)

        return await self._cached("write key " + write_key, lookup)

    async def app_workspace(self, request: Request) -> Workspace:
        """The workspace of an App API call's `Authorization: Bearer <key>`."""
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip() or "\x00" in key:
            raise Unauthenticated("Unauthorized request: an App API key is required as a Bearer token")

        async def lookup() -> Workspace | None:
            return await self._db.read(workspace_for_app_api_key, key=key.strip())

        return await self._cached("bearer " + key.strip(), lookup)

    async def _cached(self, key: str, lookup: Callable[[], Awaitable[Workspace | None]]) -> Workspace:
        now = self._clock.now()
        hit = self._cache.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        workspace = await lookup()
        if workspace is None:
            raise Unauthenticated("Unauthorized request")
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = (workspace, now + self._ttl)
        return workspace
