"""The error envelope (API.md §1.3–1.4): one exception type, one place that renders it."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    status = 400
    code = "INVALID_REQUEST"

    def __init__(self, message: str | None = None, *, code: str | None = None, status: int | None = None,
                 details: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)
        self.message = message or (self.__class__.__doc__ or self.code).strip()
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details
        self.headers = headers or {}


class InvalidRequest(ApiError):
    """The request is invalid."""
    status, code = 400, "INVALID_REQUEST"


def invalid_field(field: str, reason: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for '{field}': {reason}", details={"field": field, "reason": reason})


class Unauthorized(ApiError):
    """Authentication required."""
    status, code = 401, "AUTH_REQUIRED"


class Forbidden(ApiError):
    """You do not have permission to perform this action."""
    status, code = 403, "FORBIDDEN"


class NotFound(ApiError):
    """Resource not found."""
    status, code = 404, "NOT_FOUND"


class Conflict(ApiError):
    """The resource conflicts with an existing one."""
    status, code = 409, "CONFLICT"


class PayloadTooLarge(ApiError):
    """The upload exceeds its size limit."""
    status, code = 413, "PAYLOAD_TOO_LARGE"


class RateLimited(ApiError):
    """Rate limit exceeded."""
    status, code = 429, "RATE_LIMITED"


_HTTP_CODES = {400: "INVALID_REQUEST", 401: "AUTH_REQUIRED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "INVALID_REQUEST",
               429: "RATE_LIMITED"}


def error_response(status: int, code: str, message: str, details: dict | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    resp = jsonify({"ok": False, "success": False, "error": {"code": code, "message": message, "details": details}})
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def is_unique_violation(exc: IntegrityError) -> bool:
    """A duplicate value (409) rather than a broken reference or check (a bug: 500)."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate == "23505"
    return "UNIQUE constraint failed" in str(exc.orig)


def render(exc: BaseException) -> Response:
    """Turn any exception into the error envelope. The single place that does so."""
    from . import db

    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    if isinstance(exc, StaleDataError):
        db.session().rollback()
        return error_response(409, "VERSION_CONFLICT", "The resource was modified by another request")
    if isinstance(exc, IntegrityError) and is_unique_violation(exc):
        db.session().rollback()
        return error_response(409, "CONFLICT", "The request conflicts with an existing resource")
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        headers = {}
        if status == 405:
            allow = exc.get_response().headers.get("Allow")  # type: ignore[union-attr]
            if allow:
                headers["Allow"] = allow
        message = {404: "Resource not found", 405: "Method not allowed"}.get(status, exc.description or exc.name)
        if status == 400:
            message = "Malformed request"
        return error_response(status if status != 415 else 400, _HTTP_CODES.get(status, "INTERNAL_ERROR"),
                              message, None, headers)
    log.exception("unhandled error", exc_info=exc)
    try:
        db.session().rollback()
    except Exception:  # pragma: no cover  # noqa: BLE001 - the session may be what failed; the 500 still goes out
        pass
    return error_response(500, "INTERNAL_ERROR", "Internal server error")


def render_plain(exc: BaseException) -> Response:
    """The envelope for an app without a database session (the local bucket)."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
    if isinstance(exc, HTTPException) and exc.code and exc.code < 500:
        return error_response(exc.code, _HTTP_CODES.get(exc.code, "INVALID_REQUEST"), exc.description or exc.name)
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "Internal server error")


def install(app: Flask) -> None:
    app.register_error_handler(Exception, render)
