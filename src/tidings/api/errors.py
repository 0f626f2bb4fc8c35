"""The one table from error category to HTTP status, and Customer.io's error body.

Track and App API errors answer `{"meta": {"error": "…"}}`, as Customer.io does.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from tidings.api.responses import FastJSONResponse
from tidings.errors import Conflict, InvalidInput, LimitExceeded, NotFound, TidingsError, Unauthenticated

__all__ = ["error_response", "exception_handlers", "status_for", "tidings_error_response"]

STATUS: dict[type[TidingsError], int] = {
    LimitExceeded: 400,
    InvalidInput: 400,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
}


def status_for(exc: TidingsError) -> int:
    return next((STATUS[c] for c in type(exc).__mro__ if c in STATUS), 500)


def error_response(status: int, message: str, *, headers: dict[str, str] | None = None) -> Response:
    return FastJSONResponse({"meta": {"error": message}}, status_code=status, headers=headers)


def tidings_error_response(exc: TidingsError, *, path: str) -> Response:
    """The answer to `exc` raised while serving `path`; a 401 of the Track API asks for Basic credentials."""
    status = status_for(exc)
    headers = {"WWW-Authenticate": 'Basic realm="tidings"'} if status == 401 and path.startswith(("/api/", "/auth")) else None
    return error_response(status, str(exc), headers=headers)


async def _tidings_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, TidingsError)
    return tidings_error_response(exc, path=request.url.path)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


exception_handlers = {TidingsError: _tidings_error, HTTPException: _http_error}
