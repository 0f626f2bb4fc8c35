"""Sending transactional email through the API and reading deliveries back, for tests."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from tests.factories.track import TrackDriver, app_auth
from tidings.services import Services

__all__ = ["TEMPLATE", "deliver", "html_part", "message", "send", "setup"]

TEMPLATE = {
    "name": "Receipt",
    "trigger_name": "receipt",
    "content": {
        "email": {
            "from": "Shop <shop@example.com>",
            "subject": "Order {{trigger.order}} for {{customer.first_name}}",
            "body": '<html><body><p>Thanks!</p><a href="https://example.com/orders/{{trigger.order}}">Your order</a>'
            '<a class="untracked" href="https://example.com/help">Help</a></body></html>',
        }
    },
}


async def send(track: TrackDriver, **body: Any) -> str:
    request = {"transactional_message_id": "receipt", "identifiers": {"id": "ann"}, "to": "ann@example.com", **body}
    response = await track.client.post("/v1/send/email", json=request, headers=app_auth(track.workspace))
    assert response.status_code == 200, response.text
    return response.json()["delivery_id"]


async def deliver(services: Services, track: TrackDriver) -> None:
    await track.processed()
    await services.sender.run_until_idle()


async def message(track: TrackDriver, delivery_id: str) -> dict[str, Any]:
    return (await track.app_get(f"/v1/messages/{delivery_id}")).json()["message"]


async def setup(track: TrackDriver, **attributes: Any) -> None:
    response = await track.client.post("/v1/transactional", json=TEMPLATE, headers=app_auth(track.workspace))
    assert response.status_code == 201, response.text
    await track.identify("ann", email="ann@example.com", first_name="Ann", **attributes)


def html_part(received: EmailMessage) -> str:
    part = received.get_body(("html",))
    assert part is not None
    return part.get_content()
