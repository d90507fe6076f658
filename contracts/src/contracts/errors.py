"""The error model: domain exceptions every service raises and the one body they become."""

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """What every error response carries, whichever service produced it."""

    code: str
    detail: str
    parameter: str | None = None
    accepted: list[str] | None = None
    suggestions: list[str] | None = None


class ServiceError(Exception):
    status_code = 500
    code = "internal_error"

    def __init__(self, detail: str, *, parameter: str | None = None,
                 accepted: list[str] | None = None, suggestions: list[str] | None = None):
        super().__init__(detail)
        self.body = ErrorBody(code=self.code, detail=detail, parameter=parameter,
                              accepted=accepted, suggestions=suggestions)


class InvalidParameter(ServiceError):
    status_code = 422
    code = "invalid_parameter"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class UpstreamUnavailable(ServiceError):
    status_code = 503
    code = "unavailable"
