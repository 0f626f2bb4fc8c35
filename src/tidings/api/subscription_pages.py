"""The hosted subscription pages people reach from a message or a subscription-center link.

As at Customer.io: without an enabled subscription center, a message's unsubscribe link
(`/unsubscribe/<delivery_id>`) opens a page with one button that sets `unsubscribed`, and a
Resubscribe button undoes it. Once the center is enabled, the link of a message that has a topic
unsubscribes from that topic only, and points to the preferences page. The preferences page
(`/u/i/<token>/`, from `GET /v1/subscription_center/{id}/token` or from a message's
`{% manage_subscription_preferences_url %}`, `/preferences/<delivery_id>`) lists the topics and
channels with checkboxes, "Save Preferences" and "Unsubscribe from all". RFC 8058 one-click POSTs
to the unsubscribe link always unsubscribe from everything, as Customer.io's List-Unsubscribe does.

Nothing changes on a GET, so a mail scanner following links unsubscribes nobody. Every change is
logged as an identify of the person (dot keys, which merge) and a delivery metric when a message
led there, so the processor applies it in order and it shows in the person's activity. Pages are
Jinja2 templates (`api/templates/`), which escape everything they are given.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter
from jinja2 import Environment, PackageLoader, StrictUndefined
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tidings import messaging, people
from tidings.api.auth import Authenticator
from tidings.api.subscriptions import PAGE_SUBTITLE, PAGE_TITLE
from tidings.api.tracking import find_delivery, report_metric
from tidings.errors import LimitExceeded, NotFound
from tidings.log import Identify, Origin, PersonRef
from tidings.messaging import (
    Delivery,
    InvalidTrackingToken,
    LinkExpired,
    Preferences,
    PreferencesAccess,
    SubscriptionCenter,
    Topic,
)
from tidings.people import IdentifierKind, Person, ResolvedRef
from tidings.services import Services, public_url
from tidings.workspaces import Workspace, get_workspace

__all__ = ["subscription_pages_router"]

_NO_STORE = {"Cache-Control": "no-store, max-age=0"}
_FORM_BYTES = 64 * 1024
_HERE = "To change all your subscription preferences, click"


def subscription_pages_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(tags=["Subscription pages"])
    base_url = public_url(services.settings)
    templates = Environment(
        loader=PackageLoader("tidings.api", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

    def page(template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
        return HTMLResponse(
            templates.get_template(template).render(**values), status_code=status, headers=_NO_STORE
        )

    def notice(
        title: str,
        text: str,
        *,
        status: int = 200,
        action: str | None = None,
        button: str = "",
        link: str | None = None,
    ) -> HTMLResponse:
        return page(
            "notice.html",
            status=status,
            title=title,
            text=text,
            action=action,
            button=button,
            link=link,
            link_text=_HERE,
        )

    def bad_link(exc: Exception) -> Response:
        """A preferences link that has expired (410) or was never good (404), as a page."""
        if isinstance(exc, LinkExpired):
            text = (
                "Links to your subscription preferences last 24 hours. Use the link in a more recent message."
            )
            return notice("This link has expired", text, status=410)
        return notice("This link is not valid", "Check that the whole link was copied.", status=404)

    async def change(workspace: Workspace, cio_id: str, traits: dict[str, Any]) -> None:
        """Log the person's choice; `update_only`, so a person deleted since is not created again."""
        if not cio_id:
            raise NotFound("message not found")
        message = Identify(
            received_at=services.clock.now(), person=PersonRef(cio_id=cio_id), traits=traits, update_only=True
        )
        await services.log.append(workspace.id, [message], origin=Origin.TRACK)

    async def message_topic(delivery_id: str) -> tuple[Delivery, Workspace, SubscriptionCenter, Topic | None]:
        delivery, workspace = await find_delivery(services, delivery_id)

        def read(conn: Connection) -> tuple[SubscriptionCenter, Topic | None]:
            center = messaging.read_subscription_center(conn, workspace_id=workspace.id)
            return center, messaging.delivery_topic(conn, workspace_id=workspace.id, delivery=delivery)

        return delivery, workspace, *await services.db.read(read)

    async def unsubscribe_page(delivery_id: str) -> Response:
        """Leave the message's topic when the center is on and it has one, else everything."""
        _, _, center, topic = await message_topic(delivery_id)
        path = _unsubscribe_path(delivery_id)
        preferences = _preferences_path(delivery_id) if center.is_active else None
        if topic is not None:
            text = f"Stop receiving emails about {topic.name}?"
            return notice("Unsubscribe", text, action=f"{path}/topic", button="Unsubscribe", link=preferences)
        return notice(
            "Unsubscribe", "Stop receiving these emails?", action=path, button="Unsubscribe", link=preferences
        )

    async def unsubscribe(delivery_id: str) -> Response:
        """Unsubscribe from everything: the page's button, and RFC 8058 one-click POSTs from mail clients."""
        delivery, workspace = await find_delivery(services, delivery_id)
        await change(workspace, delivery.cio_id, {"unsubscribed": True})
        await report_metric(services, workspace, delivery_id=delivery.id, metric="unsubscribed")
        path = _unsubscribe_path(delivery_id)
        text = "You will no longer receive these emails."
        return notice("Unsubscribed", text, action=f"{path}/resubscribe", button="Resubscribe")

    async def resubscribe(delivery_id: str) -> Response:
        """Undo an unsubscribe from the same page."""
        delivery, workspace = await find_delivery(services, delivery_id)
        await change(workspace, delivery.cio_id, {"unsubscribed": False})
        return notice("Subscribed", "You are subscribed again.")

    async def unsubscribe_topic(delivery_id: str) -> Response:
        """Leave only the message's topic; the delivery records "unsubscribed from topic"."""
        delivery, workspace, _, topic = await message_topic(delivery_id)
        if topic is None:
            raise NotFound("this message has no subscription topic")
        await change(workspace, delivery.cio_id, messaging.preference_traits(topics={topic.id: False}))
        await report_metric(
            services, workspace, delivery_id=delivery.id, metric="topic_unsubscribed", topic_id=topic.id
        )
        action = f"{_unsubscribe_path(delivery_id)}/topic/resubscribe"
        text = f"You will no longer receive emails about {topic.name}."
        return notice(
            "Unsubscribed", text, action=action, button="Resubscribe", link=_preferences_path(delivery_id)
        )

    async def resubscribe_topic(delivery_id: str) -> Response:
        """Undo leaving the topic: its preference is set back to true."""
        delivery, workspace, _, topic = await message_topic(delivery_id)
        if topic is None:
            raise NotFound("this message has no subscription topic")
        await change(workspace, delivery.cio_id, messaging.preference_traits(topics={topic.id: True}))
        text = f"You are subscribed to {topic.name} again."
        return notice("Subscribed", text, link=_preferences_path(delivery_id))

    async def preferences_from_message(delivery_id: str) -> Response:
        """`{% manage_subscription_preferences_url %}`: a fresh 24-hour link to the preferences page,
        or the unsubscribe page while the center is off. A GET that only signs a link."""
        delivery, workspace, center, _ = await message_topic(delivery_id)
        if not center.is_active or not delivery.cio_id:
            return RedirectResponse(_unsubscribe_path(delivery_id), status_code=303, headers=_NO_STORE)
        token, _ = messaging.preferences_link(
            workspace,
            cio_id=delivery.cio_id,
            base_url=base_url,
            now=services.clock.now(),
            delivery_id=delivery.id,
        )
        return RedirectResponse(f"/u/i/{token}/", status_code=303, headers=_NO_STORE)

    async def open_link(token: str) -> tuple[Workspace, PreferencesAccess, Person, SubscriptionCenter]:
        """What a preferences link opens; raises LinkExpired, InvalidTrackingToken or NotFound."""
        workspace_id = messaging.token_workspace_id(token)

        def read(conn: Connection) -> tuple[Workspace, PreferencesAccess, Person, SubscriptionCenter]:
            workspace = get_workspace(conn, workspace_id=workspace_id) if workspace_id is not None else None
            if workspace is None:
                raise NotFound("no such link")
            access = messaging.open_preferences_link(
                workspace, token, base_url=base_url, now=services.clock.now()
            )
            ref = ResolvedRef(IdentifierKind.CIO_ID, access.cio_id)
            person = people.find_person(conn, workspace_id=workspace.id, ref=ref)
            if person is None:
                raise NotFound("the person was deleted")
            return (
                workspace,
                access,
                person,
                messaging.read_subscription_center(conn, workspace_id=workspace.id),
            )

        return await services.db.read(read)

    def preferences_page(
        token: str, *, center: SubscriptionCenter, preferences: Preferences, saved: str | None = None
    ) -> Response:
        shown = center.is_active
        topics = [
            {
                "key": t.identifier,
                "name": t.name,
                "description": t.description,
                "subscribed": preferences.topics[t.id],
            }
            for t in center.topics
        ]
        channels = [
            {
                "key": f"channel_{c.type.value}",
                "name": c.type.label,
                "description": c.description,
                "subscribed": preferences.channels[c.type],
            }
            for c in center.channels
        ]
        return page(
            "preferences.html",
            title=PAGE_TITLE if shown else "Your subscription",
            subtitle=PAGE_SUBTITLE,
            topics=topics if shown else [],
            channels=channels if shown else [],
            unsubscribed=preferences.is_unsubscribed,
            saved=saved,
            action=f"/u/i/{quote(token, safe='')}/",
        )

    async def preferences_get(token: str, language: str | None = None) -> Response:
        """The preferences page of the person a link names (pages are in English only for now)."""
        try:
            _, _, person, center = await open_link(token)
        except (LinkExpired, InvalidTrackingToken, NotFound) as exc:
            return bad_link(exc)
        return preferences_page(
            token, center=center, preferences=messaging.compute_preferences(center, person.attributes)
        )

    async def preferences_post(request: Request, token: str, language: str | None = None) -> Response:
        """Save the checked topics and channels, or unsubscribe from all; unchecking every topic
        unsubscribes from all too, and checking one again subscribes again."""
        try:
            workspace, access, person, center = await open_link(token)
        except (LinkExpired, InvalidTrackingToken, NotFound) as exc:
            return bad_link(exc)
        raw = await request.body()
        if len(raw) > _FORM_BYTES:
            raise LimitExceeded(f"request body cannot be larger than {_FORM_BYTES // 1024} KB", field="body")
        form = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        before = messaging.compute_preferences(center, person.attributes)
        after, traits = _choice(center, before=before, form=form)
        if traits:
            await change(workspace, person.cio_id, traits)
        if access.delivery_id is not None:
            await _attribute(services, workspace, delivery_id=access.delivery_id, before=before, after=after)
        saved = (
            "You are unsubscribed from all messages."
            if after.is_unsubscribed
            else "Your preferences were saved."
        )
        return preferences_page(token, center=center, preferences=after, saved=saved)

    router.add_api_route("/unsubscribe/{delivery_id}", unsubscribe_page, methods=["GET"])
    router.add_api_route("/unsubscribe/{delivery_id}", unsubscribe, methods=["POST"])
    router.add_api_route("/unsubscribe/{delivery_id}/resubscribe", resubscribe, methods=["POST"])
    router.add_api_route("/unsubscribe/{delivery_id}/topic", unsubscribe_topic, methods=["POST"])
    router.add_api_route("/unsubscribe/{delivery_id}/topic/resubscribe", resubscribe_topic, methods=["POST"])
    router.add_api_route("/preferences/{delivery_id}", preferences_from_message, methods=["GET"])
    for path in ("/u/i/{token}/", "/u/i/{token}/{language}"):
        router.add_api_route(path, preferences_get, methods=["GET"])
        router.add_api_route(path, preferences_post, methods=["POST"])
    return router


