"""Flask-RESTful wiring: the Api whose errors use our envelope, and the Resource base class."""
from __future__ import annotations

from typing import ClassVar

import flask_restful
from flask import Response, request

from . import errors, ratelimit


class Api(flask_restful.Api):
    """Flask-RESTful's own error formatting is replaced by the one error envelope."""

    def handle_error(self, e: Exception) -> Response:
        return errors.render(e)

    def error_router(self, original_handler, e):  # route every error through handle_error
        return self.handle_error(e)


class ApiResource(flask_restful.Resource):
    """A route family member. `rate_limits` maps a method ('get', 'post', ...) to a `limits`
    string such as "5/minute"; methods not listed get the default for their caller (§1.9)."""

    rate_limits: ClassVar[dict[str, str]] = {}

    def dispatch_request(self, *args, **kwargs):
        method = request.method.lower()
        ratelimit.check(request.endpoint or type(self).__name__, self.rate_limits.get(method))
        resp = super().dispatch_request(*args, **kwargs)
        if not isinstance(resp, Response):  # pragma: no cover - every handler returns a Response
            raise TypeError(f"{type(self).__name__}.{method} must return a Response")
        return resp
