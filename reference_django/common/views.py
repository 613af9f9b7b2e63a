"""The API view base: one small class per route, with the legacy order of checks.

Order, as legacy does it: rate limit (so a refused or unauthenticated request is still counted and
carries X-RateLimit-*), then the guard (`public`, `optional` or `auth`: 401), then CSRF on
cookie-authenticated unsafe methods (403 CSRF_INVALID), then the handler (role/ownership checks, 400s).
"""
from __future__ import annotations

from typing import Any, ClassVar, Literal

from django.http import HttpResponse
from rest_framework.exceptions import MethodNotAllowed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reference_django.accounts.authentication import UNSAFE_METHODS, Identity, check_csrf

from . import ratelimit
from .exceptions import ApiError, Forbidden, Unauthorized


class ApiView(APIView):
    #: `public` (no token), `optional` (a bad or absent token means anonymous) or `auth` (401 without one).
    guard: ClassVar[Literal["public", "optional", "auth"]] = "auth"
    #: False on the CSRF-exempt routes (API.md §1.7: P1-P4, P11, P12).
    csrf: ClassVar[bool] = True
    #: Per-method `limits` strings ("5/minute"); methods not listed get the caller's default (§1.9).
    rate_limits: ClassVar[dict[str, str]] = {}
    throttle_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = []

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme

        if request.method == "OPTIONS":
            return  # answered by `options` below, before any limit or guard, as Flask does
        if not hasattr(self, request.method.lower()) or request.method.lower() not in self.http_method_names:
            raise MethodNotAllowed(request.method)  # 405 comes before the limit and the guard (Flask routing)
        endpoint = getattr(request.resolver_match, "url_name", None) or type(self).__name__
        request.rate_limit_headers = ratelimit.check(request, endpoint, self.rate_limits.get(request.method.lower()))
        self.authenticate(request)

    def authenticate(self, request: Request) -> None:
        if self.guard == "public":
            request._authenticator, request._user, request._auth = None, None, None
            return
        if self.guard == "optional":
            try:
                _ = request.user  # reading it runs the authenticators
            except ApiError:
                request._authenticator, request._user, request._auth = None, None, None
            return
        if request.user is None:
            raise Unauthorized("Authentication required", code="AUTH_REQUIRED")
        if self.csrf and request.method in UNSAFE_METHODS:
            check_csrf(request)

    @property
    def identity(self) -> Identity:
        """The authenticated caller (routes guarded `auth`)."""
        return self.request.auth

    @property
    def identity_or_none(self) -> Identity | None:
        return self.request.auth if self.request.user is not None else None

    def require_instructor(self) -> Identity:
        ident = self.identity
        if not ident.is_instructor:
            raise Forbidden("Instructor role required")
        return ident

    def require_admin(self) -> Identity:
        ident = self.identity
        if not ident.has_permission("user:manage_roles"):
            raise Forbidden("Administrator permission required")
        return ident

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        for key, value in (getattr(request, "rate_limit_headers", None) or {}).items():
            response[key] = value
        if response.status_code == 405 or request.method == "OPTIONS":
            response["Allow"] = self.allow_header()
        elif "Allow" in response:
            del response["Allow"]  # the legacy app names the allowed methods on 405 and OPTIONS only
        return response

    def allow_header(self) -> str:
        """Flask's spelling: the route's methods plus HEAD (with GET) and OPTIONS, sorted."""
        return ", ".join(sorted(self.flask_methods()))

    @classmethod
    def flask_methods(cls) -> set[str]:
        """The methods Flask routes here: the handlers', HEAD with GET, and OPTIONS."""
        methods = {m.upper() for m in cls.http_method_names
                   if m not in {"options", "head", "trace"} and hasattr(cls, m)}
        if "GET" in methods:
            methods.add("HEAD")
        return methods | {"OPTIONS"}

    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        # As Flask answers OPTIONS: 200, an empty body and the Allow header; no DRF metadata document.
        return HttpResponse(status=200, content_type="text/html; charset=utf-8")
