"""The public routes people reach from a message: tracked clicks, the open pixel and the web version
(the unsubscribe and preferences pages are in `subscription_pages`). They carry no credentials: a
click or open token is signed with its workspace's link key, and a web version link names its
delivery, as Customer.io's do.

What happens is logged like any other call (a delivery metric), so the processor applies it in
order with everything else about the person.
"""

from __future__ import annotations

import base64

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tidings import messaging
from tidings.api.auth import Authenticator
from tidings.errors import InvalidInput, NotFound
from tidings.log import Origin, ReportDelivery
from tidings.messaging import Delivery, InvalidTrackingToken, LinkTracker
from tidings.services import Services, public_url
from tidings.workspaces import Workspace, get_workspace

__all__ = ["find_delivery", "report_metric", "tracking_router"]

# A transparent 1x1 GIF.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store, max-age=0"}


async def find_delivery(services: Services, delivery_id: str | None) -> tuple[Delivery, Workspace]:
    """The delivery a public link names, in whichever workspace holds it; raises NotFound."""
    if not delivery_id or "\x00" in delivery_id:
        raise NotFound("message not found")

    def read(conn: Connection) -> tuple[Delivery, Workspace] | None:
        found = messaging.find_delivery_in_any_workspace(conn, delivery_id=delivery_id)
        if found is None:
            return None
        workspace = get_workspace(conn, workspace_id=found[0])
        return (found[1], workspace) if workspace is not None else None

    found = await services.db.read(read)
    if found is None:
        raise NotFound("message not found")
    return found


async def report_metric(
    services: Services, workspace: Workspace, *, delivery_id: str, metric: str, **details: object
) -> None:
    """Log what a person did with a message (opened, clicked, unsubscribed, ...) against its delivery."""
    message = ReportDelivery(
        received_at=services.clock.now(),
        delivery_id=delivery_id,
        metric=metric,
        details={k: v for k, v in details.items() if v is not None},
    )
    await services.log.append(workspace.id, [message], origin=Origin.TRACK)


def tracking_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["Tracking"], include_in_schema=True)
    base_url = public_url(services.settings)

    async def click(request: Request, token: str) -> Response:
        """A tracked link: record the click and send the browser on (an app's universal link: record only)."""
        delivery, workspace = await find_delivery(services, messaging.token_delivery_id(token))
        try:
            target = LinkTracker(base_url, workspace.link_key.encode()).verify_click(token)
        except InvalidTrackingToken as exc:
            raise InvalidInput(str(exc), field="token") from None
        await report_metric(
            services,
            workspace,
            delivery_id=delivery.id,
            metric="clicked",
            href=target.url,
            link_position=target.position,
            link_tag=target.tag,
        )
        if request.method == "POST" or target.url is None:
            return Response(status_code=204)
        return RedirectResponse(target.url, status_code=302, headers=_NO_STORE)

    async def open_pixel(token: str) -> Response:
        """The open pixel: always an image (a broken one would show), recorded when the token is ours."""
        try:
            delivery, workspace = await find_delivery(services, messaging.token_delivery_id(token))
            LinkTracker(base_url, workspace.link_key.encode()).verify_open(token)
        except (NotFound, InvalidTrackingToken):
            return Response(_PIXEL, media_type="image/gif", headers=_NO_STORE)
        await report_metric(services, workspace, delivery_id=delivery.id, metric="opened")
        return Response(_PIXEL, media_type="image/gif", headers=_NO_STORE)

    async def web_version(delivery_id: str) -> Response:
        """The hosted copy of an email ("view in browser"), while its content is kept."""
        delivery, _ = await find_delivery(services, delivery_id)
        body = (delivery.rendered or {}).get("body")
        if body is None:
            raise NotFound("this message is no longer available")
        return HTMLResponse(body, headers={"X-Robots-Tag": "noindex"})

    for method in ("GET", "POST"):  # one route per method, so each OpenAPI operation has its own id
        router.add_api_route("/click/{token}", click, methods=[method])
    router.add_api_route("/open/{token}", open_pixel, methods=["GET"])
    router.add_api_route("/deliveries/{delivery_id}", web_version, methods=["GET"])
    return router
