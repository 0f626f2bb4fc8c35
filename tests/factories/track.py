"""Driving the Track API and reading results back, for tests."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from sqlalchemy.engine import Connection

from tidings import messaging
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

    async def app_get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=app_auth(self.workspace))

    async def relationships(self, identifier: str, id_type: str = "id") -> list[dict[str, Any]]:
        """A person's relationships as the App API lists them."""
        response = await self.app_get(f"/v1/customers/{identifier}/relationships", id_type=id_type)
        assert response.status_code == 200, response.text
        return response.json()["cio_relationships"]

    async def object(self, type_id: int | str, object_id: str) -> dict[str, Any] | None:
        """The App API's view of an object, or None when it does not exist."""
        response = await self.app_get(f"/v1/objects/{type_id}/{object_id}/attributes")
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()["object"]

    async def entities(self, *entities: dict[str, Any]) -> httpx.Response:
        """A Track API v2 batch; the response is returned whatever its status."""
        return await self.client.post("/api/v2/batch", json={"batch": list(entities)}, headers=track_auth(self.workspace))

    async def delivery_reports(self, delivery_id: str) -> list[messaging.DeliveryReport]:
        """Metrics reported for a delivery (read from storage: deliveries have no read API yet)."""

        def read(conn: Connection) -> list[messaging.DeliveryReport]:
            return messaging.list_delivery_reports(conn, workspace_id=self.workspace.workspace.id, delivery_id=delivery_id)

        return await self.services.db.read(read)
