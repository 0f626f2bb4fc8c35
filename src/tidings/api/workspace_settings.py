"""The workspace's message settings through the App API (Bearer key).

Customer.io offers these only as settings screens, so tidings adds `GET` and `PUT
/v1/workspace/settings` in the App API's style: `{"settings": {"send_mode", "test_address",
"open_tracking", "language_attribute"}}`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tidings import workspaces
from tidings.api.auth import Authenticator
from tidings.api.responses import FastJSONResponse
from tidings.errors import InvalidInput, NotFound
from tidings.ingest import decode_body
from tidings.services import Services
from tidings.workspaces import Workspace

__all__ = ["workspace_settings_router"]

_BODY_BYTES = 16 * 1024


def workspace_settings_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: workspace settings"])

    async def read(request: Request) -> Response:
        """The workspace's send mode, test address, open tracking and language attribute."""
        workspace = await auth.app_workspace(request)
        current = await services.db.read(workspaces.get_workspace, workspace_id=workspace.id)
        if current is None:
            raise NotFound("workspace not found")
        return FastJSONResponse({"settings": _settings(current)})

    async def update(request: Request) -> Response:
        """Change the settings given; the others keep their values."""
        workspace = await auth.app_workspace(request)
        body = decode_body(await request.body(), content_type="application/json", limit=_BODY_BYTES)
        changes = body.get("settings")
        if not isinstance(changes, dict):
            raise InvalidInput("settings is required and must be an object", field="settings")
        updated = await services.db.write(workspaces.update_workspace_settings, workspace_id=workspace.id, changes=changes)
        return FastJSONResponse({"settings": _settings(updated)})

    router.add_api_route("/workspace/settings", read, methods=["GET"])
    router.add_api_route("/workspace/settings", update, methods=["PUT"])
    return router


def _settings(workspace: Workspace) -> dict[str, Any]:
    return {
        "send_mode": workspace.send_mode.value,
        "test_address": workspace.test_address,
        "open_tracking": workspace.is_open_tracking,
        "language_attribute": workspace.language_attribute,
    }
