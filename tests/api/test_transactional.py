"""The Transactional API: templates, validation, queued deliveries and their read-back."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from tests.factories.track import TrackDriver, app_auth
from tidings.clock import ManualClock, to_unix

WELCOME = {
    "name": "Welcome",
    "trigger_name": "welcome_email",
    "content": {"email": {"from": "team@example.com", "subject": "Hi {{customer.first_name}}", "body": "<p>Hello</p>"}},
}


async def post(track: TrackDriver, path: str, body: dict[str, Any]) -> httpx.Response:
    return await track.client.post(path, json=body, headers=app_auth(track.workspace))


async def template(track: TrackDriver, body: dict[str, Any] = WELCOME) -> dict[str, Any]:
    response = await post(track, "/v1/transactional", body)
    assert response.status_code == 201, response.text
    return response.json()["message"]


async def test_send_by_trigger_name_queues_a_delivery_for_a_new_person(track: TrackDriver, clock: ManualClock) -> None:
    created = await template(track)

    response = await post(
        track,
        "/v1/send/email",
        {"transactional_message_id": "WELCOME_EMAIL", "to": "ann@example.com", "identifiers": {"id": "ann"}, "message_data": {"code": 7}},
    )

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["queued_at"] == to_unix(clock.now()) and len(answer["delivery_id"]) == 26
    await track.processed()
    assert await track.customer("ann") is not None
    message = (await track.app_get(f"/v1/messages/{answer['delivery_id']}")).json()["message"]
    assert (message["status"], message["type"], message["recipient"]) == ("queued", "email", "ann@example.com")
    assert message["transactional_message_id"] == created["id"]
    assert message["metrics"] == {"queued": to_unix(clock.now())}
    listed = (await track.app_get("/v1/customers/ann/messages")).json()["messages"]
    assert [m["id"] for m in listed] == [answer["delivery_id"]]


async def test_send_without_a_template_needs_from_subject_and_body(track: TrackDriver) -> None:
    body = {"to": "ann@example.com", "identifiers": {"email": "ann@example.com"}, "subject": "Hi"}

    response = await post(track, "/v1/send/email", body)

    assert response.status_code == 400
    assert response.json() == {"meta": {"error": "from is required when no transactional_message_id is given"}}
    ok = await post(track, "/v1/send/email", {**body, "from": "a@example.com", "body": "<p>x</p>"})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"transactional_message_id": 999}, "transactional_message_id 999 not found"),
        ({"identifiers": {"id": "a", "email": "a@b.co"}}, "identifiers must have exactly one of id, email or cio_id"),
        ({"to": ", ".join(f"p{i}@example.com" for i in range(16))}, "Limit of 15 recipients exceeded"),
        ({"to": "nobody"}, "to has an invalid email address: 'nobody'"),
        ({"headers": {"Content-Type": "text/plain"}}, "header 'Content-Type' cannot be set to a custom value"),
        ({"headers": {"X-Note": "café"}}, "header 'X-Note' must be an ASCII string"),
        ({"attachments": {"run.exe": base64.b64encode(b"MZ").decode()}}, "Attachment 'run.exe': .exe files cannot be attached"),
        ({"attachments": {"a.txt": "%%%"}}, "Attachment 'a.txt' must be base64-encoded"),
        # Base64 makes the request itself too large before the attachments are.
        ({"attachments": {"big.pdf": base64.b64encode(b"x" * (1600 * 1024)).decode()}}, "request body cannot be larger than 2048 KB"),
        ({"send_at": 10**10}, "send_at cannot be more than 90 days in the future"),
        ({"send_to_unsubscribed": "yes"}, "send_to_unsubscribed must be true or false"),
    ],
)
async def test_bad_requests_answer_400_naming_the_problem(track: TrackDriver, change: dict[str, Any], error: str) -> None:
    await template(track)
    body = {"transactional_message_id": "welcome_email", "to": "ann@example.com", "identifiers": {"id": "ann"}, **change}

    response = await post(track, "/v1/send/email", body)

    assert response.status_code == 400, response.text
    assert response.json() == {"meta": {"error": error}}
    await track.processed()
    assert await track.customer("ann") is None


async def test_send_at_schedules_and_queue_draft_drafts(track: TrackDriver, clock: ManualClock) -> None:
    await template(track)
    base = {"transactional_message_id": "welcome_email", "to": "ann@example.com", "identifiers": {"id": "ann"}}
    later = to_unix(clock.now()) + 3600

    scheduled = (await post(track, "/v1/send/email", {**base, "send_at": later})).json()
    drafted = (await post(track, "/v1/send/email", {**base, "queue_draft": True})).json()
    await track.processed()

    assert scheduled["send_at"] == later
    message = (await track.app_get(f"/v1/messages/{drafted['delivery_id']}")).json()["message"]
    assert message["status"] == "drafted"


async def test_unknown_cio_id_records_a_failed_delivery(track: TrackDriver) -> None:
    await template(track)

    response = await post(
        track, "/v1/send/email", {"transactional_message_id": "welcome_email", "to": "x@example.com", "identifiers": {"cio_id": "nobody"}}
    )
    await track.processed()

    message = (await track.app_get(f"/v1/messages/{response.json()['delivery_id']}")).json()["message"]
    assert message["status"] == "failed" and "nobody" in message["failure_message"]


async def test_push_and_sms_need_a_template_with_their_channel(track: TrackDriver) -> None:
    await template(track)
    base = {"identifiers": {"id": "ann"}}

    no_template = await post(track, "/v1/send/sms", base)
    wrong_channel = await post(track, "/v1/send/push", {**base, "transactional_message_id": "welcome_email"})

    assert no_template.json() == {"meta": {"error": "transactional_message_id is required"}}
    assert wrong_channel.json()["meta"]["error"].endswith("has no push content")


async def test_templates_are_validated_listed_and_updated(track: TrackDriver) -> None:
    created = await template(track)
    broken = await post(track, "/v1/transactional", {"name": "Bad", "content": {"email": {"subject": "{% if %}"}}})
    taken = await post(track, "/v1/transactional", {**WELCOME, "trigger_name": "Welcome_Email"})
    updated = await track.client.put(
        f"/v1/transactional/{created['id']}",
        json={"settings": {"send_to_unsubscribed": False}, "content": {"sms": {"body": "Hi"}}},
        headers=app_auth(track.workspace),
    )

    assert broken.status_code == 400 and broken.json()["meta"]["error"].startswith("content.email.subject:")
    assert taken.status_code == 409
    assert updated.json()["message"]["send_to_unsubscribed"] is False
    assert set(updated.json()["message"]["content"]) == {"email", "sms"}
    listed = (await track.app_get("/v1/transactional")).json()["messages"]
    assert [m["trigger_name"] for m in listed] == ["welcome_email"]
    assert (await track.app_get("/v1/transactional/welcome_email")).json()["message"]["id"] == created["id"]
