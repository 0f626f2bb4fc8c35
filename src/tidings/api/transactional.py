"""The Transactional API (`POST /v1/send/email|push|sms`) and its templates, with a Bearer App API key.

A send is validated, logged and answered `{"delivery_id", "queued_at"}`; the processor creates the
person if missing and queues the delivery in the same step, and the sender delivers it. Templates
("transactional messages") are managed under `/v1/transactional`, tidings' own endpoints in the
App API's style, since Customer.io offers only a screen for them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings import messaging, people
from tidings.api.auth import Authenticator
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.errors import Conflict, InvalidInput, NotFound
from tidings.ingest import decode_body, transactional
from tidings.log import Origin, SendMessage
from tidings.messaging import Layout, TransactionalMessage
from tidings.people import IdentifierKind, Person, ResolvedRef
from tidings.services import Services, public_url

__all__ = ["transactional_router"]

_DEFAULT_STEPS = {
    messaging.MetricPeriod.HOURS: 24,
    messaging.MetricPeriod.DAYS: 30,
    messaging.MetricPeriod.WEEKS: 12,
    messaging.MetricPeriod.MONTHS: 12,
}

_SENDERS: dict[str, Callable[..., SendMessage]] = {
    "email": transactional.email,
    "push": transactional.push,
    "sms": transactional.sms,
}


def transactional_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: transactional"])

    async def json_body(request: Request) -> dict[str, Any]:
        return decode_body(await request.body(), content_type="application/json", limit=transactional.REQUEST_BYTES)

    def send(channel: str) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            workspace = await auth.app_workspace(request)
            body = await json_body(request)
            reference = transactional.template_reference(body)
            template_id = None
            if reference is not None:
                template = await services.db.read(
                    messaging.find_template, workspace_id=workspace.id, reference=reference
                )
                if template is None:
                    raise InvalidInput(
                        f"transactional_message_id {reference!r} not found", field="transactional_message_id"
                    )
                if channel not in template.content:
                    raise InvalidInput(
                        f"transactional message {template.id} has no {channel} content", field="transactional_message_id"
                    )
                template_id = template.id
            message = _SENDERS[channel](body, template_id=template_id, now=services.clock.now())
            await services.log.append(workspace.id, [message], origin=Origin.APP)
            answer: dict[str, Any] = {"delivery_id": message.delivery_id, "queued_at": to_unix(message.received_at)}
            if message.send_at is not None:
                answer["send_at"] = to_unix(message.send_at)
            return FastJSONResponse(answer)

        handle.__name__ = f"send_{channel}"
        handle.__doc__ = f"Send a transactional {channel} message to one person."
        return handle

    async def create(request: Request) -> Response:
        """Create a transactional message template (tidings' own endpoint)."""
        workspace = await auth.app_workspace(request)
        body = await json_body(request)
        template = await services.db.write(
            messaging.create_transactional_message,
            workspace_id=workspace.id,
            name=body.get("name"),
            trigger_name=body.get("trigger_name"),
            description=str(body.get("description") or ""),
            settings=body.get("settings") or {},
            content=body.get("content") or {},
            translations=body.get("translations") or {},
            now=services.clock.now(),
        )
        return FastJSONResponse({"message": _template(template)}, status_code=201)

    async def list_all(request: Request) -> Response:
        """The workspace's transactional message templates."""
        workspace = await auth.app_workspace(request)
        found = await services.db.read(messaging.list_transactional_messages, workspace_id=workspace.id)
        return FastJSONResponse({"messages": [_template(t) for t in found]})

    async def get_one(request: Request, message_id: str) -> Response:
        """One template, by number or trigger name."""
        workspace = await auth.app_workspace(request)
        found = await services.db.read(messaging.find_template, workspace_id=workspace.id, reference=message_id)
        if found is None:
            raise NotFound("transactional message not found")
        return FastJSONResponse({"message": _template(found)})

    async def update(request: Request, message_id: int) -> Response:
        """Change a template's name, trigger name, settings or content (per channel)."""
        workspace = await auth.app_workspace(request)
        body = await json_body(request)
        template = await services.db.write(
            messaging.update_transactional_message,
            workspace_id=workspace.id,
            message_id=message_id,
            changes=body,
            now=services.clock.now(),
        )
        return FastJSONResponse({"message": _template(template)})

    async def metrics(request: Request, message_id: str, period: str = "days", steps: int | None = None) -> Response:
        """Counts per milestone of a template's deliveries over the last `steps` periods, as
        Customer.io's `GET /v1/transactional/{id}/metrics` returns them."""
        workspace = await auth.app_workspace(request)
        try:
            metric_period = messaging.MetricPeriod(period)
        except ValueError:
            raise InvalidInput("period must be one of: hours, days, weeks, months", field="period") from None

        def read(conn: Connection) -> dict[str, list[int]]:
            template = messaging.find_template(conn, workspace_id=workspace.id, reference=message_id)
            if template is None:
                raise NotFound("transactional message not found")
            return messaging.template_metrics(
                conn,
                workspace_id=workspace.id,
                transactional_message_id=template.id,
                period=metric_period,
                steps=steps or _DEFAULT_STEPS[metric_period],
                now=services.clock.now(),
            )

        return FastJSONResponse({"metric": {"series": await services.db.read(read)}})

    async def test_send(request: Request, message_id: str) -> Response:
        """Mail a template's email, rendered for a sample person (`customer_id`, `id_type`) and in a
        `language` variant if named, to up to 25 `emails` now, with `[TEST]` before the subject
        unless `subject_prefix` is false."""
        workspace = await auth.app_workspace(request)
        body = await json_body(request)
        if services.email_channel is None:
            raise Conflict("no SMTP server is configured: set TIDINGS_SMTP_HOST")
        emails = body.get("emails")
        recipients = [e.strip() for e in emails.split(",")] if isinstance(emails, str) else emails
        if not isinstance(recipients, list) or not all(isinstance(e, str) for e in recipients):
            raise InvalidInput("emails must be a list of addresses", field="emails")
        message_data = body.get("message_data") or {}
        if not isinstance(message_data, dict):
            raise InvalidInput("message_data must be an object", field="message_data")

        def read(conn: Connection) -> tuple[TransactionalMessage, Person | None, dict[str, str], Layout | None]:
            template = messaging.find_template(conn, workspace_id=workspace.id, reference=message_id)
            if template is None:
                raise NotFound("transactional message not found")
            layout_id = template.settings.layout_id
            layout = messaging.find_layout(conn, workspace_id=workspace.id, layout_id=layout_id) if layout_id else None
            snippets = messaging.read_snippets(conn, workspace_id=workspace.id)
            return template, _sample_person(conn, workspace.id, body), snippets, layout

        template, person, snippets, layout = await services.db.read(read)
        outgoing = messaging.compose_test_emails(
            template,
            workspace=workspace,
            person=person,
            recipients=[e for e in recipients if e],
            message_data=message_data,
            is_subject_prefixed=body.get("subject_prefix", True) is not False,
            language=body.get("language"),
            snippets=snippets,
            layout=layout,
            base_url=public_url(services.settings),
            now=services.clock.now(),
        )
        sent, failed = [], []
        for email in outgoing:
            try:
                await services.email_channel.send(email)
                sent.append(email.to)
            except messaging.SmtpFailed as exc:
                failed.append({"email": email.to, "reason": str(exc)})
        return FastJSONResponse({"sent": sent, "failed": failed})

    for channel in _SENDERS:
        router.add_api_route(f"/send/{channel}", send(channel), methods=["POST"], response_class=FastJSONResponse)
    router.add_api_route("/transactional", create, methods=["POST"])
    router.add_api_route("/transactional", list_all, methods=["GET"])
    router.add_api_route("/transactional/{message_id:segment}", get_one, methods=["GET"])
    router.add_api_route("/transactional/{message_id:segment}/metrics", metrics, methods=["GET"])
    router.add_api_route("/transactional/{message_id:segment}/test", test_send, methods=["POST"])
    router.add_api_route("/transactional/{message_id}", update, methods=["PUT"])
    return router


def _template(template: TransactionalMessage) -> dict[str, Any]:
    settings = template.settings
    return {
        "id": template.id,
        "name": template.name,
        "trigger_name": template.trigger_name,
        "description": template.description,
        "send_to_unsubscribed": settings.send_to_unsubscribed,
        "link_tracking": settings.tracked,
        "open_tracking": settings.tracked,
        "queue_drafts": settings.queue_draft,
        "hide_message_body": settings.disable_message_retention,
        "disable_css_preprocessing": settings.disable_css_preprocessing,
        "topic_id": settings.topic_id,
        "layout_id": settings.layout_id,
        "content": template.content,
        "translations": template.translations,
        "created_at": to_unix(template.created_at),
        "updated_at": to_unix(template.updated_at),
    }


def _sample_person(conn: Connection, workspace_id: int, body: dict[str, Any]) -> Person | None:
    """The person a test send renders `customer.*` for, when the request names one."""
    customer_id = body.get("customer_id")
    if customer_id in (None, ""):
        return None
    try:
        kind = IdentifierKind(body.get("id_type", "id"))
    except ValueError:
        raise InvalidInput("id_type must be one of: id, email, cio_id", field="id_type") from None
    person = people.find_person(conn, workspace_id=workspace_id, ref=ResolvedRef(kind, str(customer_id)))
    if person is None:
        raise NotFound("customer not found")
    return person
