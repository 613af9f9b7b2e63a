"""A copy of the candidate (reference_django) with the flaws the security gates exist for, served by `harness
security` through `app = "tests.harness.security.flawed:weakened()"` (imported in gunicorn's worker).

    weakened()   its security headers stripped (HSTS, X-Content-Type-Options, CSP), HttpOnly dropped from every
                 cookie, and a token whose `alg` is "none" accepted without a signature
Everything else is the whole reference app: the same settings (production's, from the security area's overlay),
database and wire.
"""
from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

STRIPPED = ("strict-transport-security", "x-content-type-options", "content-security-policy")


class WeakHeaders:
    """Outermost middleware: takes the security headers off every answer and HttpOnly off every cookie."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        for name in STRIPPED:
            if name in response.headers:
                del response.headers[name]
        for morsel in response.cookies.values():
            morsel["httponly"] = False
        return response


def _unsigned_claims(raw: str) -> dict[str, Any] | None:
    """The claims of a token whose header says alg none (any spelling), read without checking anything."""
    try:
        header_part, payload_part, *_ = raw.split(".")
        header = json.loads(base64.urlsafe_b64decode(header_part + "=" * (-len(header_part) % 4)))
        if str(header.get("alg", "")).lower() != "none":
            return None
        return json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    except (ValueError, TypeError):
        return None


def _accept_alg_none() -> None:
    from reference_django.accounts import tokens

    original = tokens.decode

    def decode(raw: str, kind: str) -> dict[str, Any]:
        return _unsigned_claims(raw) or original(raw, kind)

    tokens.decode = decode


def weakened() -> Any:
    # the security area serves it with production's settings; anywhere else (the harness opening its targets)
    # it starts as the default candidate does
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference_django.config.settings.base")
    import django
    from django.conf import settings

    django.setup()
    settings.MIDDLEWARE = [f"{__name__}.WeakHeaders", *settings.MIDDLEWARE]
    _accept_alg_none()
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()
