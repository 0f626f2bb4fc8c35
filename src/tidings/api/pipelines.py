"""Customer.io's Pipelines API (`/v1/identify`, `/v1/track`, ..., `/v1/batch`), authenticated with a write key.

As at Customer.io, a call answers 200 for almost everything (lax mode): a call that cannot be
accepted is logged with the reason and dropped. With `X-Strict-Mode: 1` it answers 401 for bad
credentials and 400 for a bad encoding, size, JSON or missing field, with the body
`{"code": <status>, "message": "..."}` the Pipelines client libraries read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings.api.auth import Authenticator
from tidings.api.errors import status_for
from tidings.api.responses import EMPTY_OBJECT, FastJSONResponse
from tidings.errors import InvalidInput, LimitExceeded, TidingsError, Unauthenticated
from tidings.ingest import IngestLimits, decode_body, decompress_body, pipelines
from tidings.log import Message, Origin, record_rejected_call
from tidings.services import Services
from tidings.workspaces import Workspace

__all__ = ["pipelines_router"]

logger = logging.getLogger(__name__)

# A batch that names its workspace only in the body is read up to this size before its limits are known.
_UNAUTHENTICATED_BODY_BYTES = 16 * 1024 * 1024
_JSON = "application/json"
_encode = msgspec.json.Encoder().encode


def pipelines_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["Pipelines API"])

    async def accept(request: Request, call_type: str) -> Response:
        is_strict = request.headers.get("x-strict-mode", "").strip() == "1"
        received_at = services.clock.now()
        workspace: Workspace | None = None
        body: dict[str, Any] = {}
        try:
            if call_type == "batch" and "authorization" not in request.headers:
                # The mobile SDKs put the write key in the body: read it before the workspace's limits are known.
                body, size = await _body(request, limit=_UNAUTHENTICATED_BODY_BYTES)
                workspace = await _body_workspace(body, auth=auth)
            else:
                workspace = await auth.source_workspace(request)
                body, size = await _body(request, limit=_body_limit(workspace, call_type))
            if size > _body_limit(workspace, call_type):
                raise LimitExceeded(f"request body cannot be larger than {_body_limit(workspace, call_type) // 1024} KB", field="body")
            messages, rejections = _messages(
                body, call_type, received_at=received_at, is_strict=is_strict, workspace=workspace
            )
        except TidingsError as exc:
            if workspace is not None:
                await record([_Rejection(call_type, exc, body)], workspace=workspace, received_at=received_at)
            return _rejected(exc, is_strict=is_strict, workspace=workspace, call_type=call_type)
        if messages:
            await services.log.append(workspace.id, messages, origin=Origin.PIPELINES)
        if rejections:
            await record(rejections, workspace=workspace, received_at=received_at)
        return FastJSONResponse(EMPTY_OBJECT)

    async def record(rejections: list[_Rejection], *, workspace: Workspace, received_at: datetime) -> None:
        """Keep refused calls for the data-in log; failing to keep them never fails the call."""

        def write(conn: Connection) -> None:
            for rejection in rejections:
                record_rejected_call(
                    conn,
                    workspace_id=workspace.id,
                    origin=Origin.PIPELINES,
                    received_at=received_at,
                    call_type=rejection.call_type,
                    reason=str(rejection.error),
                    field=getattr(rejection.error, "field", None),
                    call=rejection.call,
                )

        try:
            await services.db.write(write)
        except Exception:
            logger.exception("could not keep rejected calls for the data-in log", extra={"workspace_id": workspace.id})

    def endpoint(call_type: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            return await accept(request, call_type)

        handle.__name__ = f"pipelines_{call_type}"
        handle.__doc__ = f"Pipelines {call_type} call." if call_type != "batch" else "A batch of Pipelines calls."
        return handle

    async def settings(write_key: str) -> Response:
        """The source settings the mobile SDKs fetch at start-up; iOS sends nothing until it has them."""
        await auth.write_key_workspace(write_key)
        return FastJSONResponse(
            {
                # Without an apiHost the SDKs keep sending to the host they were configured with.
                "integrations": {"Customer.io Data Pipelines": {"apiKey": write_key}},
                "plan": {},
                "edgeFunction": {},
                "middlewareSettings": {},
                # Stops the SDKs' own telemetry to api.segment.io.
                "metrics": {"sampleRate": 0},
                "consentSettings": {},
            }
        )

    for call_type, short in (("identify", "i"), ("track", "t"), ("page", "p"), ("screen", "s"), ("group", "g"), ("alias", "a")):
        handle = endpoint(call_type)
        router.add_api_route(f"/v1/{call_type}", handle, methods=["POST"], response_class=FastJSONResponse)
        router.add_api_route(
            f"/v1/{short}", handle, methods=["POST"], response_class=FastJSONResponse, include_in_schema=False
        )
    batch = endpoint("batch")
    router.add_api_route("/v1/batch", batch, methods=["POST"], response_class=FastJSONResponse)
    # The mobile SDKs upload to `{apiHost}/b`, with apiHost either "<host>/v1" or a bare host.
    for path in ("/v1/b", "/b", "/batch"):
        router.add_api_route(path, batch, methods=["POST"], response_class=FastJSONResponse, include_in_schema=False)
    for path in ("/v1/projects/{write_key:segment}/settings", "/projects/{write_key:segment}/settings"):
        router.add_api_route(path, settings, methods=["GET"], response_class=FastJSONResponse)
    return router


async def _body(request: Request, *, limit: int) -> tuple[dict[str, Any], int]:
    """The JSON body, whatever its Content-Type (the Android SDK labels gzip JSON `text/plain`), and its size."""
    raw = decompress_body(await request.body(), encoding=request.headers.get("content-encoding", ""), limit=limit)
    return decode_body(raw, content_type=_JSON, limit=limit), len(raw)


def _body_limit(workspace: Workspace, call_type: str) -> int:
    limits = IngestLimits.for_workspace(workspace.limits)
    return limits.pipelines_batch_bytes if call_type == "batch" else limits.pipelines_call_bytes


async def _body_workspace(body: dict[str, Any], *, auth: Authenticator) -> Workspace:
    """The workspace of a batch sent without Authorization (the mobile SDKs), from its `writeKey`."""
    write_key = body.get("writeKey")
    if not isinstance(write_key, str) or not write_key:
        raise Unauthenticated("Unauthorized request: a write key is required as the Basic user name or writeKey")
    return await auth.write_key_workspace(write_key)


@dataclass(frozen=True, slots=True)
class _Rejection:
    call_type: str
    error: TidingsError
    call: Any


def _messages(
    body: dict[str, Any], call_type: str, *, received_at: datetime, is_strict: bool, workspace: Workspace
) -> tuple[list[Message], list[_Rejection]]:
    """The messages of a call or batch; in lax mode a batch drops (and logs) only its bad calls."""
    if call_type != "batch":
        return pipelines.translate(body, received_at=received_at, call_type=call_type), []
    messages: list[Message] = []
    rejections: list[_Rejection] = []
    call_bytes = IngestLimits.for_workspace(workspace.limits).pipelines_call_bytes
    for index, call in enumerate(pipelines.batch_calls(body)):
        try:
            if len(_encode(call)) > call_bytes:
                raise LimitExceeded(f"a call cannot be larger than {call_bytes // 1024} KB", field="")
            messages.extend(pipelines.translate(call, received_at=received_at))
        except InvalidInput as exc:
            if is_strict:
                raise InvalidInput(f"batch[{index}]: {exc}", field=f"batch[{index}].{exc.field}") from None
            _log_rejection(exc, workspace=workspace, call_type=f"batch[{index}]")
            rejections.append(_Rejection(str(call.get("type") or "unknown")[:40], exc, call))
    return messages, rejections


def _rejected(exc: TidingsError, *, is_strict: bool, workspace: Workspace | None, call_type: str) -> Response:
    status = status_for(exc)
    if is_strict:
        return FastJSONResponse({"code": status, "message": str(exc)}, status_code=status)
    _log_rejection(exc, workspace=workspace, call_type=call_type)
    return FastJSONResponse(EMPTY_OBJECT)


def _log_rejection(exc: TidingsError, *, workspace: Workspace | None, call_type: str) -> None:
    logger.warning(
        "pipelines %s call rejected (workspace %s): %s",
        call_type,
        workspace.id if workspace is not None else "unknown",
        exc,
    )
