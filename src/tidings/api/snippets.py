"""Snippets through the App API (Bearer key), on Customer.io's paths and shapes.

`GET /v1/snippets` lists them; `PUT /v1/snippets` with `{"name", "value"}` creates or updates one
(also `PUT /v1/snippets/{name}` with `{"value"}`); `DELETE /v1/snippets/{name}` removes one.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tidings import messaging
from tidings.api.auth import Authenticator
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.ingest import decode_body
from tidings.messaging import Snippet
from tidings.services import Services

__all__ = ["snippets_router"]

# A 16 KB snippet, JSON-escaped, with room for its name.
_BODY_BYTES = 128 * 1024


def snippets_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: snippets"])

    async def list_all(request: Request) -> Response:
        """The workspace's snippets, by name."""
        workspace = await auth.app_workspace(request)
        found = await services.db.read(messaging.list_snippets, workspace_id=workspace.id)
        return FastJSONResponse({"snippets": [_snippet(s) for s in found]})

    async def save(request: Request, name: str | None = None) -> Response:
        """Create a snippet, or replace the value of the one with that name."""
        workspace = await auth.app_workspace(request)
        body = decode_body(await request.body(), content_type="application/json", limit=_BODY_BYTES)
        snippet = await services.db.write(
            messaging.save_snippet,
            workspace_id=workspace.id,
            name=name if name is not None else body.get("name"),
            value=body.get("value"),
            now=services.clock.now(),
        )
        return FastJSONResponse({"snippet": _snippet(snippet)})

    async def remove(request: Request, name: str) -> Response:
        """Delete a snippet; messages that still use it fail to render."""
        workspace = await auth.app_workspace(request)
        await services.db.write(messaging.delete_snippet, workspace_id=workspace.id, name=name)
        return FastJSONResponse({})

    router.add_api_route("/snippets", list_all, methods=["GET"])
    router.add_api_route("/snippets", save, methods=["PUT"])
    router.add_api_route("/snippets/{name}", save, methods=["PUT"])
    router.add_api_route("/snippets/{name}", remove, methods=["DELETE"])
    return router


def _snippet(snippet: Snippet) -> dict[str, Any]:
    updated_at = to_unix(snippet.updated_at) if snippet.updated_at else None
    return {"name": snippet.name, "value": snippet.value, "updated_at": updated_at}
