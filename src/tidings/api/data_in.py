"""The data-in log through the App API (`GET /v1/data_in`): what each source sent recently.

tidings' own endpoint, in the App API's style (Customer.io shows this only in its dashboard):
accepted calls as the canonical messages they became, refused calls as sent, with the reason.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy.engine import Connection
from starlette.requests import Request
from starlette.responses import Response

from tidings.api.auth import Authenticator
from tidings.api.responses import FastJSONResponse
from tidings.clock import to_unix
from tidings.errors import InvalidInput
from tidings.log import DataInEntry, Origin, list_accepted_calls, list_rejected_calls, partition_for
from tidings.services import Services

__all__ = ["data_in_router"]

_PAGE_DEFAULT = 50
_PAGE_MAX = 500
_STATUSES = ("all", "accepted", "rejected")


def data_in_router(services: Services, auth: Authenticator) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["App API: data in"])

    async def data_in(
        request: Request, source: str | None = None, status: str = "all", limit: int = _PAGE_DEFAULT
    ) -> Response:
        """The most recent calls, newest first; `source` is `pipelines`, `track` or `app`, `status` accepted or rejected."""
        workspace = await auth.app_workspace(request)
        origin = _origin(source)
        if status not in _STATUSES:
            raise InvalidInput("status must be one of: all, accepted, rejected", field="status")
        if not 1 <= limit <= _PAGE_MAX:
            raise InvalidInput(f"limit must be between 1 and {_PAGE_MAX}", field="limit")
        partition = partition_for(workspace.id, partitions=services.settings.database.log_partitions)

        def read(conn: Connection) -> list[DataInEntry]:
            entries: list[DataInEntry] = []
            if status != "rejected":
                entries += list_accepted_calls(
                    conn, workspace_id=workspace.id, partition=partition, origin=origin, limit=limit
                )
            if status != "accepted":
                entries += list_rejected_calls(conn, workspace_id=workspace.id, origin=origin, limit=limit)
            return sorted(entries, key=lambda entry: entry.received_at, reverse=True)[:limit]

        entries = await services.db.read(read)
        return FastJSONResponse({"calls": [_entry(entry) for entry in entries]})

    router.add_api_route("/data_in", data_in, methods=["GET"])
    return router


def _origin(source: str | None) -> Origin | None:
    if source is None:
        return None
    try:
        return Origin(source)
    except ValueError:
        raise InvalidInput("source must be one of: app, pipelines, track", field="source") from None


def _entry(entry: DataInEntry) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "accepted" if entry.is_accepted else "rejected",
        "source": entry.origin,
        "type": entry.call_type,
        "received_at": to_unix(entry.received_at),
    }
    if entry.is_accepted:
        body["message"] = entry.payload
    else:
        body.update({"reason": entry.reason, "field": entry.field, "body": entry.payload})
    return body
