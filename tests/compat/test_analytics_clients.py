"""The Pipelines client libraries, unchanged (gzip on), against a real server.

`customerio-cdp-analytics`, `segment-analytics-python` and `rudder-sdk-python` each run in a child
interpreter (tests/compat/drivers/analytics_client.py) from a directory of their own; results are
read back with the App API client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from customerio import APIClient

from tests.compat.conftest import TidingsServer
from tests.compat.test_customerio_client import Process, assert_not_found, read_activities, read_customer
from tidings.workspaces import NewWorkspace

_ISOLATED = Path(__file__).resolve().parents[2] / ".venv" / "isolated"
_DRIVER = Path(__file__).parent / "drivers" / "analytics_client.py"
# PyPI distribution → the module that holds its Client.
CLIENTS = {
    "customerio-cdp-analytics": "customerio.analytics",
    "segment-analytics-python": "segment.analytics",
    "rudder-sdk-python": "rudderstack.analytics",
}


@pytest.fixture(params=sorted(CLIENTS))
def client(request: pytest.FixtureRequest) -> str:
    return request.param


def send(
    server: TidingsServer, workspace: NewWorkspace, client: str, *calls: tuple[str, dict[str, Any]]
) -> None:
    """Send calls through the real client; fail on any error it reports."""
    package = _ISOLATED / client
    assert package.is_dir(), f"{client} is missing: run scripts/ensure-venv (./test does)"
    spec = {
        "module": CLIENTS[client],
        "host": server.app_url,
        "write_key": workspace.cdp_api_key,
        "calls": [{"method": method, "kwargs": kwargs} for method, kwargs in calls],
    }
    completed = subprocess.run(
        [sys.executable, str(_DRIVER)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(package)},
        check=True,
        timeout=60,
    )
    assert json.loads(completed.stdout) == {"errors": []}, completed.stderr


def test_identify_track_page_and_screen_land_on_the_person(
    tidings_server: TidingsServer, workspace: NewWorkspace, client: str, api: APIClient, process: Process
) -> None:
    send(
        tidings_server,
        workspace,
        client,
        ("identify", {"user_id": "u-42", "traits": {"email": "ann@example.com", "plan": "pro"}}),
        ("track", {"user_id": "u-42", "event": "purchased", "properties": {"price": 23.45}}),
        ("page", {"user_id": "u-42", "name": "Pricing", "properties": {"url": "https://example.com/pricing"}}),
        ("screen", {"user_id": "u-42", "name": "Settings"}),
    )
    process()

    customer = read_customer(api, "u-42")
    assert customer["identifiers"]["email"] == "ann@example.com"
    assert customer["attributes"]["plan"] == "pro"
    assert [(a["type"], a["name"]) for a in read_activities(api, "u-42") if a["type"] in {"event", "page", "screen"}] == [
        ("screen", "Settings"),
        ("page", "Pricing"),
        ("event", "purchased"),
    ]


def test_email_as_user_id_identifies_by_email(
    tidings_server: TidingsServer, workspace: NewWorkspace, client: str, api: APIClient, process: Process
) -> None:
    send(tidings_server, workspace, client, ("identify", {"user_id": "Bo@Example.com", "traits": {"plan": "free"}}))
    process()

    assert read_customer(api, "bo@example.com", id_type="email")["attributes"]["plan"] == "free"


def test_anonymous_activity_joins_on_identify_and_alias_merges(
    tidings_server: TidingsServer, workspace: NewWorkspace, client: str, api: APIClient, process: Process
) -> None:
    send(
        tidings_server,
        workspace,
        client,
        ("track", {"anonymous_id": "anon-7", "event": "viewed_pricing"}),
        ("identify", {"user_id": "u-7", "anonymous_id": "anon-7", "traits": {"plan": "trial"}}),
        ("identify", {"user_id": "old-7", "traits": {"city": "Oslo"}}),
    )
    process()
    send(tidings_server, workspace, client, ("alias", {"previous_id": "old-7", "user_id": "u-7"}))
    process()

    assert [a["name"] for a in read_activities(api, "u-7", type="event")] == ["viewed_pricing"]
    assert read_customer(api, "u-7")["attributes"]["city"] == "Oslo"
    assert_not_found(api, "old-7")


def test_device_and_deletion_semantic_events(
    tidings_server: TidingsServer, workspace: NewWorkspace, client: str, api: APIClient, process: Process
) -> None:
    device = {"token": "tok-1", "type": "ios"}
    send(
        tidings_server,
        workspace,
        client,
        ("track", {"user_id": "u-9", "event": "Device Created or Updated", "context": {"device": device}}),
    )
    process()
    assert [d["id"] for d in read_customer(api, "u-9")["devices"]] == ["tok-1"]

    send(tidings_server, workspace, client, ("track", {"user_id": "u-9", "event": "User Deleted"}))
    process()
    assert_not_found(api, "u-9")


def test_group_relates_the_user_to_the_object(
    tidings_server: TidingsServer, workspace: NewWorkspace, client: str, api: APIClient, process: Process
) -> None:
    send(
        tidings_server,
        workspace,
        client,
        ("identify", {"user_id": "u-5", "traits": {"plan": "team"}}),
        ("group", {"user_id": "u-5", "group_id": "acme", "traits": {"name": "Acme", "relationshipAttributes": {"role": "owner"}}}),
    )
    process()

    url = f"{api.url}/v1/customers/u-5/relationships"
    (relationship,) = api.send_request("GET", url, {}).json()["cio_relationships"]
    assert (relationship["identifiers"]["object_id"], relationship["attributes"]) == ("acme", {"role": "owner"})
    acme = api.send_request("GET", f"{api.url}/v1/objects/1/acme/attributes", {}).json()["object"]
    assert acme["attributes"] == {"name": "Acme"}
