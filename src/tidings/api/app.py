"""The ASGI application: every route, error handler and the lifespan, assembled explicitly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

import tidings
from tidings.api.app_api import app_api_router
from tidings.api.auth import Authenticator
from tidings.api.data_in import data_in_router
from tidings.api.errors import error_response, exception_handlers
from tidings.api.layouts import layouts_router
from tidings.api.messages import messages_router
from tidings.api.objects import objects_router
from tidings.api.paths import KeepEncodedSlashes
from tidings.api.pipelines import pipelines_router
from tidings.api.segments import segments_router
from tidings.api.snippets import snippets_router
from tidings.api.subscription_pages import subscription_pages_router
from tidings.api.subscriptions import subscriptions_router
from tidings.api.track import track_router
from tidings.api.track_direct import DirectTrackCalls
from tidings.api.tracking import tracking_router
from tidings.api.transactional import transactional_router
from tidings.api.workspace_settings import workspace_settings_router
from tidings.services import Role, Services

__all__ = ["create_app"]


def create_app(services: Services, *, roles: Iterable[Role] = tuple(Role)) -> FastAPI:
    """The HTTP face of `services`. The lifespan starts the given roles and stops everything."""
    roles = tuple(roles)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.start(roles)
        try:
            yield
        finally:
            await services.stop()

    app = _App(
        title="tidings",
        version=tidings.__version__,
        description="Customer.io-compatible Track API, Pipelines API and App API.",
        lifespan=lifespan,
        exception_handlers={**exception_handlers, RequestValidationError: _validation_error},
    )
    auth = Authenticator(services.db, clock=services.clock)
    app.include_router(track_router(services, auth))
    app.include_router(app_api_router(services, auth))
    app.include_router(objects_router(services, auth))
    app.include_router(data_in_router(services, auth))
    app.include_router(messages_router(services, auth))
    app.include_router(transactional_router(services, auth))
    app.include_router(tracking_router(services, auth))
    app.include_router(subscription_pages_router(services, auth))
    app.include_router(segments_router(services, auth))
    app.include_router(subscriptions_router(services, auth))
    app.include_router(pipelines_router(services, auth))
    app.include_router(workspace_settings_router(services, auth))
    app.include_router(snippets_router(services, auth))
    app.include_router(layouts_router(services, auth))
    app.add_middleware(KeepEncodedSlashes)
    app.direct_calls = DirectTrackCalls(partial(FastAPI.__call__, app), services=services, auth=auth)
    return app


class _App(FastAPI):
    """FastAPI, with the busiest Track API calls answered ahead of its middleware and routing.

    Those calls cost the framework more than their own work (see `track_direct.py`); every other
    request, and any that the direct routes do not match exactly, goes through FastAPI unchanged.
    """

    direct_calls: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.direct_calls is None:
            await super().__call__(scope, receive, send)
        else:
            await self.direct_calls(scope, receive, send)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
    return error_response(400, f"{field}: {first.get('msg', 'invalid')}")
