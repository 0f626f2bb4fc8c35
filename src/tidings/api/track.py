"""Customer.io's Track API (`/api/v1/...`, `/api/v2/entity`, `/api/v2/batch`, `/auth`),
authenticated with site id and API key.

Each call is validated, turned into canonical messages and committed to the log before the answer;
processing happens after, as at Customer.io. v1 errors answer `{"meta": {"error": ...}}`; v2
errors answer `{"errors": [{"reason", "field", "message"}]}`, and a batch with some bad entities
answers 207 listing them by `batch_index` while the good ones are accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tidings import segments
from tidings.api.auth import Authenticator
from tidings.api.responses import EMPTY_OBJECT, FastJSONResponse
from tidings.errors import InvalidInput, LimitExceeded
from tidings.ingest import IngestLimits, decode_body, track_api, track_v2
from tidings.log import Message, Origin
from tidings.services import Services
from tidings.workspaces import Workspace

__all__ = ["track_router"]


def track_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["Track API"])

    async def accept(request: Request, build: Callable[[dict[str, Any], datetime, IngestLimits], Message]) -> Response:
        workspace = await auth.track_workspace(request)
        limits = IngestLimits.for_workspace(workspace.limits)
        body = decode_body(
            await request.body(), content_type=request.headers.get("content-type", ""), limit=limits.body_bytes
        )
        message = build(body, services.clock.now(), limits)
        await services.log.append(workspace.id, [message], origin=Origin.TRACK)
        return FastJSONResponse(EMPTY_OBJECT)

    async def identify(request: Request, identifier: str) -> Response:
        """Add or update a person."""
        return await accept(request, lambda body, at, limits: track_api.identify(identifier, body, received_at=at, limits=limits))

    async def delete_customer(request: Request, identifier: str) -> Response:
        """Delete a person and their data."""
        return await accept(request, lambda _, at, limits: track_api.delete_customer(identifier, received_at=at, limits=limits))

    async def customer_event(request: Request, identifier: str) -> Response:
        """Track an event, page view or screen view for a person."""
        return await accept(
            request, lambda body, at, limits: track_api.customer_event(identifier, body, received_at=at, limits=limits)
        )

    async def anonymous_event(request: Request) -> Response:
        """Track an anonymous event."""
        return await accept(request, lambda body, at, limits: track_api.anonymous_event(body, received_at=at, limits=limits))

    async def upsert_device(request: Request, identifier: str) -> Response:
        """Add or update a person's device."""
        return await accept(
            request, lambda body, at, limits: track_api.upsert_device(identifier, body, received_at=at, limits=limits)
        )

    async def delete_device(request: Request, identifier: str, device_id: str) -> Response:
        """Remove a person's device."""
        return await accept(
            request, lambda _, at, limits: track_api.delete_device(identifier, device_id, received_at=at, limits=limits)
        )

    async def suppress(request: Request, identifier: str) -> Response:
        """Delete a person and suppress their identifiers."""
        return await accept(request, lambda _, at, limits: track_api.suppress(identifier, received_at=at, limits=limits))

    async def unsuppress(request: Request, identifier: str) -> Response:
        """Free a suppressed person's identifiers."""
        return await accept(request, lambda _, at, limits: track_api.unsuppress(identifier, received_at=at, limits=limits))

    async def merge_customers(request: Request) -> Response:
        """Merge a secondary person into a primary one."""
        return await accept(request, lambda body, at, limits: track_api.merge_customers(body, received_at=at, limits=limits))

    async def metrics(request: Request) -> Response:
        """Report a delivery metric (opened, clicked, bounced, ...)."""
        return await accept(request, lambda body, at, limits: track_api.delivery_metric(body, received_at=at, limits=limits))

    async def push_events(request: Request) -> Response:
        """Report a push metric from a device."""
        return await accept(request, lambda body, at, limits: track_api.push_event(body, received_at=at, limits=limits))

    async def segment_members(request: Request, segment_id: int, id_type: str = "id", *, is_add: bool) -> Response:
        workspace = await auth.track_workspace(request)
        await services.db.read(segments.manual_segment, workspace_id=workspace.id, segment_id=segment_id)
        return await accept(
            request,
            lambda body, at, limits: track_api.segment_change(
                segment_id, body, id_type=id_type, is_add=is_add, received_at=at, limits=limits
            ),
        )

    async def add_customers(request: Request, segment_id: int, id_type: str = "id") -> Response:
        """Add existing people to a manual segment."""
        return await segment_members(request, segment_id, id_type, is_add=True)

    async def remove_customers(request: Request, segment_id: int, id_type: str = "id") -> Response:
        """Remove people from a manual segment."""
        return await segment_members(request, segment_id, id_type, is_add=False)

    async def region(request: Request) -> Response:
        """The region and workspace the credentials belong to."""
        workspace: Workspace = await auth.track_workspace(request)
        url = services.settings.server.public_track_url or str(request.base_url).rstrip("/")
        return FastJSONResponse({"url": url, "region": workspace.region, "environment_id": workspace.id})

    async def check_credentials(request: Request) -> Response:
        """200 when the credentials are valid, 401 otherwise."""
        await auth.track_workspace(request)
        return FastJSONResponse(EMPTY_OBJECT)

    async def entity(request: Request) -> Response:
        """Track API v2: one person, object or delivery operation."""
        workspace = await auth.track_workspace(request)
        limits = IngestLimits.for_workspace(workspace.limits)
        try:
            body = decode_body(await request.body(), content_type="application/json", limit=limits.body_bytes)
            message = track_v2.entity(body, received_at=services.clock.now(), limits=limits)
        except InvalidInput as exc:
            return FastJSONResponse({"errors": [_v2_error(exc)]}, status_code=400)
        await services.log.append(workspace.id, [message], origin=Origin.TRACK)
        return FastJSONResponse(EMPTY_OBJECT)

    async def batch(request: Request) -> Response:
        """Track API v2: many operations; bad entities are listed by index and the rest accepted."""
        workspace = await auth.track_workspace(request)
        limits = IngestLimits.for_workspace(workspace.limits)
        received_at = services.clock.now()
        try:
            body = decode_body(await request.body(), content_type="application/json", limit=limits.batch_body_bytes)
            entities = track_v2.batch_entities(body, limits=limits)
        except InvalidInput as exc:
            return FastJSONResponse({"errors": [_v2_error(exc)]}, status_code=400)
        messages: list[Message] = []
        errors: list[dict[str, Any]] = []
        for index, value in enumerate(entities):
            try:
                messages.append(track_v2.entity(value, received_at=received_at, limits=limits))
            except InvalidInput as exc:
                errors.append({"batch_index": index, **_v2_error(exc)})
        if messages:
            await services.log.append(workspace.id, messages, origin=Origin.TRACK)
        if errors:
            return FastJSONResponse({"errors": errors}, status_code=207)
        return FastJSONResponse(EMPTY_OBJECT)

    prefix = "/api/v1"
    routes: list[tuple[str, Callable[..., Any], list[str]]] = [
        (f"{prefix}/customers/{{identifier:segment}}", identify, ["PUT"]),
        (f"{prefix}/customers/{{identifier:segment}}", delete_customer, ["DELETE"]),
        (f"{prefix}/customers/{{identifier:segment}}/events", customer_event, ["POST", "PUT"]),
        (f"{prefix}/events", anonymous_event, ["POST"]),
        (f"{prefix}/customers/{{identifier:segment}}/devices", upsert_device, ["PUT", "POST"]),
        (f"{prefix}/customers/{{identifier:segment}}/devices/{{device_id:segment}}", delete_device, ["DELETE"]),
        (f"{prefix}/customers/{{identifier:segment}}/suppress", suppress, ["POST"]),
        (f"{prefix}/customers/{{identifier:segment}}/unsuppress", unsuppress, ["POST"]),
        (f"{prefix}/merge_customers", merge_customers, ["POST"]),
        (f"{prefix}/metrics", metrics, ["POST"]),
        (f"{prefix}/segments/{{segment_id}}/add_customers", add_customers, ["POST"]),
        (f"{prefix}/segments/{{segment_id}}/remove_customers", remove_customers, ["POST"]),
        (f"{prefix}/push/events", push_events, ["POST"]),
        (f"{prefix}/accounts/region", region, ["GET"]),
        ("/auth", check_credentials, ["GET"]),
        ("/api/v2/entity", entity, ["POST"]),
        ("/api/v2/batch", batch, ["POST"]),
    ]
    for path, endpoint, methods in routes:
        for method in methods:  # one route per method, so each OpenAPI operation has its own id
            router.add_api_route(path, endpoint, methods=[method], response_class=FastJSONResponse)
    return router


def _v2_error(exc: InvalidInput) -> dict[str, Any]:
    return {
        "reason": "too_large" if isinstance(exc, LimitExceeded) else "invalid",
        "field": exc.field or "",
        "message": str(exc),
    }
