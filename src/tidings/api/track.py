"""Customer.io's Track API v1 (`/api/v1/...`, `/auth`), authenticated with site id and API key.

Each call is validated, turned into a canonical message and committed to the log before the answer;
processing happens after, as at Customer.io.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from tidings.api.auth import Authenticator
from tidings.api.responses import EMPTY_OBJECT, FastJSONResponse
from tidings.ingest import TrackLimits, decode_body, track_api
from tidings.log import Message
from tidings.services import Services
from tidings.workspaces import Workspace

__all__ = ["track_router"]


def track_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["Track API"])

    async def accept(request: Request, build: Callable[[dict[str, Any], datetime, TrackLimits], Message]) -> Response:
        workspace = await auth.track_workspace(request)
        limits = TrackLimits.for_workspace(workspace.limits)
        body = decode_body(
            await request.body(), content_type=request.headers.get("content-type", ""), limit=limits.body_bytes
        )
        message = build(body, services.clock.now(), limits)
        await services.log.append(workspace.id, [message])
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

    async def region(request: Request) -> Response:
        """The region and workspace the credentials belong to."""
        workspace: Workspace = await auth.track_workspace(request)
        url = services.settings.server.public_track_url or str(request.base_url).rstrip("/")
        return FastJSONResponse({"url": url, "region": workspace.region, "environment_id": workspace.id})

    async def check_credentials(request: Request) -> Response:
        """200 when the credentials are valid, 401 otherwise."""
        await auth.track_workspace(request)
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
        (f"{prefix}/accounts/region", region, ["GET"]),
        ("/auth", check_credentials, ["GET"]),
    ]
    for path, endpoint, methods in routes:
        router.add_api_route(path, endpoint, methods=methods, response_class=FastJSONResponse)
    return router
