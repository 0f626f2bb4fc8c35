"""Test sends: the template rendered for a sample person reaches up to 25 addresses at once, marked
[TEST], with no delivery, no tracking, no List-Unsubscribe and nothing for BCC."""

from __future__ import annotations

import httpx
import pytest

from tests.factories.mail import TEMPLATE, html_part, setup
from tests.factories.smtp import Inbox
from tests.factories.track import TrackDriver, app_auth
from tidings.services import Services


async def post_test_send(track: TrackDriver, **body: object) -> httpx.Response:
    return await track.client.post("/v1/transactional/receipt/test", json=body, headers=app_auth(track.workspace))


async def test_test_send_reaches_each_address_rendered_for_the_sample_person(
    mail: tuple[Inbox, Services, TrackDriver],
) -> None:
    inbox, _, track = mail
    await setup(track)
    template_id = (await track.app_get("/v1/transactional/receipt")).json()["message"]["id"]
    await track.client.put(
        f"/v1/transactional/{template_id}",
        json={"content": {"email": {**TEMPLATE["content"]["email"], "bcc": "audit@example.com", "body": TEMPLATE["content"]["email"]["body"] + "{{delivery_id}}"}}},
        headers=app_auth(track.workspace),
    )
    await track.processed()

    response = await post_test_send(
        track, emails=["qa@example.com", "lead@example.com"], customer_id="ann", message_data={"order": "T-1"}
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"sent": ["qa@example.com", "lead@example.com"], "failed": []}
    assert sorted(r.rcpt_tos[0] for r in inbox.received) == ["lead@example.com", "qa@example.com"]
    email = inbox.received[0].message
    assert email["Subject"] == "[TEST] Order T-1 for Ann"
    assert email["List-Unsubscribe"] is None
    html = html_part(email)
    assert 'href="https://example.com/orders/T-1"' in html and "unsent" in html
    assert (await track.app_get("/v1/messages")).json()["messages"] == []


async def test_test_send_without_prefix_and_with_missing_data(mail: tuple[Inbox, Services, TrackDriver]) -> None:
    inbox, _, track = mail
    await setup(track)
    await track.processed()

    missing = await post_test_send(track, emails="qa@example.com", customer_id="ann")
    plain = await post_test_send(track, emails="qa@example.com", customer_id="ann", message_data={"order": "T-2"}, subject_prefix=False)

    assert missing.status_code == 400 and "trigger.order" in missing.text
    assert plain.status_code == 200
    assert [r.message["Subject"] for r in inbox.received] == ["Order T-2 for Ann"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emails": []}, "emails"),
        ({"emails": [f"qa{n}@example.com" for n in range(26)]}, "emails"),
        ({"emails": ["not an address"]}, "emails"),
        ({"emails": ["qa@example.com"], "customer_id": "ann", "id_type": "phone"}, "id_type"),
    ],
)
async def test_test_send_refuses_bad_input_naming_the_field(
    mail: tuple[Inbox, Services, TrackDriver], body: dict[str, object], field: str
) -> None:
    inbox, _, track = mail
    await setup(track)

    response = await post_test_send(track, message_data={"order": "T-3"}, **body)

    assert response.status_code == 400 and field in response.text
    assert inbox.received == []
