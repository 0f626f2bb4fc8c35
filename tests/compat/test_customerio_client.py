"""The PyPI `customerio` client, unchanged, against a real tidings server.

Calls go through `CustomerIO` (Track API, over TLS) exactly as an integrator makes them; results
are read back through the `APIClient` session (App API, over HTTP) in Customer.io's shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from customerio import APIClient, CustomerIO, CustomerIOException, SendEmailRequest
from customerio.constants import EMAIL, ID
from ulid import ULID

from tests.compat.conftest import SERVER_STARTED_AT, TidingsServer
from tidings.clock import to_unix
from tidings.workspaces import NewWorkspace

Process = Callable[[], int]


def read_customer(api: APIClient, identifier: str, *, id_type: str = "id") -> dict[str, Any]:
    url = f"{api.url}/v1/customers/{quote(identifier, safe='')}/attributes?id_type={id_type}"
    return api.send_request("GET", url, {}).json()["customer"]


def read_activities(
    api: APIClient, identifier: str, *, id_type: str = "id", type: str | None = None, name: str | None = None
) -> list[dict[str, Any]]:
    query: dict[str, str | int] = {"id_type": id_type, "limit": 100}
    if type is not None:
        query["type"] = type
    if name is not None:
        query["name"] = name
    url = f"{api.url}/v1/customers/{quote(identifier, safe='')}/activities?{urlencode(query)}"
    return api.send_request("GET", url, {}).json()["activities"]


def refusal(call: Callable[[], object]) -> str:
    """The message of the CustomerIOException `call` raises ("404: <url> ...").

    The exception is not kept: through its traceback it holds the client's response, and with it a
    socket the session can no longer close, which stalls the server's TLS shutdown.
    """
    try:
        call()
    except CustomerIOException as exc:
        return str(exc)
    raise AssertionError("expected the client to raise CustomerIOException")


def assert_not_found(api: APIClient, identifier: str, *, id_type: str = "id") -> None:
    message = refusal(lambda: read_customer(api, identifier, id_type=id_type))
    assert message.startswith("404:"), message


def test_identify_creates_person_with_string_attributes_and_timestamps(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify(
        "u1",
        email="u1@example.com",
        plan="pro",
        seats=5,
        is_active=True,
        score=1.5,
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
    )
    process()

    customer = read_customer(api, "u1")
    assert customer["id"] == "u1"
    assert customer["identifiers"]["id"] == "u1"
    assert customer["identifiers"]["email"] == "u1@example.com"
    assert customer["identifiers"]["cio_id"]
    expected = {
        "id": "u1",
        "email": "u1@example.com",
        "cio_id": customer["identifiers"]["cio_id"],
        "plan": "pro",
        "seats": "5",
        "is_active": "true",
        "score": "1.5",
        "created_at": str(to_unix(datetime(2025, 1, 1, tzinfo=UTC))),
    }
    assert customer["attributes"].items() >= expected.items()
    received = to_unix(SERVER_STARTED_AT)
    for name in ("id", "email", "cio_id", "plan", "seats", "is_active", "score", "created_at"):
        assert customer["timestamps"][name] == received, name


def test_identify_again_updates_attributes_and_empty_string_removes_one(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("u1", plan="pro", nickname="Al", created_at=1700000000)
    process()
    track.identify("u1", plan="premium", nickname="")
    process()

    attributes = read_customer(api, "u1")["attributes"]
    assert attributes["plan"] == "premium"
    assert "nickname" not in attributes
    assert attributes["created_at"] == "1700000000"


def test_track_records_event_activity_with_name_and_data(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("u1", plan="pro")
    track.track("u1", "purchase", data={"price": 10, "sku": "A1"})
    process()

    activities = read_activities(api, "u1", type="event")
    assert [(a["type"], a["name"], a["data"]) for a in activities] == [
        ("event", "purchase", {"price": 10, "sku": "A1"})
    ]
    assert activities[0]["customer_id"] == "u1"


def test_track_with_the_same_event_id_twice_records_one_activity(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    event_id = str(ULID())
    track.identify("u1", plan="pro")
    track.track("u1", "purchase", data={"price": 10}, id=event_id)
    track.track("u1", "purchase", data={"price": 10}, id=event_id)
    process()

    assert len(read_activities(api, "u1", type="event", name="purchase")) == 1


def test_backfill_records_activity_at_the_given_timestamp(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    happened_at = datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
    track.identify("u1", plan="pro")
    track.backfill("u1", "signed_up", happened_at, source="import")
    process()

    (activity,) = read_activities(api, "u1", type="event", name="signed_up")
    assert activity["timestamp"] == to_unix(happened_at)
    assert activity["data"] == {"source": "import"}


def test_pageview_records_page_activity(track: CustomerIO, api: APIClient, process: Process) -> None:
    track.identify("u1", plan="pro")
    track.pageview("u1", "https://example.com/pricing", referrer="https://example.com/")
    process()

    (activity,) = read_activities(api, "u1", type="page")
    assert activity["name"] == "https://example.com/pricing"
    assert activity["data"] == {"referrer": "https://example.com/"}


def test_identify_with_anonymous_id_merges_the_anonymous_events(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.track_anonymous("anon-1", "viewed_pricing", data={"plan": "pro"})
    process()
    track.identify("u1", anonymous_id="anon-1", email="u1@example.com")
    process()

    (event,) = read_activities(api, "u1", type="event")
    assert (event["name"], event["data"]) == ("viewed_pricing", {"plan": "pro"})
    (merge,) = read_activities(api, "u1", type="anonymous_merge")
    assert merge["type"] == "anonymous_merge"
    assert "anonymous_id" not in read_customer(api, "u1")["attributes"]


def test_add_device_appears_in_attributes_devices(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    last_used = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    track.identify("u1", plan="pro")
    track.add_device("u1", "token-1", "ios", last_used=last_used, attributes={"app_version": "1.2.0"})
    process()

    (device,) = read_customer(api, "u1")["devices"]
    assert (device["id"], device["platform"], device["last_used"]) == ("token-1", "ios", to_unix(last_used))
    assert device["attributes"]["app_version"] == "1.2.0"


def test_delete_device_removes_it_from_attributes_devices(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("u1", plan="pro")
    track.add_device("u1", "token-1", "ios")
    track.add_device("u1", "token-2", "android")
    process()
    track.delete_device("u1", "token-1")
    process()

    assert [device["id"] for device in read_customer(api, "u1")["devices"]] == ["token-2"]


def test_delete_removes_the_person(track: CustomerIO, api: APIClient, process: Process) -> None:
    track.identify("u1", plan="pro")
    process()
    track.delete("u1")
    process()

    assert_not_found(api, "u1")


def test_identify_after_delete_creates_a_person_without_old_events(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("u1", plan="pro", company="Acme")
    track.track("u1", "purchase")
    process()
    track.delete("u1")
    process()
    track.identify("u1", plan="free")
    process()

    attributes = read_customer(api, "u1")["attributes"]
    assert attributes["plan"] == "free"
    assert "company" not in attributes
    assert read_activities(api, "u1", type="event") == []


def test_suppress_removes_the_person_and_later_calls_do_not_recreate_them(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("u1", plan="pro")
    process()
    track.suppress("u1")
    process()
    assert_not_found(api, "u1")

    track.identify("u1", plan="free")
    track.track("u1", "purchase")
    process()
    assert_not_found(api, "u1")


def test_unsuppress_lets_identify_create_a_fresh_person(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("u1", plan="pro")
    track.track("u1", "purchase")
    process()
    track.suppress("u1")
    process()
    track.unsuppress("u1")
    track.identify("u1", seats=3)
    process()

    attributes = read_customer(api, "u1")["attributes"]
    assert attributes["seats"] == "3"
    assert "plan" not in attributes
    assert read_activities(api, "u1", type="event") == []


def test_merge_customers_by_id_folds_secondary_into_primary(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("primary", plan="pro")
    track.identify("secondary", plan="free", company="Acme")
    track.track("secondary", "purchase", data={"price": 10})
    process()
    secondary_cio_id = read_customer(api, "secondary")["identifiers"]["cio_id"]

    track.merge_customers(ID, "primary", ID, "secondary")
    process()

    assert_not_found(api, "secondary")
    assert_not_found(api, secondary_cio_id, id_type="cio_id")
    attributes = read_customer(api, "primary")["attributes"]
    assert (attributes["plan"], attributes["company"]) == ("pro", "Acme")
    assert [a["name"] for a in read_activities(api, "primary", type="event")] == ["purchase"]


def test_merge_customers_by_email_folds_secondary_into_primary(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("keep@example.com", plan="pro")
    track.identify("gone@example.com", plan="free", company="Acme")
    track.track("gone@example.com", "purchase", data={"price": 10})
    process()

    track.merge_customers(EMAIL, "keep@example.com", EMAIL, "gone@example.com")
    process()

    assert_not_found(api, "gone@example.com", id_type="email")
    attributes = read_customer(api, "keep@example.com", id_type="email")["attributes"]
    assert (attributes["plan"], attributes["company"]) == ("pro", "Acme")
    events = read_activities(api, "keep@example.com", id_type="email", type="event")
    assert [a["name"] for a in events] == ["purchase"]


def test_identify_by_email_path_is_found_by_email_case_insensitively(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    track.identify("Person@Example.com", plan="pro")
    process()

    url = f"{api.url}/v1/customers?{urlencode({'email': 'PERSON@EXAMPLE.COM'})}"
    (found,) = api.send_request("GET", url, {}).json()["results"]
    assert found["email"] == "Person@Example.com"
    assert found["id"] is None
    customer = read_customer(api, found["cio_id"], id_type="cio_id")
    assert customer["attributes"]["plan"] == "pro"


def test_region_reports_the_workspace_as_environment_id(track: CustomerIO, workspace: NewWorkspace) -> None:
    response = track.http.get(f"{track.base_url}/accounts/region")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["environment_id"] == workspace.workspace.id
    assert body["region"] == workspace.workspace.region


def test_auth_accepts_the_workspace_credentials(track: CustomerIO) -> None:
    response = track.http.get(f"https://{track.host}:{track.port}/auth")

    assert response.status_code == 200, response.text


def test_wrong_credentials_are_refused_with_401(
    tidings_server: TidingsServer, workspace: NewWorkspace, trust_server_certificate: None
) -> None:
    wrong = CustomerIO(workspace.site_id, "not-the-key", host="127.0.0.1", port=tidings_server.track_port)
    with wrong:
        region = wrong.http.get(f"{wrong.base_url}/accounts/region")
        auth = wrong.http.get(f"https://{wrong.host}:{wrong.port}/auth")
        identify = refusal(lambda: wrong.identify("u1", plan="pro"))

    assert (region.status_code, auth.status_code) == (401, 401)
    assert identify.startswith("401:"), identify


def read_relationships(api: APIClient, identifier: str) -> list[dict[str, Any]]:
    url = f"{api.url}/v1/customers/{quote(identifier, safe='')}/relationships"
    return api.send_request("GET", url, {}).json()["cio_relationships"]


def test_identify_with_cio_relationships_relates_the_person(track: CustomerIO, api: APIClient, process: Process) -> None:
    track.identify(
        "u1",
        cio_relationships={
            "action": "add_relationships",
            "relationships": [
                {"identifiers": {"object_type_id": "1", "object_id": "acme"}, "relationship_attributes": {"role": "admin"}}
            ],
        },
    )
    process()

    (relationship,) = read_relationships(api, "u1")
    assert relationship["identifiers"]["object_id"] == "acme"
    assert relationship["attributes"] == {"role": "admin"}


def test_batch_applies_person_and_object_operations_and_reports_bad_ones(
    track: CustomerIO, api: APIClient, process: Process
) -> None:
    response = track.batch(
        [
            {"type": "person", "identifiers": {"id": "42"}, "action": "identify", "attributes": {"plan": "premium"}},
            {"type": "object", "identifiers": {"object_type_id": "1", "object_id": "acme"}, "action": "identify", "attributes": {"seats": 50}},
            {
                "type": "object",
                "identifiers": {"object_type_id": "1", "object_id": "acme"},
                "action": "add_relationships",
                "cio_relationships": [{"identifiers": {"id": "42"}, "relationship_attributes": {"role": "admin"}}],
            },
            {"type": "person", "identifiers": {"id": "42"}, "action": "event", "name": "purchased", "attributes": {"price": 9}},
            {"type": "person", "identifiers": {"id": "42"}, "action": "event"},
        ]
    )
    process()

    assert response.status_code == 207
    assert [(e["batch_index"], e["field"]) for e in response.json()["errors"]] == [(4, "name")]
    assert read_customer(api, "42")["attributes"]["plan"] == "premium"
    assert [a["name"] for a in read_activities(api, "42", type="event")] == ["purchased"]
    (relationship,) = read_relationships(api, "42")
    assert relationship["attributes"] == {"role": "admin"}
    acme = api.send_request("GET", f"{api.url}/v1/objects/1/acme/attributes", {}).json()["object"]
    assert acme["attributes"] == {"seats": "50"}


def test_send_email_reaches_smtp_and_its_delivery_reads_back(
    tidings_server: TidingsServer, api: APIClient, process: Process
) -> None:
    created = api.send_request(
        "POST",
        f"{api.url}/v1/transactional",
        {
            "name": "Password reset",
            "trigger_name": "password_reset",
            "content": {"email": {"from": "noreply@example.com", "subject": "Reset for {{customer.email}}", "body": "<p>Code {{trigger.code}}</p>"}},
        },
    ).json()["message"]

    answer = api.send_email(
        SendEmailRequest(
            transactional_message_id=created["id"],
            to="bo@example.com",
            identifiers={"email": "bo@example.com"},
            message_data={"code": "123456"},
        )
    )
    process()
    tidings_server.send()

    (received,) = [r for r in tidings_server.inbox.received if answer["delivery_id"] in r.message["Message-ID"]]
    assert received.message["Subject"] == "Reset for bo@example.com"
    assert "Code 123456" in received.message.get_body(("html",)).get_content()
    delivered = api.send_request("GET", f"{api.url}/v1/messages/{answer['delivery_id']}", {}).json()["message"]
    assert delivered["status"] == "sent" and delivered["customer_identifiers"]["email"] == "bo@example.com"
    assert read_customer(api, "bo@example.com", id_type="email")["identifiers"]["email"] == "bo@example.com"


def test_send_email_picks_the_language_variant_the_request_or_the_person_names(
    tidings_server: TidingsServer, track: CustomerIO, api: APIClient, process: Process
) -> None:
    created = api.send_request(
        "POST",
        f"{api.url}/v1/transactional",
        {
            "name": "Welcome",
            "trigger_name": "welcome_localized",
            "content": {"email": {"from": "hi@example.com", "subject": "Welcome", "body": "<p>Hello</p>"}},
            "translations": {"es": {"email": {"subject": "Bienvenida"}}, "fr": {"email": {"subject": "Bienvenue"}}},
        },
    ).json()["message"]
    track.identify("cleo", email="cleo@example.com", language="fr")
    process()

    by_person = api.send_email(
        SendEmailRequest(transactional_message_id=created["id"], identifiers={"id": "cleo"}, to="cleo@example.com")
    )
    by_request = api.send_email(
        SendEmailRequest(
            transactional_message_id=created["id"], identifiers={"id": "cleo"}, to="cleo@example.com", language="es"
        )
    )
    process()
    tidings_server.send()

    subjects = {
        delivery_id: received.message["Subject"]
        for received in tidings_server.inbox.received
        for delivery_id in (by_person["delivery_id"], by_request["delivery_id"])
        if delivery_id in received.message["Message-ID"]
    }
    assert subjects == {by_person["delivery_id"]: "Bienvenue", by_request["delivery_id"]: "Bienvenida"}
