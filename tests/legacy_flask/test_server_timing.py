"""The legacy app's opt-in Server-Timing header (legacy_flask/server_timing.py, the format of harness/load):
absent unless SERVER_TIMING is on, then on every response, errors included, with the request's real statement
count and times, and nothing else about the response changed. This app caches nothing: never a `cache` metric.
"""
from __future__ import annotations

import re
import time

import pytest

from harness.load.server_timing import parse
from harness.seed import accounts

COURSES = "/api/v1/courses"
UNKNOWN_COURSE = f"{COURSES}/00000000-0000-4000-8000-000000000000"
FORMAT = re.compile(r"app;dur=\d+\.\d{3}, db;dur=\d+\.\d{3};count=\d+")


@pytest.fixture
def db_url(recycled_db_url):
    """The seeded database, PostgreSQL recycled between tests (these tests change rows, never the schema)."""
    return recycled_db_url


@pytest.fixture(autouse=True)
def no_server_timing_env(monkeypatch):
    monkeypatch.delenv("SERVER_TIMING", raising=False)


@pytest.fixture
def make_app(app_config):
    """`make_app(**settings)`: the legacy app on the test's database, with these settings on top."""
    from legacy_flask import create_app

    built = []

    def make(**settings):
        built.append(create_app({**app_config, **settings}))
        return built[-1]

    yield make
    for application in built:
        application.extensions["db_engine"].dispose()


@pytest.fixture
def app(make_app):
    """The app with the header on (the callers of tests/conftest.py use it)."""
    return make_app(SERVER_TIMING=True)


def timing_of(resp):
    values = resp.headers.getlist("Server-Timing")
    assert len(values) == 1, values
    assert FORMAT.fullmatch(values[0]), values[0]
    return parse(values[0])


def paths(seeded) -> list[str]:
    return [COURSES, f"{COURSES}/{seeded.enrolled_course}", UNKNOWN_COURSE, "/api/v1/no-such-route"]


# --- on or off ---------------------------------------------------------------------------------------------------

def test_there_is_no_header_by_default(make_app, seeded):
    client = make_app().test_client()
    for path in paths(seeded):
        assert "Server-Timing" not in client.get(path).headers, path


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_the_environment_variable_switches_it(make_app, monkeypatch, value, on):
    monkeypatch.setenv("SERVER_TIMING", value)
    application = make_app()
    assert application.config["SERVER_TIMING"] is on
    assert ("Server-Timing" in application.test_client().get(COURSES).headers) is on


# --- the figures -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["anon", "student"])
@pytest.mark.parametrize("path", ["catalogue", "detail"])
def test_count_is_the_number_of_statements_the_request_ran(request, count_sql, seeded, who, path):
    caller = request.getfixturevalue(who)
    path = COURSES if path == "catalogue" else f"{COURSES}/{seeded.enrolled_course}"
    for _ in range(2):  # the second request's figures are its own, not a running total
        with count_sql() as sql:
            resp = caller.get(path)
        assert resp.status_code == 200
        timing = timing_of(resp)
        assert timing.queries == len(sql) > 0, sql.statements
        assert timing.app_ms >= timing.db_ms >= 0
        assert (timing.cache_hits, timing.cache_misses) == (None, None)


def test_a_write_counts_its_statements_but_not_transaction_control(make_caller, count_sql):
    instructor = make_caller(accounts.INSTRUCTOR)
    with count_sql() as sql:
        resp = instructor.post("/api/v1/instructor/courses", json={"title": "Timed", "description": "Timed course"})
    assert resp.status_code == 201, resp.get_json()
    assert any(s.lstrip().upper().startswith("INSERT") for s in sql.statements)
    assert timing_of(resp).queries == len(sql)


def test_app_time_covers_the_whole_handler(app, anon, monkeypatch):
    from legacy_flask.resources import courses

    original = courses.catalog_query

    def slow(*args, **kwargs):
        time.sleep(0.05)
        return original(*args, **kwargs)

    monkeypatch.setattr(courses, "catalog_query", slow)
    timing = timing_of(anon.get(COURSES))
    assert timing.app_ms >= 50 > timing.db_ms


# --- errors, and nothing else changes -----------------------------------------------------------------------------

def test_error_responses_carry_it(app, anon, count_sql, monkeypatch):
    with count_sql() as sql:
        missing_course = anon.get(UNKNOWN_COURSE)
    assert missing_course.status_code == 404
    assert timing_of(missing_course).queries == len(sql) > 0

    no_route = anon.get("/api/v1/no-such-route")
    assert no_route.status_code == 404
    assert timing_of(no_route).queries == 0

    from legacy_flask.resources import courses

    def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(courses, "catalog_query", broken)
    failed = anon.get(COURSES)
    assert failed.status_code == 500 and failed.get_json()["error"]["code"] == "INTERNAL_ERROR"
    assert timing_of(failed).app_ms >= 0


def test_the_body_and_every_other_header_are_the_same_on_and_off(make_app, seeded):
    off, on = make_app().test_client(), make_app(SERVER_TIMING=True).test_client()
    for path in paths(seeded):
        plain, timed = off.get(path), on.get(path)
        assert timed.status == plain.status, path
        assert timed.data == plain.data, path
        others = [(k, v) for k, v in timed.headers.items() if k != "Server-Timing"]
        assert others == list(plain.headers.items()), path
        assert timed.headers.getlist("Server-Timing"), path
