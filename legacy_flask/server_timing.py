"""The opt-in W3C Server-Timing header (config SERVER_TIMING, from the environment; off by default):

    Server-Timing: app;dur=12.345, db;dur=3.210;count=4

`app` is the time in the app (a WSGI wrapper around all of Flask, up to the response's headers), `db` the
SQL statements the request executed and their total time (SQLAlchemy's statement events, which never see
the driver's BEGIN/COMMIT). This app caches no responses, so it never sends `cache`. Off, nothing is
installed. Socket.IO is mounted outside the wrapper and carries no header.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from flask import Flask

HEADER = "Server-Timing"


class _Request:
    """One request's SQL: how many statements, their time in seconds, and when the running one began."""

    __slots__ = ("queries", "db_seconds", "started")

    def __init__(self) -> None:
        self.queries, self.db_seconds, self.started = 0, 0.0, 0.0


_current: ContextVar[_Request | None] = ContextVar("legacy_flask_server_timing", default=None)


def _before_statement(*_args: Any) -> None:
    timing = _current.get()
    if timing is not None:
        timing.queries += 1
        timing.started = time.perf_counter()


def _after_statement(*_args: Any) -> None:
    timing = _current.get()
    if timing is not None:
        timing.db_seconds += time.perf_counter() - timing.started


def header_value(app_seconds: float, timing: _Request) -> str:
    return f"app;dur={app_seconds * 1000:.3f}, db;dur={timing.db_seconds * 1000:.3f};count={timing.queries}"


class ServerTimingMiddleware:
    """Times the wrapped WSGI app and adds the header to the response it starts."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        timing = _Request()
        token = _current.set(timing)
        began = time.perf_counter()

        def start_timed(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            value = header_value(time.perf_counter() - began, timing)
            return start_response(status, [*headers, (HEADER, value)], exc_info)

        try:
            return self.wsgi_app(environ, start_timed)
        finally:
            _current.reset(token)


def install(app: Flask) -> None:
    """With SERVER_TIMING on: the wrapper around the app and the statement counter on its engine."""
    if not app.config.get("SERVER_TIMING"):
        return
    engine = app.extensions["db_engine"]
    sa.event.listen(engine, "before_cursor_execute", _before_statement)
    sa.event.listen(engine, "after_cursor_execute", _after_statement)
    app.wsgi_app = ServerTimingMiddleware(app.wsgi_app)  # type: ignore[method-assign]
