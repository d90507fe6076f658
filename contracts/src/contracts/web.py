"""FastAPI glue shared by the services: one error shape, no stack traces, health routes."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from contracts.errors import ErrorBody, ServiceError

logger = logging.getLogger("contracts.web")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Nothing matches the parameters."},
    422: {"model": ErrorBody, "description": "A parameter is missing or not accepted."},
    503: {"model": ErrorBody, "description": "A dependency is down or too slow."},
}


def _error(status: int, body: ErrorBody) -> JSONResponse:
    return JSONResponse(status_code=status, content=body.model_dump(exclude_none=True))


def validation_sentence(error: dict[str, Any]) -> tuple[str, str]:
    """Turn one pydantic error into (parameter, a sentence naming it and what is accepted)."""
    loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
    name = loc[0] if loc else "request"
    if error.get("type") == "missing":
        return name, f"Parameter '{name}' is required."
    message = str(error.get("msg", "is not valid")).replace("Input should", "it should")
    return name, f"Parameter '{name}' got {error.get('input')!r}, but {message}."


async def _on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    parameter, detail = validation_sentence(errors[0]) if errors else ("request", "Invalid.")
    if len(errors) > 1:
        detail += " " + " ".join(validation_sentence(e)[1] for e in errors[1:])
    body = ErrorBody(code="invalid_parameter", detail=detail, parameter=parameter)
    return _error(422, body)


async def _on_service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return _error(exc.status_code, exc.body)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return _error(500, ErrorBody(code="internal_error", detail="Internal error; it was logged."))


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves the service as an ErrorBody; stack traces stay in the log."""
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ServiceError, _on_service_error)
    app.add_exception_handler(Exception, _on_unexpected)
