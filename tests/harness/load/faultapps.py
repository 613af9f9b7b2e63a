"""Copies of the candidate (reference_django) with the faults the load gates exist for, served by `harness load`
through `app = "tests.harness.load.faultapps:<name>()"` (the module is imported in gunicorn's workers).

    n_plus_one()    GET /api/v1/courses runs four more SQL statements for every course it lists, inside Django, so
                    the Server-Timing count sees them (the queries gate)
    slow_reviews()  GET /api/v1/courses/{course_id}/reviews sleeps 150 ms in the handler (the p95 gate)
    failing()       one response in twenty becomes a 500 (the error gate)
    no_cache()      the course cache switched off (API_CACHE_TTL=0: the cache gate)
    all_faults()    all four at once
Each is the whole reference app otherwise: the same settings, database and wire.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

SETTINGS = "reference_django.config.settings.base"
REVIEWS = re.compile(r"^/api/v1/courses/[^/]+/reviews$")


class NPlusOne:
    """Four statements per listed course, as a serializer reading each course's instructor, rating, sections and
    enrolment count lazily would."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        if request.method == "GET" and request.path == "/api/v1/courses" and response.status_code == 200:
            from django.db import connection

            listed = json.loads(response.content).get("data") or []
            with connection.cursor() as cursor:
                for _ in range(4 * len(listed)):
                    cursor.execute("SELECT 1")
        return response


class SlowReviews:
    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        if request.method == "GET" and REVIEWS.match(request.path):
            time.sleep(0.150)
        return self.get_response(request)


def _django(*middleware: str, cache: bool = True) -> Any:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    if not cache:
        os.environ["API_CACHE_TTL"] = "0"
    import django
    from django.conf import settings

    django.setup()
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, *middleware]  # innermost: inside the Server-Timing middleware
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


def _failing(app: Any, every: int = 20) -> Any:
    counter, lock = itertools.count(1), threading.Lock()

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with lock:
            turn = next(counter)
        if turn % every == 0 and environ.get("PATH_INFO") != "/health":
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b'{"success": false, "error": {"code": "INTERNAL", "message": "injected"}}']
        return app(environ, start_response)

    return application


def n_plus_one() -> Any:
    return _django(f"{__name__}.NPlusOne")


def slow_reviews() -> Any:
    return _django(f"{__name__}.SlowReviews")


def failing() -> Any:
    return _failing(_django())


def no_cache() -> Any:
    return _django(cache=False)


def all_faults() -> Any:
    return _failing(_django(f"{__name__}.NPlusOne", f"{__name__}.SlowReviews", cache=False))
