"""The error model: domain exceptions every service raises and the one body they become."""

from typing import Any, Self

from pydantic import BaseModel

# An error sentence quotes at most this much of a bad value: a 60 KB input must not come back
# as a 60 KB answer (nor fill the logs).
ECHO_CHARS = 60


def echo(value: object) -> str:
    """A value as an error sentence quotes it: its repr, cut to ECHO_CHARS characters."""
    if isinstance(value, str) and len(value) > ECHO_CHARS:
        return f"{value[:ECHO_CHARS]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= ECHO_CHARS + 2 else f"{text[:ECHO_CHARS]}..."


class ErrorBody(BaseModel):
    """What every error response carries, whichever service produced it."""

    code: str
    detail: str
    parameter: str | None = None
    accepted: list[str] | None = None
    suggestions: list[str] | None = None


def error_json(body: ErrorBody) -> bytes:
    """The one way an error body becomes JSON, for a FastAPI handler and a raw ASGI layer alike."""
    return body.model_dump_json(exclude_none=True).encode()


class ServiceError(Exception):
    status_code = 500
    code = "internal_error"

    def __init_subclass__(cls, *, status_code: int | None = None, code: str | None = None) -> None:
        # Given in the class line; a subclass naming neither keeps its parent's.
        cls.status_code, cls.code = status_code or cls.status_code, code or cls.code

    def __init__(
        self,
        detail: str,
        *,
        parameter: str | None = None,
        accepted: list[str] | None = None,
        suggestions: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail)
        self.body = ErrorBody(
            code=self.code,
            detail=detail,
            parameter=parameter,
            accepted=accepted,
            suggestions=suggestions,
        )
        # Sent with the error answer (a 429's Retry-After).
        self.headers = headers or {}

    @classmethod
    def from_body(cls, body: ErrorBody, **changes: Any) -> Self:
        """The error a downstream answered with `body`, raised again here (`changes` applied)."""
        return cls(body.detail, **(body.model_dump(exclude={"code", "detail"}) | changes))


class InvalidParameter(ServiceError, status_code=422, code="invalid_parameter"): ...


class UnsupportedMediaType(ServiceError, status_code=415, code="unsupported_media_type"): ...


class RateLimited(ServiceError, status_code=429, code="rate_limited"): ...


class NotFound(ServiceError, status_code=404, code="not_found"): ...


class UpstreamUnavailable(ServiceError, status_code=503, code="unavailable"): ...
