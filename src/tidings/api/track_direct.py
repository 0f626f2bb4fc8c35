"""The busiest Track API v1 calls, answered ahead of the framework.

Identify (`PUT /api/v1/customers/{identifier}`) and events (`POST|PUT
/api/v1/customers/{identifier}/events`, `POST /api/v1/events`) are most of what a Track API client
sends. FastAPI's middleware, routing and dependency layers cost more CPU per call than
validating and logging the call does, so `create_app` puts `DirectTrackCalls` in front of them:
it matches those paths on the raw path and serves them itself, with the same authentication,
body decoding, translation, log append and Customer.io error bodies as the routes in `track.py`.
Those routes stay registered: they describe these calls in the OpenAPI document and serve any
request that does not match here exactly (another spelling of the path, a trailing slash).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tidings.api.auth import Authenticator
from tidings.api.errors import tidings_error_response
from tidings.errors import TidingsError
from tidings.ingest import IngestLimits, decode_body, track_api
from tidings.log import Message as LogMessage
from tidings.log import Origin
from tidings.services import Services
from tidings.workspaces import Workspace

__all__ = ["DirectTrackCalls"]

# Builds the log message of a call from (path identifier or None, decoded body, received at, limits).
Build = Callable[[str | None, dict[str, Any], datetime, IngestLimits], LogMessage]

_ACCEPTED_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-length", b"2"), (b"content-type", b"application/json")],
}
_ACCEPTED_BODY: Message = {"type": "http.response.body", "body": b"{}"}


def _identify(identifier: str | None, body: dict[str, Any], at: datetime, limits: IngestLimits) -> LogMessage:
    assert identifier is not None, "the identify route has an identifier segment"
    return track_api.identify(identifier, body, received_at=at, limits=limits)


def _customer_event(identifier: str | None, body: dict[str, Any], at: datetime, limits: IngestLimits) -> LogMessage:
    assert identifier is not None, "the customer event route has an identifier segment"
    return track_api.customer_event(identifier, body, received_at=at, limits=limits)


def _anonymous_event(_: str | None, body: dict[str, Any], at: datetime, limits: IngestLimits) -> LogMessage:
    return track_api.anonymous_event(body, received_at=at, limits=limits)


class DirectTrackCalls:
    """Serves identify and event calls of the Track API v1 itself, and passes every other request to `app`."""

    def __init__(self, app: ASGIApp, *, services: Services, auth: Authenticator) -> None:
        self.app = app
        self._services = services
        self._auth = auth
        # The limits of the workspace object the authenticator last gave for each workspace id:
        # it caches workspaces, so they are worked out again only when it reads a new one.
        self._limits: dict[int, tuple[Workspace, IngestLimits]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = _match(scope) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        build, identifier = route
        try:
            await self._accept(scope, receive, build, identifier)
        except _Disconnected:
            return
        except TidingsError as exc:
            await tidings_error_response(exc, path=scope["path"])(scope, receive, send)
            return
        await send(_ACCEPTED_START)
        await send(_ACCEPTED_BODY)

    async def _accept(self, scope: Scope, receive: Receive, build: Build, identifier: str | None) -> None:
        """Authenticate, decode, translate and log the call, as `track.py`'s `accept` does."""
        authorization, content_type = _headers(scope)
        workspace = await self._auth.track_workspace_for(authorization)
        limits = self._limits_of(workspace)
        body = decode_body(await _body(receive), content_type=content_type, limit=limits.body_bytes)
        received_at = self._services.clock.now()
        message = build(identifier, body, received_at, limits)
        await self._services.log.append(workspace.id, [message], origin=Origin.TRACK, received_at=received_at)

    def _limits_of(self, workspace: Workspace) -> IngestLimits:
        known = self._limits.get(workspace.id)
        if known is None or known[0] is not workspace:
            known = (workspace, IngestLimits.for_workspace(workspace.limits))
            self._limits[workspace.id] = known
        return known[1]


class _Disconnected(Exception):
    """The client went away before sending the whole body; nobody is left to answer."""


def _match(scope: Scope) -> tuple[Build, str | None] | None:
    """The call's builder and path identifier, when the method and raw path are one of the direct routes.

    Matches on the raw path so that an identifier's encoded "/" stays inside it (see `paths.py`);
    the identifier is percent-decoded exactly as the `{identifier:segment}` routes decode it.
    """
    raw_path = scope.get("raw_path")
    if not raw_path:
        return None
    parts = raw_path.split(b"?", 1)[0].split(b"/")
    if len(parts) < 4 or parts[0] or parts[1] != b"api" or parts[2] != b"v1":
        return None
    method = scope["method"]
    if len(parts) == 4 and parts[3] == b"events":
        return (_anonymous_event, None) if method == "POST" else None
    if parts[3] != b"customers" or len(parts) not in (5, 6) or not parts[4]:
        return None
    identifier = unquote(parts[4].decode("ascii", "replace"))
    if len(parts) == 5:
        return (_identify, identifier) if method == "PUT" else None
    if parts[5] == b"events" and method in ("POST", "PUT"):
        return _customer_event, identifier
    return None


def _headers(scope: Scope) -> tuple[str, str]:
    """The first `Authorization` and `Content-Type` values, as Starlette's `Headers.get` reads them."""
    authorization = content_type = None
    for name, value in scope["headers"]:
        if authorization is None and name == b"authorization":
            authorization = value.decode("latin-1")
        elif content_type is None and name == b"content-type":
            content_type = value.decode("latin-1")
    return authorization or "", content_type or ""


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
