"""FastAPI glue shared by the services: one error shape, no stack traces, lean routes."""

import enum
import inspect
import logging
import types
import typing
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from contracts.errors import ErrorBody, ServiceError, echo

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


def _error(status: int, body: ErrorBody) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(exclude_none=True))


def validation_sentence(error: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (parameter, a sentence naming it and what is accepted)."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
    name = loc[0] if loc else "request"
    if error.get("type") == "missing":
        return name, f"Parameter '{name}' is required."
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
        return ErrorBody(code=UNKNOWN_ROUTE,
                         detail=f"No route {request.method} {request.url.path}; the routes "
                                "are listed at /docs.")
    if exc.status_code == 405:
        allowed = next((value for name, value in (exc.headers or {}).items()
                        if name.lower() == "allow"), "")
        return ErrorBody(code="method_not_allowed",
                         detail=f"{request.url.path} does not take {request.method}; it takes "
                                f"{allowed or 'other methods'}.",
                         accepted=[m.strip() for m in allowed.split(",") if m.strip()] or None)
    return ErrorBody(code="http_error", detail=str(exc.detail))


async def on_error(request: Request, exc: Exception) -> JSONResponse:
    """The one handler: every exception becomes an ErrorBody; only the unexpected are logged."""
    if isinstance(exc, ServiceError):
        return _error(exc.status_code, exc.body)
    if isinstance(exc, RequestValidationError):
        return _error(422, _validation_body(exc))
    if isinstance(exc, HTTPException):
        response = _error(exc.status_code, _http_body(request, exc))
        response.headers.update(exc.headers or {})
        return response
    logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return _error(500, ErrorBody(code="internal_error", detail="Internal error; it was logged."))


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the service as an ErrorBody; stack traces stay in the log."""
    for kind in (RequestValidationError, ServiceError, HTTPException, Exception):
        app.add_exception_handler(kind, on_error)


# The parameter types a plain parse handles: one value each, validated by the parameter's own
# pydantic field (so the constraints and BeforeValidators stay the ones the docs show).
_SCALARS = (int, float, str, bool)
_IMMUTABLE_DEFAULTS = (type(None), int, float, str, bool, enum.Enum)


class _Param:
    """One query or path parameter as the plain parse reads it."""

    __slots__ = ("default", "field", "in_path", "loc", "many", "name", "required")

    def __init__(self, field: Any, *, in_path: bool) -> None:
        self.field = field
        self.name: str = field.name
        self.in_path = in_path
        # A list of values: every occurrence of the key, as FastAPI's getlist reads it.
        self.many = not in_path and _scalars(field.field_info.annotation)
        self.loc = ("path" if in_path else "query", field.alias)
        self.required: bool = field.field_info.is_required()
        self.default = field.default


def _scalar(annotation: Any) -> bool:
    """A single value (an optional one too): int, float, str, bool, an Enum or a Literal."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _scalar(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) is typing.Literal:
        return all(isinstance(arg, _SCALARS) for arg in typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return all(arg is type(None) or _scalar(arg) for arg in typing.get_args(annotation))
    return isinstance(annotation, type) and (issubclass(annotation, _SCALARS)
                                              or issubclass(annotation, enum.Enum))


def _scalars(annotation: Any) -> bool:
    """A list of single values (`platform=a&platform=b`), an optional one too."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _scalars(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return len(args) == 1 and _scalars(args[0])
    return origin is list and _scalar(typing.get_args(annotation)[0])


def _plain_param(field: Any) -> bool:
    info = field.field_info
    # An alias is read as FastAPI reads it (the key named `field.alias`); alias choices or
    # paths are left to FastAPI.
    return ((_scalar(info.annotation) or _scalars(info.annotation))
            and info.validation_alias in (None, field.alias)
            and not info.validate_default
            and (info.is_required() or isinstance(field.default, _IMMUTABLE_DEFAULTS)))


def _plain_dependency(dependant: Dependant) -> bool:
    """A dependency that takes only the request, is async and yields nothing."""
    return (dependant.name is not None and dependant.call is not None
            and inspect.iscoroutinefunction(dependant.call)
            and not any((dependant.path_params, dependant.query_params,
                         dependant.header_params, dependant.cookie_params,
                         dependant.body_params, dependant.dependencies,
                         dependant.websocket_param_name, dependant.http_connection_param_name,
                         dependant.response_param_name, dependant.background_tasks_param_name,
                         dependant.security_scopes_param_name, dependant.own_oauth_scopes)))


def _answers_a_response(endpoint: Callable[..., Any]) -> bool:
    answer = typing.get_type_hints(endpoint).get("return")
    return isinstance(answer, type) and issubclass(answer, Response)


def _parses_plainly(route: APIRoute) -> bool:
    """Whether every input of the route is a single query or path value, a list of query
    values, or the request."""
    dependant = route.dependant
    return (route.body_field is None and inspect.iscoroutinefunction(route.endpoint)
            and _answers_a_response(route.endpoint)
            and not any((dependant.header_params, dependant.cookie_params,
                         dependant.body_params, dependant.websocket_param_name,
                         dependant.http_connection_param_name, dependant.response_param_name,
                         dependant.background_tasks_param_name,
                         dependant.security_scopes_param_name))
            and all(_plain_param(field)
                    for field in (*dependant.path_params, *dependant.query_params))
            and all(_plain_dependency(sub) for sub in dependant.dependencies))


def _query_values(query_string: bytes) -> dict[str, str]:
    """Name -> value (the last of a repeated name), as Starlette's QueryParams reads them."""
    text = query_string.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    # Nothing to unquote: parse_qsl's split without its unquoting (a third of its cost).
    return {name: value for name, _, value in (piece.partition("=")
                                                for piece in text.split("&") if piece)}


class PlainRoute(APIRoute):
    """An APIRoute that parses its parameters itself, without FastAPI's dependency solving.

    For a route whose parameters are single query or path values (or lists of single query
    values, every occurrence of the key as FastAPI reads them) and whose dependencies take
    only the request (`async`), the route's ASGI app reads the values from the scope, validates
    each with the parameter's own pydantic field, awaits the dependencies and the endpoint,
    and sends the Response the endpoint returns. Anything it does not accept (a missing or
    invalid value) goes to FastAPI's own handler, which answers exactly as before: the 422
    naming the parameter. The route is declared, documented and matched as any APIRoute (the
    OpenAPI document does not change); any other route falls back to FastAPI entirely.
    Why: FastAPI's `solve_dependencies` and its per-request setup were about half of an
    internal service's CPU for what is one dict lookup (bench/changes.md).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # FastAPI's own handling of this route: what the plain parse hands a request it
        # does not accept (and the reference the tests compare the plain parse with).
        self.framework_app: ASGIApp = self.app
        self.plain = _parses_plainly(self)
        if self.plain:
            self.app = self._plain_app(self.dependant, fastapi_app=self.framework_app)

    @staticmethod
    def _plain_app(dependant: Dependant, *, fastapi_app: ASGIApp) -> ASGIApp:
        params = [*(_Param(field, in_path=True) for field in dependant.path_params),
                  *(_Param(field, in_path=False) for field in dependant.query_params)]
        dependencies: list[tuple[str, Callable[[Request], Awaitable[Any]]]] = [
            (sub.name, sub.call) for sub in dependant.dependencies  # type: ignore[misc]
        ]
        endpoint: Callable[..., Awaitable[Response]] = dependant.call  # type: ignore[assignment]
        request_name = dependant.request_param_name
        needs_request = bool(dependencies) or request_name is not None
        takes_lists = any(param.many for param in params)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if takes_lists:
                # Every (name, value) in order, for the parameters that take a list; the
                # single values from the same parse (the last of a repeated name wins).
                pairs = parse_qsl(scope["query_string"].decode("latin-1"),
                                  keep_blank_values=True)
                query = dict(pairs)
            else:
                pairs = []
                query = _query_values(scope["query_string"])
            path_params = scope.get("path_params", {})
            values: dict[str, Any] = {}
            for param in params:
                raw = ([value for key, value in pairs if key == param.loc[1]] or None
                       if param.many else
                       (path_params if param.in_path else query).get(param.loc[1]))
                if raw is None:
                    if param.required:
                        return await fastapi_app(scope, receive, send)
                    values[param.name] = param.default
                    continue
                value, errors = param.field.validate(raw, values, loc=param.loc)
                if errors:
                    return await fastapi_app(scope, receive, send)
                values[param.name] = value
            if needs_request:
                request = Request(scope, receive, send)
                if request_name is not None:
                    values[request_name] = request
                for name, call in dependencies:
                    values[name] = await call(request)
            response = await endpoint(**values)
            await response(scope, receive, send)

        return app


def plain_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes are PlainRoutes; add it with install_routes (an included
    router is served through FastAPI's own handler)."""
    return APIRouter(route_class=PlainRoute, **kwargs)


def install_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Add the routers' routes to the app itself instead of `include_router`.

    FastAPI 0.165 serves an included router through an `_IncludedRouter` that walks (and
    re-versions) its candidates up to three times per request, ~15% of an internal request;
    the routes already carry their router's prefix, tags and responses, so the app serves and
    documents the same operations.
    """
    for router in routers:
        app.router.routes.extend(router.routes)
