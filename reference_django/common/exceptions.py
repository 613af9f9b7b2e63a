"""The error envelope (API.md §1.3-1.4): domain errors, and the one DRF exception handler that renders
every failure (ours, DRF's, Django's and the database's) as `{"ok": false, "success": false, "error": ...}`."""
from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf

log = logging.getLogger(__name__)


class ApiError(drf.APIException):
    """A failure with an API.md error code. Subclasses set the status and code of each kind."""

    status_code = 400
    code = "INVALID_REQUEST"
    default_message = "The request is invalid."

    def __init__(self, message: str | None = None, *, code: str | None = None, status: int | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)
        if code:
            self.code = code
        if status:
            self.status_code = status
        self.details = details
        self.headers = headers or {}


class InvalidRequest(ApiError):
    status_code, code, default_message = 400, "INVALID_REQUEST", "The request is invalid."


def invalid_field(field: str, reason: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for '{field}': {reason}", details={"field": field, "reason": reason})


class Unauthorized(ApiError):
    status_code, code, default_message = 401, "AUTH_REQUIRED", "Authentication required."


class Forbidden(ApiError):
    status_code, code, default_message = 403, "FORBIDDEN", "You do not have permission to perform this action."


class NotFound(ApiError):
    status_code, code, default_message = 404, "NOT_FOUND", "Resource not found."


class Conflict(ApiError):
    status_code, code, default_message = 409, "CONFLICT", "The resource conflicts with an existing one."


class VersionConflict(Conflict):
    code, default_message = "VERSION_CONFLICT", "The resource was modified by another request"


class PayloadTooLarge(ApiError):
    status_code, code, default_message = 413, "PAYLOAD_TOO_LARGE", "The upload exceeds its size limit."


class RateLimited(ApiError):
    status_code, code, default_message = 429, "RATE_LIMITED", "Rate limit exceeded"


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict[str, str] | None = None) -> JsonResponse:
    error = {"code": code, "message": message, "details": details}
    resp = JsonResponse({"ok": False, "success": False, "error": error}, status=status)
    for k, v in (headers or {}).items():
        resp[k] = v
    return resp


def is_unique_violation(exc: IntegrityError) -> bool:
    """A duplicate value (409) rather than a broken reference or check (a bug: 500)."""
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(getattr(cause, "diag", None), "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(exc)


def first_error(detail: Any) -> tuple[str | None, str]:
    """(field, reason) of the first failing field of a DRF ValidationError detail, in declaration order.

    Nested details read as the legacy app words them: a list entry is "entry <i> ..." and a field of a
    nested object is "'<name>' ...", so `quizPoints: entry 0 'question' is required`.
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            _, reason = first_error(value)
            if key in ("non_field_errors", "__all__"):
                return None, reason
            return str(key), reason
        return None, "is invalid"
    if isinstance(detail, list):
        if detail and all(isinstance(d, (dict, list)) for d in detail):
            for i, d in enumerate(detail):
                if d:
                    return None, f"entry {i} {_nested(d)}"
        return None, str(detail[0]) if detail else "is invalid"
    return None, str(detail)


def _nested(detail: Any) -> str:
    if isinstance(detail, dict):
        key, value = next(iter(detail.items()))
        if isinstance(key, int) or str(key).isdigit():
            return f"entry {key} {_nested(value)}"
        return f"'{key}' {_nested(value)}"
    if isinstance(detail, list):
        return _nested(detail[0]) if detail else "is invalid"
    return str(detail)


def _reason_of(value: Any) -> str:
    return _nested(value) if isinstance(value, dict) else first_error(value)[1]


def validation_error(detail: Any) -> ApiError:
    if isinstance(detail, dict) and detail:
        key, value = next(iter(detail.items()))
        reason = _reason_of(value)
        if key in ("non_field_errors", "__all__"):
            return InvalidRequest(reason[:1].upper() + reason[1:])
        return invalid_field(str(key), reason)
    _, reason = first_error(detail)
    return InvalidRequest(reason)


def render(exc: BaseException) -> JsonResponse:
    """Turn any exception into the error envelope. The single place that does so."""
    if isinstance(exc, drf.ValidationError):
        exc = validation_error(exc.detail)
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)
    if isinstance(exc, RequestDataTooBig):  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE (legacy: MAX_CONTENT_LENGTH)
        return error_response(413, "PAYLOAD_TOO_LARGE", "The data value transmitted exceeds the capacity limit.")
    if isinstance(exc, IntegrityError) and is_unique_violation(exc):
        return error_response(409, "CONFLICT", "The request conflicts with an existing resource")
    if isinstance(exc, (Http404, drf.NotFound)):
        return error_response(404, "NOT_FOUND", "Resource not found")
    if isinstance(exc, drf.MethodNotAllowed):
        return error_response(405, "METHOD_NOT_ALLOWED", "Method not allowed")
    if isinstance(exc, drf.ParseError):
        return error_response(400, "INVALID_REQUEST", "Malformed JSON body",
                              {"field": "body", "reason": "is not valid JSON"})
    if isinstance(exc, drf.UnsupportedMediaType):
        return error_response(400, "INVALID_REQUEST", "Content-Type must be application/json",
                              {"field": "Content-Type", "reason": "must be application/json"})
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return error_response(401, "AUTH_REQUIRED", "Authentication required")
    if isinstance(exc, (drf.PermissionDenied, DjangoPermissionDenied)):
        return error_response(403, "FORBIDDEN", "You do not have permission to perform this action.")
    if isinstance(exc, drf.APIException):
        status = exc.status_code
        code = {400: "INVALID_REQUEST", 413: "PAYLOAD_TOO_LARGE", 429: "RATE_LIMITED"}.get(status, "INTERNAL_ERROR")
        return error_response(status if status < 500 else 500, code, str(exc.detail))
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "Internal server error")


def handler(exc: Exception, context: dict[str, Any]) -> JsonResponse:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every failure inside an API view."""
    return render(exc)
