"""The calibration endpoint: a WSGI app that answers every request at once with `{}` and a zero Server-Timing,
served by gunicorn exactly as the apps are. Whatever latency a load run measures against it is what the load
generator (and loopback) add on their own (runner.py's calibration)."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_BODY = b"{}"
_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(_BODY))),
            ("Server-Timing", "app;dur=0.000, db;dur=0.000;count=0")]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", _HEADERS)
    return [_BODY]
