"""Driving the Track API and reading results back, for tests."""

from __future__ import annotations

import base64
from typing import Any

import httpx

from tidings.services import Services
from tidings.workspaces import NewWorkspace


def track_auth(workspace: NewWorkspace) -> dict[str, str]:
    token = base64.b64encode(f"{workspace.site_id}:{workspace.track_api_key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def app_auth(workspace: NewWorkspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {workspace.app_api_key}"}


class TrackDriver:
    """Sends Track API calls for one workspace, runs the processor, and reads people back."""

    def __init__(self, client: httpx.AsyncClient, services: Services, workspace: NewWorkspace) -> None:
        self.client = client
        self.services = services
        self.workspace = workspace

    async def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        response = await self.client.request(method, path, json=body, headers=track_auth(self.workspace))
        assert response.status_code == 200, response.text
        return response

    async def identify(self, identifier: str, **attributes: Any) -> None:
        await self.call("PUT", f"/api/v1/customers/{identifier}", attributes)

    async def event(self, identifier: str, name: str, **body: Any) -> None:
        await self.call("POST", f"/api/v1/customers/{identifier}/events", {"name": name, **body})

    async def processed(self) -> int:
        return await self.services.processor.run_until_idle()

    async def customer(self, identifier: str, id_type: str = "id") -> dict[str, Any] | None:
        """The App API's view of a person, or None when they do not exist."""
        response = await self.client.get(
            f"/v1/customers/{identifier}/attributes", params={"id_type": id_type}, headers=app_auth(self.workspace)
        )
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()["customer"]

    async def activities(self, identifier: str, id_type: str = "id", **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/v1/customers/{identifier}/activities",
            params={"id_type": id_type, "limit": 100, **params},
            headers=app_auth(self.workspace),
        )
        assert response.status_code == 200, response.text
        return response.json()["activities"]
