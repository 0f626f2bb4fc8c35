"""Identify and event calls answered ahead of the framework answer exactly as its routes do.

`/%61pi/...` reaches the same FastAPI route as `/api/...` (routing decodes the path), but the
direct routes match only the literal raw path, so each call below is sent both ways and the
answers compared.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import app_auth, track_auth
from tidings.services import Services
from tidings.workspaces import NewWorkspace

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# (method, path after /api, headers besides the credentials, raw body)
_CALLS = [
    pytest.param("PUT", "/v1/customers/u1", JSON, b'{"plan": "pro"}', id="identify"),
    pytest.param("PUT", "/v1/customers/a%2Fb%25c", JSON, b'{"plan": "pro"}', id="identify-slash-percent"),
    pytest.param("PUT", "/v1/customers/u1", FORM, b"plan=pro&tags[]=a", id="identify-form"),
    pytest.param("PUT", "/v1/customers/u1", {}, b"", id="identify-empty-body"),
    pytest.param("PUT", "/v1/customers/%20", JSON, b'{"plan": "pro"}', id="identify-blank-id"),
    pytest.param("PUT", "/v1/customers/u1", JSON, b'{"id": 5}', id="identify-id-not-string"),
    pytest.param("PUT", "/v1/customers/u1", JSON, b"[1]", id="identify-not-object"),
    pytest.param("PUT", "/v1/customers/u1", JSON, b"{", id="identify-bad-json"),
    pytest.param("PUT", "/v1/customers/u1", JSON, b'{"a":"' + b"x" * 33_000 + b'"}', id="identify-too-large"),
    pytest.param("POST", "/v1/customers/u1/events", JSON, b'{"name": "n", "data": {"k": 1}}', id="event"),
    pytest.param("PUT", "/v1/customers/u1/events", FORM, b"name=n&data[price]=2", id="event-put-form"),
    pytest.param("POST", "/v1/customers/u1/events", JSON, b'{"name": " "}', id="event-blank-name"),
    pytest.param("POST", "/v1/customers/u1/events", JSON, b'{"name": "n", "data": ""}', id="event-data-hash"),
    pytest.param("POST", "/v1/events", JSON, b'{"name": "n", "anonymous_id": "a1"}', id="anonymous-event"),
    pytest.param("POST", "/v1/events", JSON, b"{}", id="anonymous-event-blank"),
]


def _answer(response: httpx.Response) -> tuple[int, Any, str]:
    return response.status_code, response.json(), response.headers["content-type"]


@pytest.mark.parametrize(("method", "path", "headers", "body"), _CALLS)
async def test_direct_call_answers_as_the_framework_route_does(
    client: httpx.AsyncClient, workspace: NewWorkspace, method: str, path: str, headers: dict[str, str], body: bytes
) -> None:
    headers = track_auth(workspace) | headers
    direct = await client.request(method, "/api" + path, content=body, headers=headers)
    routed = await client.request(method, "/%61pi" + path, content=body, headers=headers)
    assert _answer(direct) == _answer(routed)


@pytest.mark.parametrize(
    "headers",
    [pytest.param({}, id="missing"), pytest.param({"Authorization": "Basic Zm9vOmJhcg=="}, id="unknown")],
)
async def test_direct_call_without_valid_credentials_answers_401_as_the_route_does(
    client: httpx.AsyncClient, workspace: NewWorkspace, headers: dict[str, str]
) -> None:
    direct = await client.put("/api/v1/customers/u1", json={"plan": "pro"}, headers=headers)
    routed = await client.put("/%61pi/v1/customers/u1", json={"plan": "pro"}, headers=headers)
    assert _answer(direct) == _answer(routed) == (401, {"meta": {"error": "Unauthorized request"}}, "application/json")
    assert direct.headers["www-authenticate"] == routed.headers["www-authenticate"]


async def test_direct_calls_land_like_routed_ones(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    for prefix, person in (("/api", "a%2Fb"), ("/%61pi", "c%2Fd")):
        response = await client.put(
            f"{prefix}/v1/customers/{person}", json={"plan": "pro"}, headers=track_auth(workspace)
        )
        assert response.status_code == 200, response.text
        response = await client.post(
            f"{prefix}/v1/customers/{person}/events", json={"name": "bought"}, headers=track_auth(workspace)
        )
        assert response.status_code == 200, response.text
    await services.processor.run_until_idle()
    for person in ("a%2Fb", "c%2Fd"):
        response = await client.get(f"/v1/customers/{person}/activities", headers=app_auth(workspace))
        assert [a["name"] for a in response.json()["activities"] if a["type"] == "event"] == ["bought"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("GET", "/api/v1/customers/u1", id="other-method"),
        pytest.param("PUT", "/api/v1/customers/u1/", id="trailing-slash"),
        pytest.param("PUT", "/api/v1/customers//events", id="empty-identifier"),
        pytest.param("DELETE", "/api/v1/customers/u1/events", id="event-delete"),
    ],
)
async def test_calls_the_direct_routes_do_not_match_get_the_frameworks_answer(
    client: httpx.AsyncClient, workspace: NewWorkspace, method: str, path: str
) -> None:
    direct = await client.request(method, path, headers=track_auth(workspace))
    routed = await client.request(method, path.replace("/api/", "/%61pi/", 1), headers=track_auth(workspace))
    assert direct.status_code == routed.status_code != 200


async def test_the_openapi_document_still_describes_the_direct_calls(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "put" in paths["/api/v1/customers/{identifier}"]
    assert {"post", "put"} <= set(paths["/api/v1/customers/{identifier}/events"])
    assert "post" in paths["/api/v1/events"]
