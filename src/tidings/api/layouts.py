"""Email layouts through the App API (Bearer key).

Customer.io manages layouts only on a screen, so tidings adds endpoints in the App API's style:
`POST /v1/layouts` and `GET /v1/layouts`, `GET`/`PUT`/`DELETE /v1/layouts/{id}`, each layout
`{"layout": {"name", "html"}}` with `{{content}}` where the body goes. A transactional message
uses one through its `settings.layout_id`.
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
from tidings.errors import InvalidInput
from tidings.ingest import decode_body
from tidings.messaging import Layout
from tidings.services import Services

__all__ = ["layouts_router"]

_BODY_BYTES = 1024 * 1024


def layouts_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: layouts"])

    async def fields(request: Request) -> dict[str, Any]:
        body = decode_body(await request.body(), content_type="application/json", limit=_BODY_BYTES)
        layout = body.get("layout")
        if not isinstance(layout, dict):
            raise InvalidInput("layout is required and must be an object", field="layout")
        return layout

    async def create(request: Request) -> Response:
        """Add a layout: `{"layout": {"name", "html"}}`; the HTML must hold `{{content}}`."""
        workspace = await auth.app_workspace(request)
        given = await fields(request)
        layout = await services.db.write(
            messaging.create_layout,
            workspace_id=workspace.id,
            name=given.get("name"),
            html=given.get("html"),
            now=services.clock.now(),
        )
        return FastJSONResponse({"layout": _layout(layout)}, status_code=201)

    async def list_all(request: Request) -> Response:
        """The workspace's layouts."""
        workspace = await auth.app_workspace(request)
        found = await services.db.read(messaging.list_layouts, workspace_id=workspace.id)
        return FastJSONResponse({"layouts": [_layout(layout) for layout in found]})

    async def get_one(request: Request, layout_id: int) -> Response:
        """One layout."""
        workspace = await auth.app_workspace(request)
        layout = await services.db.read(messaging.find_layout, workspace_id=workspace.id, layout_id=layout_id)
        return FastJSONResponse({"layout": _layout(layout)})

    async def update(request: Request, layout_id: int) -> Response:
        """Change a layout's name or HTML; emails sent from now on use it."""
        workspace = await auth.app_workspace(request)
        changes = await fields(request)
        layout = await services.db.write(
            messaging.update_layout,
            workspace_id=workspace.id,
            layout_id=layout_id,
            changes=changes,
            now=services.clock.now(),
        )
        return FastJSONResponse({"layout": _layout(layout)})

    async def remove(request: Request, layout_id: int) -> Response:
        """Delete a layout no transactional message uses."""
        workspace = await auth.app_workspace(request)
        await services.db.write(messaging.delete_layout, workspace_id=workspace.id, layout_id=layout_id)
        return FastJSONResponse({})

    router.add_api_route("/layouts", create, methods=["POST"])
    router.add_api_route("/layouts", list_all, methods=["GET"])
    router.add_api_route("/layouts/{layout_id}", get_one, methods=["GET"])
    router.add_api_route("/layouts/{layout_id}", update, methods=["PUT"])
    router.add_api_route("/layouts/{layout_id}", remove, methods=["DELETE"])
    return router


def _layout(layout: Layout) -> dict[str, Any]:
    return {
        "id": layout.id,
        "name": layout.name,
        "html": layout.html,
        "created_at": to_unix(layout.created_at),
        "updated_at": to_unix(layout.updated_at),
    }
