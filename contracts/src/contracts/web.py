"""FastAPI glue shared by the services: one error shape, no stack traces, answers sent as JSON,
and the app of an internal service."""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.types import Lifespan

from contracts.docs import install_docs
from contracts.errors import ErrorBody, ServiceError, echo, error_json
from contracts.guard import GuardSettings, install_guard
from contracts.observability import NO_NATIVE_TELEMETRY, DataVersion, install_observability

logger = logging.getLogger("contracts.web")
# The code of a 404 for a path no route serves, unlike `not_found` (the route found nothing):
# a caller (the gateway) tells an older or wrong service from a miss by it.
UNKNOWN_ROUTE = "unknown_route"

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Nothing matches the parameters."},
    422: {"model": ErrorBody, "description": "A parameter is missing or not accepted."},
    503: {"model": ErrorBody, "description": "A dependency is down or too slow."},
}


class JsonAnswer(Response):
    """An answer already in JSON: orjson-encoded, sent as is (no response-model validation).

    The route still declares its contracts.api model (`response_model=`), which documents it.
    """

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else orjson.dumps(content)


def validation_sentence(error: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (parameter, a sentence naming it and what is accepted)."""
    where = tuple(error.get("loc", ()))
    kind = error.get("type")
    if where[:1] == ("body",) and (kind == "json_invalid" or len(where) == 1):
        # The body as a whole: not JSON, not an object, or absent.
        return "body", "The body should be a JSON object (sent as application/json)."
    loc = [str(part) for part in where if part not in ("query", "path", "body")]
    name = loc[0] if loc else "request"
    if kind == "missing":
        return name, f"Parameter '{name}' is required."
    given = error.get("input")
    if kind in ("too_long", "too_short") and isinstance(given, list):
        bound = error.get("ctx", {})
        accepted = (
            f"at most {bound['max_length']}"
            if "max_length" in bound
            else f"at least {bound.get('min_length')}"
        )
        return name, f"Parameter '{name}' has {len(given)} items, but it accepts {accepted}."
    message = str(error.get("msg", "is not valid")).replace("Input should", "it should")
    return name, f"Parameter '{name}' got {echo(error.get('input'))}, but {message}."


def _validation_body(exc: RequestValidationError) -> ErrorBody:
    errors = list(exc.errors())
    parameter, detail = validation_sentence(errors[0]) if errors else ("request", "Invalid.")
    if len(errors) > 1:
        detail += " " + " ".join(validation_sentence(e)[1] for e in errors[1:])
    return ErrorBody(code="invalid_parameter", detail=detail, parameter=parameter)


def _http_body(request: Request, exc: HTTPException) -> ErrorBody:
    """Starlette's own errors (no such route, method not allowed) in the one shape."""
    if exc.status_code == 404:
        return ErrorBody(
            code=UNKNOWN_ROUTE,
            detail=f"No route {request.method} {request.url.path}; the routes are listed at /docs.",
        )
    if exc.status_code == 405:
        allowed = next(
            (value for name, value in (exc.headers or {}).items() if name.lower() == "allow"), ""
        )
        return ErrorBody(
            code="method_not_allowed",
            detail=f"{request.url.path} does not take {request.method}; it takes "
            f"{allowed or 'other methods'}.",
            accepted=[m.strip() for m in allowed.split(",") if m.strip()] or None,
        )
    return ErrorBody(code="http_error", detail=str(exc.detail))


async def on_error(request: Request, exc: Exception) -> Response:
    """The one handler: every exception becomes an ErrorBody; only the unexpected are logged."""
    if not isinstance(exc, ServiceError | RequestValidationError | HTTPException):
        logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
        exc = ServiceError("Internal error; it was logged.")
    headers: Mapping[str, str] = {}
    if isinstance(exc, ServiceError):
        status, body, headers = exc.status_code, exc.body, exc.headers
    elif isinstance(exc, RequestValidationError):
        status, body = 422, _validation_body(exc)
    else:
        status, body, headers = exc.status_code, _http_body(request, exc), exc.headers or {}
    response = Response(error_json(body), status_code=status, media_type="application/json")
    response.headers.update(headers)
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the service as an ErrorBody; stack traces stay in the log."""
    for kind in (RequestValidationError, ServiceError, HTTPException, Exception):
        app.add_exception_handler(kind, on_error)


def internal_app(
    *,
    title: str,
    summary: str,
    lifespan: Lifespan[FastAPI],
    settings: GuardSettings,
    routers: Iterable[APIRouter],
    data_version: DataVersion | None = None,
) -> FastAPI:
    """An internal service named `title`: its routes, the docs, quiet logs and metrics, the one
    error shape and the guard, which requires the internal token (when set)."""
    app = FastAPI(
        title=title,
        version="1",
        summary=summary,
        lifespan=lifespan,
        telemetry=NO_NATIVE_TELEMETRY,
        docs_url=None,
        redoc_url=None,  # contracts.docs serves them without a CDN
    )
    # First: a request is matched against the routes in order, so the docs and /metrics,
    # rarely asked, come after the service's own.
    for router in routers:
        app.include_router(router)
    install_docs(app)
    app.state.settings = settings
    install_observability(
        app,
        service=title,
        log_level=settings.log_level,
        access_log=False,
        slow_seconds=settings.slow_request_seconds,
        data_version=data_version,
    )
    install_error_handlers(app)
    install_guard(app, settings, require_token=True)
    return app
