"""Customer.io's Pipelines API (`/v1/identify`, `/v1/track`, ..., `/v1/batch`), authenticated with a write key.

As at Customer.io, a call answers 200 for almost everything (lax mode): a call that cannot be
accepted is logged with the reason and dropped. With `X-Strict-Mode: 1` it answers 401 for bad
credentials and 400 for a bad encoding, size, JSON or missing field, with the body
`{"code": <status>, "message": "..."}` the Pipelines client libraries read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tidings.api.auth import Authenticator
from tidings.api.errors import status_for
from tidings.api.responses import EMPTY_OBJECT, FastJSONResponse
from tidings.errors import InvalidInput, TidingsError
from tidings.ingest import decode_body, decompress_body, pipelines
from tidings.log import Message
from tidings.services import Services
from tidings.workspaces import Workspace

__all__ = ["CALL_BYTES", "BATCH_BYTES", "pipelines_router"]

logger = logging.getLogger(__name__)

CALL_BYTES = 64 * 1024
BATCH_BYTES = 1024 * 1024
_JSON = "application/json"


def pipelines_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["Pipelines API"])

    async def accept(request: Request, call_type: str) -> Response:
        is_strict = request.headers.get("x-strict-mode", "").strip() == "1"
        try:
            workspace = await auth.source_workspace(request)
        except TidingsError as exc:
            return _rejected(exc, is_strict=is_strict, workspace=None, call_type=call_type)
        try:
            messages = await _messages(
                request, call_type, services=services, is_strict=is_strict, workspace=workspace
            )
        except TidingsError as exc:
            return _rejected(exc, is_strict=is_strict, workspace=workspace, call_type=call_type)
        if messages:
            await services.log.append(workspace.id, messages)
        return FastJSONResponse(EMPTY_OBJECT)

    def endpoint(call_type: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            return await accept(request, call_type)

        handle.__name__ = f"pipelines_{call_type}"
        handle.__doc__ = f"Pipelines {call_type} call." if call_type != "batch" else "A batch of Pipelines calls."
        return handle

    for call_type, short in (("identify", "i"), ("track", "t"), ("page", "p"), ("screen", "s"), ("alias", "a")):
        handle = endpoint(call_type)
        router.add_api_route(f"/v1/{call_type}", handle, methods=["POST"], response_class=FastJSONResponse)
        router.add_api_route(
            f"/v1/{short}", handle, methods=["POST"], response_class=FastJSONResponse, include_in_schema=False
        )
    router.add_api_route("/v1/batch", endpoint("batch"), methods=["POST"], response_class=FastJSONResponse)
    return router


async def _messages(
    request: Request, call_type: str, *, services: Services, is_strict: bool, workspace: Workspace
) -> list[Message]:
    """The messages of a call or batch; in lax mode a batch drops (and logs) only its bad calls."""
    limit = BATCH_BYTES if call_type == "batch" else CALL_BYTES
    raw = decompress_body(await request.body(), encoding=request.headers.get("content-encoding", ""), limit=limit)
    body = decode_body(raw, content_type=_JSON, limit=limit)
    received_at = services.clock.now()
    if call_type != "batch":
        return pipelines.translate(body, received_at=received_at, call_type=call_type)
    messages: list[Message] = []
    for index, call in enumerate(pipelines.batch_calls(body)):
        try:
            messages.extend(pipelines.translate(call, received_at=received_at))
        except InvalidInput as exc:
            if is_strict:
                raise InvalidInput(f"batch[{index}]: {exc}", field=f"batch[{index}].{exc.field}") from None
            _log_rejection(exc, workspace=workspace, call_type=f"batch[{index}]")
    return messages


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
