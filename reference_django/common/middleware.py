"""Cross-Origin-Resource-Policy on every response; Django's SecurityMiddleware, XFrameOptionsMiddleware
and django-csp set the other security headers (see settings)."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CROSS_ORIGIN_RESOURCE_POLICY", None)
        if policy:
            response.headers.setdefault("Cross-Origin-Resource-Policy", policy)
        return response
