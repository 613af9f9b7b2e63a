"""The reference app's opt-in Server-Timing header (reference_django/common/server_timing.py, the format of
harness/load): its middleware is listed (first) only when SERVER_TIMING is on; then every response carries the
request's real statement count (transaction control left out, as tests/apps.py `count_sql` counts), its times,
and the course cache's hits and misses when the request looked it up; nothing else about the response changes.
"""
from __future__ import annotations

import importlib.util
import re
import runpy
import time

import pytest

from harness.load.server_timing import parse
from harness.seed import accounts
from tests.apps import DjangoApp, DjangoClient

COURSES = "/api/v1/courses"
UNKNOWN_COURSE = f"{COURSES}/00000000-0000-4000-8000-000000000000"
MIDDLEWARE = "reference_django.common.server_timing.ServerTimingMiddleware"
BASE_SETTINGS = importlib.util.find_spec("reference_django.config.settings.base").origin
FORMAT = re.compile(r"app;dur=\d+\.\d{3}, db;dur=\d+\.\d{3};count=\d+(, cache;hit=\d+;miss=\d+)?")


@pytest.fixture
def db_url(recycled_db_url):
    """The seeded database, PostgreSQL recycled between tests (these tests change rows, never the schema)."""
    return recycled_db_url


@pytest.fixture
def plain(app_config, monkeypatch):
    """The app as the test settings build it (SERVER_TIMING unset)."""
    monkeypatch.delenv("SERVER_TIMING", raising=False)
    application = DjangoApp(app_config)
    yield application
    application.close()


def switch_on(application: DjangoApp, *, setting: bool = True, listed: bool = True) -> None:
    """Settings as base.py makes them with SERVER_TIMING=1 (`setting`, `listed` apart for the odd cases), and a
    new handler: Django loads its middleware when the handler is built."""
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    others = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    application.config["SERVER_TIMING"] = setting
    application.config["MIDDLEWARE"] = [MIDDLEWARE, *others] if listed else others
    application.wsgi = WSGIHandler()


@pytest.fixture
def app(plain):
    """The app with the header on (the callers of tests/conftest.py use it)."""
    switch_on(plain)
    return plain


@pytest.fixture
def count_sql(app):
    return app.count_sql


def timing_of(resp):
    values = resp.headers.getlist("Server-Timing")
    assert len(values) == 1, values
    assert FORMAT.fullmatch(values[0]), values[0]
    return parse(values[0])


def detail(course_id: str) -> str:
    return f"{COURSES}/{course_id}"


# --- on or off ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("0", False), (None, False)])
def test_the_environment_variable_sets_the_setting_and_lists_the_middleware_first(monkeypatch, value, on):
    monkeypatch.delenv("SERVER_TIMING", raising=False)
    default = runpy.run_path(BASE_SETTINGS)  # the module run afresh, the process's settings untouched
    if value is not None:
        monkeypatch.setenv("SERVER_TIMING", value)
    configured = runpy.run_path(BASE_SETTINGS)
    assert configured["SERVER_TIMING"] is on
    assert configured["MIDDLEWARE"] == ([MIDDLEWARE] if on else []) + default["MIDDLEWARE"]
    assert MIDDLEWARE not in default["MIDDLEWARE"]


def test_there_is_no_header_by_default(plain, seeded):
    client = plain.test_client()
    for path in (COURSES, detail(seeded.enrolled_course), UNKNOWN_COURSE, "/api/v1/no-such-route"):
        assert "Server-Timing" not in client.get(path).headers, path


def test_the_middleware_listed_with_the_setting_off_does_nothing(plain):
    switch_on(plain, setting=False)
    assert "Server-Timing" not in plain.test_client().get(COURSES).headers


# --- the figures -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["anon", "student"])
@pytest.mark.parametrize("path", ["catalogue", "detail"])
def test_count_is_the_number_of_statements_the_request_ran(request, count_sql, seeded, who, path):
    caller = request.getfixturevalue(who)
    path = COURSES if path == "catalogue" else detail(seeded.enrolled_course)
    counts = []
    for _ in range(2):  # a miss, then a hit: the second request's figures are its own, not a running total
        with count_sql() as sql:
            resp = caller.get(path)
        assert resp.status_code == 200
        timing = timing_of(resp)
        assert timing.queries == len(sql), sql.statements
        assert timing.app_ms >= timing.db_ms >= 0
        counts.append(timing.queries)
    assert counts[0] > counts[1]  # the miss built the answer from the database, the hit did not


