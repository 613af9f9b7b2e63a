"""Django-level error views: a path no route matches, and a crash outside DRF, in the error envelope."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse

from .exceptions import error_response


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return error_response(404, "NOT_FOUND", "Resource not found")


def server_error(request: HttpRequest) -> JsonResponse:
    return error_response(500, "INTERNAL_ERROR", "Internal server error")
