"""How errors become answers: every one is JSON, and no user input can make a 500.

==========================  ====  =====================================================
error                       code  body
==========================  ====  =====================================================
RequestValidationError      422   FastAPI's `{"detail": [{loc, msg, type, input}]}`
malformed body (not UTF-8)  400   `{"detail": "There was an error parsing the body"}`
unknown path / method       404   `{"detail": "Not Found"}`; 405 lists every method
PlannerUnavailableError     409   `{"detail": "planner 'llm' is not available ..."}`
IdempotencyKeyReusedError   409   `{"detail": "Idempotency-Key already used with ..."}`
ServiceUnavailableError     503   `{"detail": ...}` with `Retry-After: 1`
RunStoreError               503   `{"detail": "run store (SQLite): ..."}`, `Retry-After: 1`
UserError                   400   `{"detail": ...}`
anything else (a bug)       500   `{"detail": "internal error"}`, logged with traceback
==========================  ====  =====================================================
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from crane_bench.runtime.errors import (
    IdempotencyKeyReusedError,
    PlannerUnavailableError,
    RunStoreError,
    ServiceUnavailableError,
    UserError,
)

logger = logging.getLogger(__name__)

ECHO_LIMIT = 200  # characters of a rejected input that a 422 repeats back


def add_error_handlers(app: FastAPI) -> None:
    """Register the handlers of the table above on `app`."""

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registered for it
            raise exc
        if exc.status_code != status.HTTP_405_METHOD_NOT_ALLOWED:
            return await http_exception_handler(request, exc)
        return method_not_allowed(app, request, exc)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(PlannerUnavailableError, _detail(status.HTTP_409_CONFLICT))
    app.add_exception_handler(IdempotencyKeyReusedError, _detail(status.HTTP_409_CONFLICT))
    retry_soon = _detail(status.HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "1"})
    app.add_exception_handler(ServiceUnavailableError, retry_soon)
    app.add_exception_handler(RunStoreError, retry_soon)
    app.add_exception_handler(UserError, _detail(status.HTTP_400_BAD_REQUEST))
    app.add_exception_handler(Exception, internal_error)


async def invalid_request(request: Request, exc: Exception) -> Response:
    """FastAPI's 422, made safe to render whatever the input was.

    The errors echo the input: a 10 MB prompt would come back whole, `1e999` would be
    written as `Infinity` (not JSON), and a lone surrogate cannot be encoded as UTF-8
    (a 500). So each echoed input is shortened and the body is ASCII-escaped.
    """
    if not isinstance(exc, RequestValidationError):  # pragma: no cover - registered for it
        raise exc
    errors = jsonable_encoder(exc.errors())
    for error in errors:
        if "input" in error:
            error["input"] = _echo(error["input"])
    content = json.dumps({"detail": errors}, ensure_ascii=True, default=str)
    return Response(content, status.HTTP_422_UNPROCESSABLE_CONTENT, media_type="application/json")


def method_not_allowed(app: FastAPI, request: Request, exc: StarletteHTTPException) -> Response:
    """A 405 whose `Allow` lists every method of the path (Starlette names one route's)."""
    allowed = {
        method
        for route in app.router.routes
        if route.matches(request.scope)[0] is not Match.NONE
        for method in getattr(route, "methods", None) or ()
    }
    return JSONResponse(
        {"detail": exc.detail},
        status_code=exc.status_code,
        headers={"Allow": ", ".join(sorted(allowed))},
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug: logged with its traceback, answered without details."""
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse({"detail": "internal error"}, status_code=500)


def _detail(code: int, headers: dict[str, str] | None = None) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=code, headers=headers)

    return handler


def _echo(value: Any) -> Any:
    """`value` if it is short, finite JSON; else the start of its text."""
    try:
        text = json.dumps(value, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)[:ECHO_LIMIT]
    if len(text) <= ECHO_LIMIT:
        return value
    return (value if isinstance(value, str) else text)[:ECHO_LIMIT] + "..."
