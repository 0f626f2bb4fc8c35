"""Layouts and snippets in sent email: the template's layout wraps the body where `{{content}}`
is, both read the workspace's snippets, and a changed layout or snippet shows in the next send
and in test sends. Through the API, the sender and a real SMTP server."""

from __future__ import annotations

from typing import Any

from tests.factories.mail import TEMPLATE, deliver, html_part, send, setup
from tests.factories.smtp import Inbox
from tests.factories.track import TrackDriver, app_auth
from tidings.services import Services

Mail = tuple[Inbox, Services, TrackDriver]

FRAME = (
    '<html><body><div class="frame-{{layout.id}}">{{layout.name}}</div>{{content}}'
    "<footer>{{snippets.address}}</footer></body></html>"
)


async def use_layout(track: TrackDriver, **body: Any) -> int:
    """Give the receipt template a new layout (and body overrides); returns the layout's number."""
    created = await track.client.post(
        "/v1/layouts", json={"layout": {"name": "Brand", "html": FRAME}}, headers=app_auth(track.workspace)
    )
    layout_id = created.json()["layout"]["id"]
    template = (await track.app_get("/v1/transactional/receipt")).json()["message"]
    email = {**TEMPLATE["content"]["email"], **body}
    updated = await track.client.put(
        f"/v1/transactional/{template['id']}",
        json={"settings": {"layout_id": layout_id}, "content": {"email": email}},
        headers=app_auth(track.workspace),
    )
    assert updated.status_code == 200, updated.text
    return layout_id


async def put_snippet(track: TrackDriver, name: str, value: str) -> None:
    response = await track.client.put(
        "/v1/snippets", json={"name": name, "value": value}, headers=app_auth(track.workspace)
    )
    assert response.status_code == 200, response.text


async def sent_html(inbox: Inbox, services: Services, track: TrackDriver) -> str:
    inbox.received.clear()
    await send(track, message_data={"order": "7"})
    await deliver(services, track)
    (received,) = inbox.received
    return html_part(received.message)


async def test_the_layout_wraps_the_body_and_both_read_snippets(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track)
    await put_snippet(track, "address", "1 Main St")
    await put_snippet(track, "greeting", "Hello {{customer.first_name}}")
    layout_id = await use_layout(track, body="<p>{{snippets.greeting}}, order {{trigger.order}}</p>")

    html = await sent_html(inbox, services, track)

    assert f'<div class="frame-{layout_id}">Brand</div><p>Hello Ann, order 7</p>' in html
    assert "<footer>1 Main St</footer>" in html


async def test_a_changed_layout_or_snippet_shows_in_the_next_send(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track)
    await put_snippet(track, "address", "1 Main St")
    layout_id = await use_layout(track)
    await sent_html(inbox, services, track)

    await put_snippet(track, "address", "2 Side St")
    await track.client.put(
        f"/v1/layouts/{layout_id}",
        json={"layout": {"html": "<html><body><main>{{content}}</main>{{snippets.address}}</body></html>"}},
        headers=app_auth(track.workspace),
    )
    html = await sent_html(inbox, services, track)

    assert "<main><p>Thanks!</p>" in html and "2 Side St" in html
    assert "frame-" not in html


async def test_a_missing_snippet_fails_the_delivery_with_customer_io_s_text(mail: Mail) -> None:
    inbox, services, track = mail
    await setup(track)
    await use_layout(track)

    delivery_id = await send(track, message_data={"order": "7"})
    await deliver(services, track)

    failed = (await track.app_get(f"/v1/messages/{delivery_id}")).json()["message"]
    assert inbox.received == []
    assert failed["status"] == "failed"
    assert failed["failure_message"] == "Variable 'snippets.address' is missing"


async def test_a_test_send_uses_the_layout_and_snippets(mail: Mail) -> None:
    inbox, _, track = mail
    await setup(track)
    await put_snippet(track, "address", "1 Main St")
    await use_layout(track)
    await track.processed()

    response = await track.client.post(
        "/v1/transactional/receipt/test",
        json={"emails": ["qa@example.com"], "customer_id": "ann", "message_data": {"order": "T-1"}},
        headers=app_auth(track.workspace),
    )

    assert response.status_code == 200, response.text
    html = html_part(inbox.received[0].message)
    assert "Brand</div>" in html and "<footer>1 Main St</footer>" in html
