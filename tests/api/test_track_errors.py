"""Track API v1 errors over HTTP: Customer.io's 400/401 answers, no partial writes, workspace isolation."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.conftest import app_auth, new_workspace, track_auth
from tidings.services import Services
from tidings.workspaces import NewWorkspace, set_workspace_limits

# Marked here, not only by conftest's late auto-marking, which drops the parameters of parametrized tests.

JSON = {"Content-Type": "application/json"}


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _customer(client: httpx.AsyncClient, workspace: NewWorkspace, identifier: str) -> httpx.Response:
    return await client.get(f"/v1/customers/{identifier}/attributes", headers=app_auth(workspace))


async def _attributes(client: httpx.AsyncClient, workspace: NewWorkspace, identifier: str) -> dict[str, Any]:
    response = await _customer(client, workspace, identifier)
    assert response.status_code == 200, response.text
    return response.json()["customer"]["attributes"]


async def _identify(
    client: httpx.AsyncClient, workspace: NewWorkspace, identifier: str, body: dict[str, Any]
) -> None:
    response = await client.put(f"/api/v1/customers/{identifier}", json=body, headers=track_auth(workspace))
    assert response.status_code == 200, response.text


def _assert_bad_request(response: httpx.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {"meta": {"error": message}}


_DATA_HASH = 'event data must be a hash (e.g., send "data":{} instead of "data":"")'

# (method, path, JSON body, Customer.io's error text); every path names person "u1" or nobody.
_REJECTED_CALLS = [
    pytest.param(
        "PUT", "/api/v1/customers/%20", {"plan": "pro"}, "id attribute must be present", id="id-present"
    ),
    pytest.param(
        "PUT", "/api/v1/customers/u1", {"id": 5}, "id attribute must be a string value", id="id-string"
    ),
    pytest.param(
        "PUT", "/api/v1/customers/u1", {"id": ""}, "id attribute cannot be an empty string", id="id-empty"
    ),
    pytest.param(
        "PUT",
        "/api/v1/customers/u1",
        {f"a{i}": i for i in range(301)},
        "cannot identify more than 300 attributes in one request",
        id="attribute-count",
    ),
    pytest.param(
        "PUT",
        "/api/v1/customers/u1",
        {"n" * 151: 1},
        "attribute name cannot be longer than 150 bytes",
        id="attribute-name",
    ),
    pytest.param(
        "PUT",
        "/api/v1/customers/u1",
        {"bio": "v" * 1001},
        "value for attribute 'bio' cannot be longer than 1000 bytes",
        id="attribute-value",
    ),
    pytest.param(
        "PUT",
        "/api/v1/customers/" + "a" * 151,
        {"plan": "pro"},
        "identifier cannot be longer than 150 characters",
        id="identifier-length",
    ),
    pytest.param(
        "POST", "/api/v1/customers/u1/events", {"name": " "}, "event name must not be blank", id="event-blank"
    ),
    pytest.param("POST", "/api/v1/events", {}, "event name must not be blank", id="anonymous-event-blank"),
    pytest.param(
        "POST",
        "/api/v1/customers/u1/events",
        {"name": "n" * 101},
        "event name cannot be longer than 100 bytes",
        id="event-name",
    ),
    pytest.param(
        "POST", "/api/v1/customers/u1/events", {"name": "n", "data": ""}, _DATA_HASH, id="event-data-hash"
    ),
    pytest.param(
        "POST",
        "/api/v1/customers/u1/events",
        {"name": "n", "timestamp": 1359389415000},
        "timestamp must be a unix timestamp in seconds",
        id="event-timestamp",
    ),
    pytest.param(
        "PUT",
        "/api/v1/customers/u1/devices",
        {},
        "device is required and must be an object",
        id="device-missing",
    ),
    pytest.param(
        "PUT",
        "/api/v1/customers/u1/devices",
        {"device": {"id": "tok", "platform": "windows"}},
        "device platform must be one of: ios, android",
        id="device-platform",
    ),
    pytest.param(
        "POST",
        "/api/v1/customers/u1/events",
        {"name": "n", "data": {"note": "a\x00b"}},
        "request body cannot contain null characters (\\u0000)",
        id="nul-in-data",
    ),
    pytest.param(
        "PUT",
        "/api/v1/customers/u%001",
        {"plan": "pro"},
        "identifier cannot contain null characters (\\u0000)",
        id="nul-in-identifier",
    ),
    pytest.param(
        "POST",
        "/api/v1/merge_customers",
        {"primary": {"id": "u1", "email": "u1@x.com"}, "secondary": {"id": "u2"}},
        "primary must have exactly one of id, email or cio_id",
        id="merge-side",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "message"), _REJECTED_CALLS)
async def test_invalid_call_answers_400_with_customerio_error_and_changes_nothing(
    client: httpx.AsyncClient,
    services: Services,
    workspace: NewWorkspace,
    method: str,
    path: str,
    body: Any,
    message: str,
) -> None:
    response = await client.request(method, path, json=body, headers=track_auth(workspace))
    _assert_bad_request(response, message)
    assert await services.processor.run_until_idle() == 0
    assert (await _customer(client, workspace, "u1")).status_code == 404


async def _raise_limits(services: Services, workspace: NewWorkspace, **limits: int) -> None:
    await services.db.write(set_workspace_limits, workspace_id=workspace.workspace.id, limits=limits)


async def test_event_data_over_100000_bytes_answers_400_where_the_body_limit_is_raised(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    await _raise_limits(services, workspace, body_bytes=200_000)
    data = {"k": "v" * (100_000 - len('{"k":""}'))}
    response = await client.post(
        "/api/v1/customers/u1/events", json={"name": "n", "data": data}, headers=track_auth(workspace)
    )
    assert response.status_code == 200, response.text
    data["k"] += "v"
    response = await client.post(
        "/api/v1/customers/u2/events", json={"name": "n", "data": data}, headers=track_auth(workspace)
    )
    _assert_bad_request(response, "event data cannot be longer than 100000 bytes")
    assert await services.processor.run_until_idle() == 1
    assert (await _customer(client, workspace, "u1")).status_code == 200
    assert (await _customer(client, workspace, "u2")).status_code == 404


async def test_event_data_over_the_limit_within_32_kb_answers_400_with_the_data_error(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    await _raise_limits(services, workspace, event_data_bytes=100)
    response = await client.post(
        "/api/v1/customers/u1/events",
        json={"name": "n", "data": {"k": "v" * 100}},
        headers=track_auth(workspace),
    )
    _assert_bad_request(response, "event data cannot be longer than 100 bytes")


async def test_rejected_identify_leaves_an_existing_person_unchanged(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    await _identify(client, workspace, "u1", {"plan": "pro"})
    await services.processor.run_until_idle()
    response = await client.put(
        "/api/v1/customers/u1", json={"plan": "free", "bio": "v" * 1001}, headers=track_auth(workspace)
    )
    _assert_bad_request(response, "value for attribute 'bio' cannot be longer than 1000 bytes")
    await services.processor.run_until_idle()
    attributes = await _attributes(client, workspace, "u1")
    assert attributes["plan"] == "pro"
    assert "bio" not in attributes


async def test_attribute_and_event_limits_exactly_at_the_limit_are_applied(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    body = {f"a{i}": "v" for i in range(299)} | {"n" * 150: "v" * 1000}
    await _identify(client, workspace, "u1", body)
    response = await client.post(
        "/api/v1/customers/u1/events",
        json={"name": "n" * 100, "data": {"k": 1}},
        headers=track_auth(workspace),
    )
    assert response.status_code == 200, response.text
    await services.processor.run_until_idle()
    attributes = await _attributes(client, workspace, "u1")
    assert attributes["n" * 150] == "v" * 1000
    assert attributes["a298"] == "v"
    response = await client.get("/v1/customers/u1/activities", headers=app_auth(workspace))
    assert [a["name"] for a in response.json()["activities"] if a["type"] == "event"] == ["n" * 100]


async def test_body_over_32_kb_answers_400(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    raw = b'{"a":"' + b"x" * (32 * 1024 - 7) + b'"}'
    response = await client.put("/api/v1/customers/u1", content=raw, headers=track_auth(workspace) | JSON)
    _assert_bad_request(response, "request body cannot be larger than 32 KB")
    await services.processor.run_until_idle()
    assert (await _customer(client, workspace, "u1")).status_code == 404


async def test_body_of_32_kb_is_accepted(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    raw = b'{"name":"n","data":{"a":"' + b"x" * (32 * 1024 - 28) + b'"}}'
    assert len(raw) == 32 * 1024
    response = await client.post(
        "/api/v1/customers/u1/events", content=raw, headers=track_auth(workspace) | JSON
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("raw", [b"{", b"{'plan': 'pro'}", b'{"plan": "pro"', b"\xff", b'{"plan": "\x80"}'])
async def test_invalid_json_answers_400(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace, raw: bytes
) -> None:
    response = await client.put("/api/v1/customers/u1", content=raw, headers=track_auth(workspace) | JSON)
    _assert_bad_request(response, "request body must be valid JSON")
    await services.processor.run_until_idle()
    assert (await _customer(client, workspace, "u1")).status_code == 404


async def test_json_array_body_answers_400(client: httpx.AsyncClient, workspace: NewWorkspace) -> None:
    response = await client.put("/api/v1/customers/u1", content=b"[1]", headers=track_auth(workspace) | JSON)
    _assert_bad_request(response, "request body must be a JSON object")


async def test_form_encoded_event_is_applied(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    response = await client.post(
        "/api/v1/customers/5/events",
        content=b"name=purchased&data[price]=23.45&data[tags][]=a&timestamp=1359389415",
        headers=track_auth(workspace) | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    await services.processor.run_until_idle()
    response = await client.get("/v1/customers/5/activities", headers=app_auth(workspace))
    [event] = [a for a in response.json()["activities"] if a["type"] == "event"]
    assert (event["name"], event["data"], event["timestamp"]) == (
        "purchased",
        {"price": "23.45", "tags": ["a"]},
        1359389415,
    )


async def test_identifier_with_a_slash_is_addressable(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    """Customer.io allows any UTF-8 in ids; clients send them percent-encoded (quote(id, safe=''))."""
    await _identify(client, workspace, "a%2Fb", {"plan": "pro"})
    await services.processor.run_until_idle()
    assert (await _attributes(client, workspace, "a%2Fb"))["plan"] == "pro"


async def test_accepted_identify_is_applied(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    await _identify(client, workspace, "u1", {"email": "u1@x.com", "plan": "pro", "_timestamp": 1359389415})
    assert await services.processor.run_until_idle() == 1
    response = await _customer(client, workspace, "u1")
    customer = response.json()["customer"]
    assert customer["identifiers"]["id"] == "u1"
    assert customer["attributes"]["plan"] == "pro"
    assert "_timestamp" not in customer["attributes"]


async def test_update_only_identify_of_an_unknown_person_creates_nobody(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    await _identify(client, workspace, "u1", {"plan": "pro", "_update": True})
    await services.processor.run_until_idle()
    assert (await _customer(client, workspace, "u1")).status_code == 404


# Credentials


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Basic"}, id="empty-basic"),
        pytest.param({"Authorization": "Basic !!!not-base64"}, id="not-base64"),
        pytest.param({"Authorization": "Bearer abc"}, id="bearer"),
        pytest.param(_basic("no-such-site", "key"), id="unknown-site"),
        pytest.param(
            {"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\x00").decode()}, id="not-utf8"
        ),
        pytest.param(
            _basic("site\x00", "key\x00"),
            id="nul-bytes",
        ),
    ],
)
async def test_track_call_without_valid_credentials_answers_401(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace, headers: dict[str, str]
) -> None:
    response = await client.put("/api/v1/customers/u1", json={"plan": "pro"}, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == {"meta": {"error": "Unauthorized request"}}
    assert response.headers["www-authenticate"].startswith("Basic")
    await services.processor.run_until_idle()
    assert (await _customer(client, workspace, "u1")).status_code == 404


async def test_valid_site_id_with_a_wrong_key_answers_401(
    client: httpx.AsyncClient, workspace: NewWorkspace
) -> None:
    response = await client.put(
        "/api/v1/customers/u1",
        json={"plan": "pro"},
        headers=_basic(workspace.site_id, workspace.track_api_key + "x"),
    )
    assert response.status_code == 401, response.text
    assert response.json() == {"meta": {"error": "Unauthorized request"}}


async def test_valid_site_id_with_another_workspaces_key_answers_401(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    other = await new_workspace(services, name="other")
    response = await client.put(
        "/api/v1/customers/u1", json={"plan": "pro"}, headers=_basic(workspace.site_id, other.track_api_key)
    )
    assert response.status_code == 401, response.text


async def test_auth_endpoint_checks_credentials(client: httpx.AsyncClient, workspace: NewWorkspace) -> None:
    assert (await client.get("/auth", headers=track_auth(workspace))).status_code == 200
    assert (await client.get("/auth", headers=_basic(workspace.site_id, "wrong"))).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": "Bearer "}, id="empty"),
        pytest.param({"Authorization": "Bearer not-a-key"}, id="unknown"),
        pytest.param({"Authorization": "Basic abc"}, id="basic"),
    ],
)
async def test_app_api_without_a_valid_bearer_key_answers_401(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace, headers: dict[str, str]
) -> None:
    await _identify(client, workspace, "u1", {"plan": "pro"})
    await services.processor.run_until_idle()
    response = await client.get("/v1/customers/u1/attributes", headers=headers)
    assert response.status_code == 401, response.text
    assert isinstance(response.json()["meta"]["error"], str)


async def test_app_api_rejects_a_track_api_key_as_bearer(
    client: httpx.AsyncClient, workspace: NewWorkspace
) -> None:
    response = await client.get(
        "/v1/customers/u1/attributes", headers={"Authorization": f"Bearer {workspace.track_api_key}"}
    )
    assert response.status_code == 401, response.text


# Workspace isolation


async def test_app_api_key_cannot_read_another_workspaces_person(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    other = await new_workspace(services, name="other")
    await _identify(client, other, "u1", {"plan": "pro"})
    await services.processor.run_until_idle()
    assert (await _customer(client, other, "u1")).status_code == 200
    response = await _customer(client, workspace, "u1")
    assert response.status_code == 404, response.text
    assert response.json() == {"meta": {"error": "customer not found"}}


async def test_track_credentials_write_only_into_their_own_workspace(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    other = await new_workspace(services, name="other")
    await _identify(client, other, "u1", {"plan": "pro"})
    await services.processor.run_until_idle()
    await _identify(client, workspace, "u1", {"plan": "free", "hacked": True})
    response = await client.post(
        "/api/v1/customers/u1/events", json={"name": "intrusion"}, headers=track_auth(workspace)
    )
    assert response.status_code == 200, response.text
    await client.delete("/api/v1/customers/u1", headers=track_auth(workspace))
    await services.processor.run_until_idle()
    attributes = await _attributes(client, other, "u1")
    assert attributes["plan"] == "pro"
    assert "hacked" not in attributes
    response = await client.get("/v1/customers/u1/activities", headers=app_auth(other))
    assert "intrusion" not in [a["name"] for a in response.json()["activities"]]
    assert (await _customer(client, workspace, "u1")).status_code == 404


async def test_merge_cannot_reach_into_another_workspace(
    client: httpx.AsyncClient, services: Services, workspace: NewWorkspace
) -> None:
    other = await new_workspace(services, name="other")
    await _identify(client, other, "u2", {"plan": "pro"})
    await _identify(client, workspace, "u1", {"plan": "free"})
    await services.processor.run_until_idle()
    response = await client.post(
        "/api/v1/merge_customers",
        json={"primary": {"id": "u1"}, "secondary": {"id": "u2"}},
        headers=track_auth(workspace),
    )
    assert response.status_code == 200, response.text
    await services.processor.run_until_idle()
    assert (await _attributes(client, other, "u2"))["plan"] == "pro"
    assert (await _attributes(client, workspace, "u1"))["plan"] == "free"
