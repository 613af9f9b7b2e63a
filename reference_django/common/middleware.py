"""Cross-Origin-Resource-Policy, Cross-Origin-Embedder-Policy and Permissions-Policy on every response; Django's
SecurityMiddleware, XFrameOptionsMiddleware and django-csp set the other security headers (see settings)."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

HEADERS = (("Cross-Origin-Resource-Policy", "CROSS_ORIGIN_RESOURCE_POLICY"),
           ("Cross-Origin-Embedder-Policy", "CROSS_ORIGIN_EMBEDDER_POLICY"),
           ("Permissions-Policy", "PERMISSIONS_POLICY"))


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        for header, setting in HEADERS:
            policy = getattr(settings, setting, None)
            if policy:
                response.headers.setdefault(header, policy)
        return response
