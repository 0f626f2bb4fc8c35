from __future__ import annotations

import httpx

from tests.conftest import app_auth, track_auth
from tidings.services import Services
from tidings.workspaces import NewWorkspace


async def test_identify_then_read_back(client: httpx.AsyncClient, services: Services, workspace: NewWorkspace) -> None:
    response = await client.put("/api/v1/customers/u1", json={"email": "A@x.com", "plan": "pro"}, headers=track_auth(workspace))
    assert response.status_code == 200, response.text
    await services.processor.run_until_idle()
    response = await client.get("/v1/customers/u1/attributes", headers=app_auth(workspace))
    assert response.status_code == 200, response.text
    print(response.json())
    customer = response.json()["customer"]
    assert customer["attributes"]["plan"] == "pro"
