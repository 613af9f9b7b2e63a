"""A tiny WSGI app standing in for a target in the core's tests (copied under a fresh module name per test).

GET /health answers STANDIN_HEALTH_STATUS (default 200) with what the app was configured with; /echo answers
with the request it received; anything else is a 404.
"""
from __future__ import annotations

import json
import os
from typing import Any


def make_app(config: dict[str, Any]):
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/health":
            status = int(config.get("STANDIN_HEALTH_STATUS") or 200)
            body = {"database_url": config.get("DATABASE_URL"), "marker": config.get("STANDIN_MARKER"),
                    "upload_root": config.get("UPLOAD_ROOT")}
        elif path == "/echo":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            status, body = 200, {"method": environ["REQUEST_METHOD"], "query": environ.get("QUERY_STRING", ""),
                                 "host": environ.get("HTTP_HOST"), "x_test": environ.get("HTTP_X_TEST"),
                                 "body": environ["wsgi.input"].read(length).decode() if length else ""}
        else:
            status, body = 404, {"error": "not found"}
        payload = json.dumps(body).encode()
        start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    return app


def create_app(config: dict[str, Any] | None = None):
    """A factory, as legacy_flask's: settings as a mapping."""
    return make_app(dict(config or {}))


#: A module-level app, as Django's wsgi module: configured from the environment once, at import.
application = make_app({name: os.environ.get(name) for name in
                        ("DATABASE_URL", "STANDIN_MARKER", "STANDIN_HEALTH_STATUS", "UPLOAD_ROOT")})
