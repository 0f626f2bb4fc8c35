"""The subscription center through the App API (Bearer key).

Customer.io's endpoints keep its paths and shapes: `GET /v1/subscription_topics`,
`GET /v1/subscription_channels`, a person's preferences with the defaults filled in
(`GET /v1/customers/{id}/subscription_preferences`) and a 24-hour link to their preferences page
(`GET /v1/subscription_center/{id}/token`). Setting the center up is a screen at Customer.io;
tidings adds endpoints in the same style: topics are created, renamed and deleted under
`/v1/subscription_topics`, channels added and removed under `/v1/subscription_channels`, and the
center enabled with `PUT /v1/subscription_center`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings import messaging, people
from tidings.api.app_api import find_customer
from tidings.api.auth import Authenticator
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.errors import InvalidInput, NotFound
from tidings.ingest import decode_body
from tidings.messaging import Preferences, SubscriptionCenter, SubscriptionChannel, Topic
from tidings.people import Person
from tidings.services import Services, public_url
from tidings.workspaces import IdentifierMode

__all__ = ["PAGE_SUBTITLE", "PAGE_TITLE", "subscriptions_router"]

# The header of the preferences page, which the preferences endpoint also returns.
PAGE_TITLE = "Manage your subscription preferences"
PAGE_SUBTITLE = "Check the box next to each topic you'd like to subscribe to."
_BODY_BYTES = 64 * 1024


def subscriptions_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: subscription center"])
    base_url = public_url(services.settings)

    async def fields(request: Request, name: str) -> dict[str, Any]:
        body = decode_body(await request.body(), content_type="application/json", limit=_BODY_BYTES)
        value = body.get(name)
        if not isinstance(value, dict):
            raise InvalidInput(f"{name} is required and must be an object", field=name)
        return value

    async def list_topics(request: Request) -> Response:
        """The workspace's subscription topics (Customer.io's shape)."""
        workspace = await auth.app_workspace(request)
        center = await services.db.read(messaging.read_subscription_center, workspace_id=workspace.id)
        return FastJSONResponse({"topics": [_topic(t) for t in center.topics]})

    async def create_topic(request: Request) -> Response:
        """Add a topic: `{"topic": {"name", "description", "subscribed_by_default"}}`; it gets the next id."""
        workspace = await auth.app_workspace(request)
        given = await fields(request, "topic")
        topic = await services.db.write(
            messaging.create_topic,
            workspace_id=workspace.id,
            name=given.get("name"),
            description=given.get("description"),
            subscribed_by_default=given.get("subscribed_by_default"),
            now=services.clock.now(),
        )
        return FastJSONResponse({"topic": _topic(topic)}, status_code=201)

    async def get_topic(request: Request, topic_id: int) -> Response:
        """One topic."""
        workspace = await auth.app_workspace(request)
        topic = await services.db.read(messaging.find_topic, workspace_id=workspace.id, topic_id=topic_id)
        return FastJSONResponse({"topic": _topic(topic)})

    async def update_topic(request: Request, topic_id: int) -> Response:
        """Rename a topic or change its description; its default status is fixed."""
        workspace = await auth.app_workspace(request)
        changes = await fields(request, "topic")
        topic = await services.db.write(
            messaging.update_topic,
            workspace_id=workspace.id,
            topic_id=topic_id,
            changes=changes,
            now=services.clock.now(),
        )
        return FastJSONResponse({"topic": _topic(topic)})

    async def delete_topic(request: Request, topic_id: int) -> Response:
        """Delete a topic; refused (409) while a message uses it."""
        workspace = await auth.app_workspace(request)
        await services.db.write(messaging.delete_topic, workspace_id=workspace.id, topic_id=topic_id)
        return FastJSONResponse({})

    async def list_channels(request: Request) -> Response:
        """The channels people can opt in or out of (Customer.io's shape); empty until added."""
        workspace = await auth.app_workspace(request)
        center = await services.db.read(messaging.read_subscription_center, workspace_id=workspace.id)
        return FastJSONResponse({"channels": [_channel(c) for c in center.channels]})

    async def add_channel(request: Request) -> Response:
        """Add a channel: `{"channel": {"type", "subscribed_by_default", "description"}}`; needs a topic."""
        workspace = await auth.app_workspace(request)
        given = await fields(request, "channel")
        channel = await services.db.write(
            messaging.add_channel,
            workspace_id=workspace.id,
            type=given.get("type"),
            description=given.get("description"),
            subscribed_by_default=given.get("subscribed_by_default"),
            now=services.clock.now(),
        )
        return FastJSONResponse({"channel": _channel(channel)}, status_code=201)

    async def remove_channel(request: Request, channel: str) -> Response:
        """Stop offering a channel."""
        workspace = await auth.app_workspace(request)
        await services.db.write(messaging.remove_channel, workspace_id=workspace.id, type=channel)
        return FastJSONResponse({})

    async def get_center(request: Request) -> Response:
        """Whether the center is enabled, with its topics and channels."""
        workspace = await auth.app_workspace(request)
        center = await services.db.read(messaging.read_subscription_center, workspace_id=workspace.id)
        return FastJSONResponse({"subscription_center": _center(center)})

    async def set_center(request: Request) -> Response:
        """`{"subscription_center": {"enabled": true}}`: topics and channels gate sending from now on."""
        workspace = await auth.app_workspace(request)
        given = await fields(request, "subscription_center")
        center = await services.db.write(
            messaging.set_subscription_center_enabled,
            workspace_id=workspace.id,
            is_enabled=given.get("enabled"),
            now=services.clock.now(),
        )
        return FastJSONResponse({"subscription_center": _center(center)})

    async def customer_preferences(request: Request, identifier: str, id_type: str = "id") -> Response:
        """A person's preferences for every topic and channel, defaults filled in, and `unsubscribed`."""
        workspace = await auth.app_workspace(request)

        def read(conn: Connection) -> tuple[Person, SubscriptionCenter]:
            person = find_customer(conn, workspace.id, identifier=identifier, id_type=id_type)
            return person, messaging.read_subscription_center(conn, workspace_id=workspace.id)

        person, center = await services.db.read(read)
        preferences = messaging.compute_preferences(center, person.attributes)
        return FastJSONResponse({"customer": _preferences(person, center, preferences)})

    async def center_token(request: Request, identifier: str, id_type: str | None = None) -> Response:
        """A link to the person's preferences page, valid for 24 hours: `{"token", "url"}`."""
        workspace = await auth.app_workspace(request)

        def read(conn: Connection) -> Person:
            if id_type is not None:
                return find_customer(conn, workspace.id, identifier=identifier, id_type=id_type)
            ref = people.resolve_user_id(
                identifier, email_is_identifier=workspace.identifier_mode is IdentifierMode.EMAIL_OR_ID
            )
            return find_customer(conn, workspace.id, identifier=ref.value, id_type=ref.kind.value)

        try:
            person = await services.db.read(read)
        except NotFound:
            # Customer.io answers an unknown person here with 400, not 404.
            raise InvalidInput(
                "customer_id does not match a person in this workspace", field="customer_id"
            ) from None
        token, url = messaging.preferences_link(
            workspace, cio_id=person.cio_id, base_url=base_url, now=services.clock.now()
        )
        return FastJSONResponse({"token": token, "url": url})

    router.add_api_route("/subscription_topics", list_topics, methods=["GET"])
    router.add_api_route("/subscription_topics", create_topic, methods=["POST"])
    router.add_api_route("/subscription_topics/{topic_id}", get_topic, methods=["GET"])
    router.add_api_route("/subscription_topics/{topic_id}", update_topic, methods=["PUT"])
    router.add_api_route("/subscription_topics/{topic_id}", delete_topic, methods=["DELETE"])
    router.add_api_route("/subscription_channels", list_channels, methods=["GET"])
    router.add_api_route("/subscription_channels", add_channel, methods=["POST"])
    router.add_api_route("/subscription_channels/{channel}", remove_channel, methods=["DELETE"])
    router.add_api_route("/subscription_center", get_center, methods=["GET"])
    router.add_api_route("/subscription_center", set_center, methods=["PUT"])
    router.add_api_route("/subscription_center/{identifier:segment}/token", center_token, methods=["GET"])
    router.add_api_route(
        "/customers/{identifier:segment}/subscription_preferences", customer_preferences, methods=["GET"]
    )
    return router


def _topic(topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.id,
        "identifier": topic.identifier,
        "name": topic.name,
        "description": topic.description,
        "subscribed_by_default": topic.subscribed_by_default,
        "created_at": to_unix(topic.created_at),
        "updated_at": to_unix(topic.updated_at),
    }


def _channel(channel: SubscriptionChannel) -> dict[str, Any]:
    return {
        "id": channel.id,
        "type": channel.type.value,
        "name": channel.type.label,
        "description": channel.description,
        "subscribed_by_default": channel.subscribed_by_default,
    }


def _center(center: SubscriptionCenter) -> dict[str, Any]:
    return {
        "enabled": center.is_enabled,
        "topics": [_topic(t) for t in center.topics],
        "channels": [_channel(c) for c in center.channels],
    }


def _preferences(person: Person, center: SubscriptionCenter, preferences: Preferences) -> dict[str, Any]:
    """Customer.io's shape, plus `channels` (tidings'), which its response leaves out."""
    return {
        "id": person.id,
        "identifiers": {"id": person.id, "email": person.email, "cio_id": person.cio_id},
        "topics": [
            {"id": t.id, "name": t.name, "description": t.description, "subscribed": preferences.topics[t.id]}
            for t in center.topics
        ],
        "channels": [
            {
                "type": c.type.value,
                "name": c.type.label,
                "description": c.description,
                "subscribed": preferences.channels[c.type],
            }
            for c in center.channels
        ],
        "unsubscribed": preferences.is_unsubscribed,
        "header": {"title": PAGE_TITLE, "subtitle": PAGE_SUBTITLE},
    }
