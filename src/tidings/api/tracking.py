"""The public routes people reach from a message: tracked clicks, the open pixel, unsubscribing and
the web version. They carry no credentials: a click or open token is signed with its workspace's
link key, and an unsubscribe link names its delivery, as Customer.io's do.

What happens is logged like any other call (a delivery metric, an `unsubscribed` change), so the
processor applies it in order with everything else about the person.
"""

from __future__ import annotations

import base64
from html import escape

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tidings import messaging
from tidings.api.auth import Authenticator
from tidings.errors import InvalidInput, NotFound
from tidings.log import Identify, Origin, PersonRef, ReportDelivery
from tidings.messaging import Delivery, InvalidTrackingToken, LinkTracker
from tidings.services import Services, public_url
from tidings.workspaces import Workspace, get_workspace

__all__ = ["tracking_router"]

# A transparent 1x1 GIF.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_NO_STORE = {"Cache-Control": "no-store, max-age=0"}


def tracking_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["Tracking"], include_in_schema=True)
    base_url = public_url(services.settings)

    async def delivery_and_workspace(delivery_id: str | None) -> tuple[Delivery, Workspace]:
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

    async def report(workspace: Workspace, delivery: Delivery, metric: str, **details: object) -> None:
        message = ReportDelivery(
            received_at=services.clock.now(),
            delivery_id=delivery.id,
            metric=metric,
            details={k: v for k, v in details.items() if v is not None},
        )
        await services.log.append(workspace.id, [message], origin=Origin.TRACK)

    async def click(request: Request, token: str) -> Response:
        """A tracked link: record the click and send the browser on (an app's universal link: record only)."""
        delivery, workspace = await delivery_and_workspace(messaging.token_delivery_id(token))
        try:
            target = LinkTracker(base_url, workspace.link_key.encode()).verify_click(token)
        except InvalidTrackingToken as exc:
            raise InvalidInput(str(exc), field="token") from None
        await report(workspace, delivery, "clicked", href=target.url, link_position=target.position, link_tag=target.tag)
        if request.method == "POST" or target.url is None:
            return Response(status_code=204)
        return RedirectResponse(target.url, status_code=302, headers=_NO_STORE)

    async def open_pixel(token: str) -> Response:
        """The open pixel: always an image (a broken one would show), recorded when the token is ours."""
        try:
            delivery, workspace = await delivery_and_workspace(messaging.token_delivery_id(token))
            LinkTracker(base_url, workspace.link_key.encode()).verify_open(token)
        except (NotFound, InvalidTrackingToken):
            return Response(_PIXEL, media_type="image/gif", headers=_NO_STORE)
        await report(workspace, delivery, "opened")
        return Response(_PIXEL, media_type="image/gif", headers=_NO_STORE)

    async def unsubscribe_page(delivery_id: str) -> Response:
        """The page an unsubscribe link opens: one button, so a mail scanner's GET changes nothing."""
        await delivery_and_workspace(delivery_id)
        return HTMLResponse(_page("Unsubscribe", "Stop receiving these emails?", f"/unsubscribe/{delivery_id}", "Unsubscribe"))

    async def unsubscribe(delivery_id: str) -> Response:
        """Unsubscribe: the page's button, and RFC 8058 one-click POSTs from mail clients."""
        delivery, workspace = await delivery_and_workspace(delivery_id)
        await set_unsubscribed(workspace, delivery, True)
        await report(workspace, delivery, "unsubscribed")
        return HTMLResponse(
            _page("Unsubscribed", "You will no longer receive these emails.", f"/unsubscribe/{delivery_id}/resubscribe", "Resubscribe")
        )

    async def resubscribe(delivery_id: str) -> Response:
        """Undo an unsubscribe from the same page."""
        delivery, workspace = await delivery_and_workspace(delivery_id)
        await set_unsubscribed(workspace, delivery, False)
        return HTMLResponse(_page("Subscribed", "You are subscribed again.", None, None))

    async def set_unsubscribed(workspace: Workspace, delivery: Delivery, value: bool) -> None:
        if not delivery.cio_id:
            raise NotFound("message not found")
        message = Identify(
            received_at=services.clock.now(),
            person=PersonRef(cio_id=delivery.cio_id),
            traits={"unsubscribed": value},
            update_only=True,
        )
        await services.log.append(workspace.id, [message], origin=Origin.TRACK)

    async def web_version(delivery_id: str) -> Response:
        """The hosted copy of an email ("view in browser"), while its content is kept."""
        delivery, _ = await delivery_and_workspace(delivery_id)
        body = (delivery.rendered or {}).get("body")
        if body is None:
            raise NotFound("this message is no longer available")
        return HTMLResponse(body, headers={"X-Robots-Tag": "noindex"})

    router.add_api_route("/click/{token}", click, methods=["GET", "POST"])
    router.add_api_route("/open/{token}", open_pixel, methods=["GET"])
    router.add_api_route("/unsubscribe/{delivery_id}", unsubscribe_page, methods=["GET"])
    router.add_api_route("/unsubscribe/{delivery_id}", unsubscribe, methods=["POST"])
    router.add_api_route("/unsubscribe/{delivery_id}/resubscribe", resubscribe, methods=["POST"])
    router.add_api_route("/deliveries/{delivery_id}", web_version, methods=["GET"])
    return router


def _page(title: str, text: str, action: str | None, button: str | None) -> str:
    form = f'<form method="post" action="{escape(action)}"><button type="submit">{escape(button or "")}</button></form>' if action else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">'
        f"<title>{escape(title)}</title></head><body><main><h1>{escape(title)}</h1><p>{escape(text)}</p>{form}</main></body></html>"
    )
