"""The opt-in W3C Server-Timing header (setting SERVER_TIMING, from the environment; off by default):

    Server-Timing: app;dur=12.345, db;dur=3.210;count=4, cache;hit=1;miss=0

`app` is the time in the app (this middleware comes first in MIDDLEWARE, so it covers every other one), `db`
the SQL statements the request executed on any connection and their total time, transaction control
(BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE) not counted, as the legacy app's SQLAlchemy events never see it.
`cache` only when the request looked up the course cache (courses/cache.py). The settings list this
middleware only when SERVER_TIMING is on; listed with it off, it removes itself.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections
from django.http import HttpRequest, HttpResponse

from reference_django.courses import cache

HEADER = "Server-Timing"
MIDDLEWARE = "reference_django.common.server_timing.ServerTimingMiddleware"
TRANSACTION_CONTROL = frozenset({"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})


def is_transaction_control(sql: Any) -> bool:
    words = sql.split(None, 1) if isinstance(sql, str) else None
    return bool(words) and words[0].rstrip(";").upper() in TRANSACTION_CONTROL


class _Statements:
    """A `connection.execute_wrapper`: counts and times the statements that are not transaction control."""

    def __init__(self) -> None:
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: dict) -> Any:
        if is_transaction_control(sql):
            return execute(sql, params, many, context)
        self.count += 1
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - began


def header_value(app_seconds: float, statements: _Statements, lookups: list[int]) -> str:
    value = f"app;dur={app_seconds * 1000:.3f}, db;dur={statements.seconds * 1000:.3f};count={statements.count}"
    hits, misses = lookups
    return value + (f", cache;hit={hits};miss={misses}" if hits or misses else "")


class ServerTimingMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not getattr(settings, "SERVER_TIMING", False):
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        statements = _Statements()
        began = time.perf_counter()
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(statements))
            lookups = stack.enter_context(cache.counting_lookups())
            response = self.get_response(request)
        response.headers[HEADER] = header_value(time.perf_counter() - began, statements, lookups)
        return response
