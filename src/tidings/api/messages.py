"""Deliveries through the App API: `GET /v1/messages`, `/v1/messages/{id}`, `/v1/customers/{id}/messages`,
`/v1/transactional/{id}/messages`.

Shaped as Customer.io's message objects: the recipient, subject, and a `metrics` map of the unix
time each milestone was reached; the content is left out when retention was disabled.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings import messaging, people
from tidings.api.auth import Authenticator
from tidings.api.cursors import decode_cursor, encode_cursor
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.errors import InvalidInput, NotFound
from tidings.messaging import Delivery
from tidings.people import IdentifierKind, Person, ResolvedRef
from tidings.services import Services

__all__ = ["messages_router"]

_PAGE_DEFAULT = 50
_PAGE_MAX = 1000


def messages_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: messages"])

    async def list_messages(request: Request, start: str | None = None, limit: int = _PAGE_DEFAULT) -> Response:
        """Deliveries, newest first; pass `next` back as `start`."""
        workspace = await auth.app_workspace(request)
        _check_limit(limit)
        before = decode_cursor(start) if start else None

        def read(conn: Connection) -> list[tuple[Delivery, Person | None]]:
            page = messaging.list_deliveries(conn, workspace_id=workspace.id, cio_id=None, before=before, limit=limit + 1)
            return [(d, _person(conn, workspace.id, d.cio_id)) for d in page]

        return _page(await services.db.read(read), limit)

    async def get_message(request: Request, message_id: str) -> Response:
        """One delivery, with its milestones and what was sent."""
        workspace = await auth.app_workspace(request)

        def read(conn: Connection) -> tuple[Delivery, Person | None]:
            delivery = messaging.find_delivery(conn, workspace_id=workspace.id, delivery_id=message_id)
            if delivery is None:
                raise NotFound("message not found")
            return delivery, _person(conn, workspace.id, delivery.cio_id)

        delivery, person = await services.db.read(read)
        return FastJSONResponse({"message": message_body(delivery, person, with_content=True)})

    async def customer_messages(
        request: Request, identifier: str, id_type: str = "id", start: str | None = None, limit: int = _PAGE_DEFAULT
    ) -> Response:
        """Deliveries to one person, newest first."""
        workspace = await auth.app_workspace(request)
        _check_limit(limit)
        before = decode_cursor(start) if start else None
        try:
            kind = IdentifierKind(id_type)
        except ValueError:
            raise InvalidInput("id_type must be one of: id, email, cio_id", field="id_type") from None

        def read(conn: Connection) -> list[tuple[Delivery, Person | None]]:
            person = None if "\x00" in identifier else people.find_person(
                conn, workspace_id=workspace.id, ref=ResolvedRef(kind, identifier)
            )
            if person is None:
                raise NotFound("customer not found")
            page = messaging.list_deliveries(
                conn, workspace_id=workspace.id, cio_id=person.cio_id, before=before, limit=limit + 1
            )
            return [(d, person) for d in page]

        return _page(await services.db.read(read), limit)

    async def template_messages(
        request: Request, message_id: str, start: str | None = None, limit: int = _PAGE_DEFAULT
    ) -> Response:
        """Deliveries of one transactional message (by number or trigger name), newest first."""
        workspace = await auth.app_workspace(request)
        _check_limit(limit)
        before = decode_cursor(start) if start else None

        def read(conn: Connection) -> list[tuple[Delivery, Person | None]]:
            template = messaging.find_template(conn, workspace_id=workspace.id, reference=message_id)
            if template is None:
                raise NotFound("transactional message not found")
            page = messaging.list_deliveries(
                conn,
                workspace_id=workspace.id,
                cio_id=None,
                before=before,
                limit=limit + 1,
                transactional_message_id=template.id,
            )
            return [(d, _person(conn, workspace.id, d.cio_id)) for d in page]

        return _page(await services.db.read(read), limit)

    router.add_api_route("/messages", list_messages, methods=["GET"])
    router.add_api_route("/transactional/{message_id:segment}/messages", template_messages, methods=["GET"])
    router.add_api_route("/messages/{message_id:segment}", get_message, methods=["GET"])
    router.add_api_route("/customers/{identifier:segment}/messages", customer_messages, methods=["GET"])
    return router


def message_body(delivery: Delivery, person: Person | None, *, with_content: bool = False) -> dict[str, Any]:
    request, rendered = delivery.request, delivery.rendered
    body: dict[str, Any] = {
        "id": delivery.id,
        "type": delivery.channel.value,
        "status": delivery.status.value,
        "customer_id": person.id if person else None,
        "customer_identifiers": {
            "id": person.id if person else None,
            "email": person.email if person else None,
            "cio_id": delivery.cio_id or None,
        },
        "recipient": (rendered or {}).get("to") or request.get("to"),
        "subject": (rendered or {}).get("subject"),
        "transactional_message_id": delivery.transactional_message_id,
        "created": to_unix(delivery.created_at),
        "metrics": delivery.milestones,
        "failure_message": delivery.failure_message,
        "forgotten": bool(request.get("disable_message_retention")),
    }
    if with_content and rendered is not None:
        body["content"] = rendered
    return body


def _person(conn: Connection, workspace_id: int, cio_id: str) -> Person | None:
    if not cio_id:
        return None
    return people.find_person(conn, workspace_id=workspace_id, ref=ResolvedRef(IdentifierKind.CIO_ID, cio_id))


def _page(found: list[tuple[Delivery, Person | None]], limit: int) -> Response:
    more = len(found) > limit
    found = found[:limit]
    return FastJSONResponse(
        {
            "messages": [message_body(d, p) for d, p in found],
            "next": encode_cursor(found[-1][0].created_at, found[-1][0].id) if more else "",
        }
    )


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= _PAGE_MAX:
        raise InvalidInput(f"limit must be between 1 and {_PAGE_MAX}", field="limit")