def _choice(
    center: SubscriptionCenter, *, before: Preferences, form: list[tuple[str, str]]
) -> tuple[Preferences, dict[str, Any]]:
    """The preferences a submitted form chooses, and the identify traits that store them. Only what
    the page showed is written (`shown`), so a topic added meanwhile keeps its default."""
    if next((value for name, value in reversed(form) if name == "action"), "save") == "unsubscribe_all":
        return replace(before, is_unsubscribed=True), (
            {} if before.is_unsubscribed else {"unsubscribed": True}
        )
    shown = {value for name, value in form if name == "shown"}
    checked = {value for name, value in form if name == "checked"}
    topics = {
        t.id: t.identifier in checked for t in center.topics if center.is_active and t.identifier in shown
    }
    channels = {
        c.type: f"channel_{c.type.value}" in checked
        for c in center.channels
        if center.is_active and f"channel_{c.type.value}" in shown
    }
    is_unsubscribed = bool(topics) and not any(topics.values())
    traits: dict[str, Any] = messaging.preference_traits(topics=topics, channels=channels)
    if is_unsubscribed != before.is_unsubscribed:
        traits["unsubscribed"] = is_unsubscribed
    after = Preferences(
        topics={**before.topics, **topics},
        channels={**before.channels, **channels},
        is_unsubscribed=is_unsubscribed,
    )
    return after, traits


async def _attribute(
    services: Services, workspace: Workspace, *, delivery_id: str, before: Preferences, after: Preferences
) -> None:
    """Credit the message the page was reached from, as Customer.io's hosted pages do."""
    if after.is_unsubscribed and not before.is_unsubscribed:
        await report_metric(services, workspace, delivery_id=delivery_id, metric="unsubscribed")
        return
    for topic_id, was_subscribed in before.topics.items():
        if was_subscribed and not after.topics[topic_id]:
            await report_metric(
                services, workspace, delivery_id=delivery_id, metric="topic_unsubscribed", topic_id=topic_id
            )


def _unsubscribe_path(delivery_id: str) -> str:
    return f"/unsubscribe/{quote(delivery_id, safe='')}"


def _preferences_path(delivery_id: str) -> str:
    return f"/preferences/{quote(delivery_id, safe='')}"