def test_a_write_counts_its_statements_but_not_transaction_control(make_caller):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    instructor = make_caller(accounts.INSTRUCTOR)
    with CaptureQueriesContext(connection) as captured:
        resp = instructor.post("/api/v1/instructor/courses", json={"title": "Timed", "description": "Timed course"})
    assert resp.status_code == 201, resp.get_json()
    statements = [q["sql"] for q in captured.captured_queries]
    control = [s for s in statements if s.split()[0].upper() in {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
                                                                  "RELEASE"}]
    assert any(s.upper().startswith("INSERT") for s in statements)
    assert control  # there was transaction control to leave out
    assert timing_of(resp).queries == len(statements) - len(control)


def test_app_time_covers_the_other_middleware(app, anon, monkeypatch):
    from reference_django.common.middleware import SecurityHeadersMiddleware

    original = SecurityHeadersMiddleware.__call__

    def slow(self, request):
        time.sleep(0.05)
        return original(self, request)

    monkeypatch.setattr(SecurityHeadersMiddleware, "__call__", slow)
    timing = timing_of(anon.get("/health"))
    assert timing.app_ms >= 50 > timing.db_ms


# --- the course cache ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["catalogue", "detail", "reviews"])
def test_cache_lookups_are_counted_per_request(app, anon, seeded, path):
    from reference_django.courses import cache

    path = {"catalogue": COURSES, "detail": detail(seeded.enrolled_course),
            "reviews": f"{detail(seeded.enrolled_course)}/reviews"}[path]
    first_resp = anon.get(path)
    first, second = timing_of(first_resp), timing_of(anon.get(path))
    lookups = len(first_resp.get_json()["data"]["courses"]) if path == COURSES else 1  # a card per listed course
    assert (first.cache_hits, first.cache_misses) == (0, lookups)
    assert (second.cache_hits, second.cache_misses) == (lookups, 0)
    assert cache.cache_stats()["lookups"] == 2 * lookups  # the cache's own counters go on as before


def test_a_request_that_does_not_look_up_the_cache_has_no_cache_metric(app, student, seeded):
    for path in (f"{detail(seeded.enrolled_course)}/reviews", "/health"):  # reviews are cached for anonymous callers
        resp = student.get(path)
        assert resp.status_code == 200, path
        assert not timing_of(resp).looked_up_cache, path
        assert "cache;" not in resp.headers["Server-Timing"], path


# --- errors, and nothing else changes -----------------------------------------------------------------------------

def test_error_responses_carry_it(app, anon, count_sql, monkeypatch):
    with count_sql() as sql:
        missing_course = anon.get(UNKNOWN_COURSE)
    assert missing_course.status_code == 404
    timing = timing_of(missing_course)
    assert timing.queries == len(sql) > 0
    assert (timing.cache_hits, timing.cache_misses) == (0, 1)  # looked up, missed, then not found

    no_route = anon.get("/api/v1/no-such-route")
    assert no_route.status_code == 404
    assert timing_of(no_route).queries == 0

    from reference_django.courses import selectors

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "summaries_by_id", broken)  # the cards missing from the cache cannot be built
    failed = anon.get(COURSES)
    assert failed.status_code == 500 and failed.get_json()["error"]["code"] == "INTERNAL_ERROR"
    assert timing_of(failed).cache_misses >= 1


def test_the_body_and_every_other_header_are_the_same_on_and_off(plain, seeded):
    from django.core.cache import caches

    off = plain.test_client()
    switch_on(plain)
    on = DjangoClient(plain.wsgi)
    for path in (COURSES, detail(seeded.enrolled_course), UNKNOWN_COURSE, "/api/v1/no-such-route"):
        for repeat in range(2):  # a cache miss each, then a hit each
            if not repeat:
                caches["default"].clear()
            plain_resp = off.get(path)
            if not repeat:
                caches["default"].clear()
            timed = on.get(path)
            assert timed.status == plain_resp.status, path
            assert timed.data == plain_resp.data, path
            others = [(k, v) for k, v in timed.headers.items() if k != "Server-Timing"]
            assert others == list(plain_resp.headers.items()), path
            assert timed.headers.getlist("Server-Timing"), path
