"""`harness data cross-write` (harness/data/crosswrite.py, rowdelta.py, cli_paths.py): legacy_flask and
reference_django on ONE database honour each other's writes for every writable resource, both ways, and
each way one app can betray the other in the blue-green window is reported with the resource and the field:
a reply that differs, a write that stores different rows, a stale cache, a write that fails."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from io import BytesIO

import jsonschema
import pytest
from click.testing import CliRunner
from werkzeug.datastructures import Headers
from werkzeug.test import run_wsgi_app

import harness.data.cli_paths  # noqa: E402,F401 - registers cross-write on the `data` group
from harness.core.results import SCHEMA_PATH, latest_run
from harness.data.cli import data
from harness.data.connect import DatabaseUnreachable, DataInputError
from harness.data.crosswrite import CrossWriteOptions, check_cross_write
from harness.data.crosswrite_journey import JOURNEY
from tests.apps import build_app, close_app

#: The writable resources of the issue, each of which the journey must write through both apps.
RESOURCES = {"user.signup", "user.profile", "user.delete", "session.login", "session.revoke", "role.assign",
             "course.create", "course.update", "course.publish", "course.delete", "video.add", "video.update",
             "video.reorder", "video.delete", "quiz.points", "section.create", "section.update", "section.delete",
             "enrollment", "progress", "quiz.answer", "review", "media.upload", "media.attach", "media.delete",
             "ai.chat"}
COURSE_PATH = r"/api/v1/instructor/courses/[0-9a-f-]{36}"


@pytest.fixture
def apps(app_config):
    """(legacy, candidate) WSGI apps on the test's one database and one upload folder."""
    legacy = build_app("flask", app_config)
    candidate = build_app("django", app_config)
    # The candidate caches P16/P17 per process; a write through legacy cannot invalidate that cache, so every
    # such read is stale until the TTL ends (a finding of the real pair, reported to the lead). Off here, so
    # these tests see the rest; test_a_stale_cache_in_one_app_is_reported shows the check catching it.
    candidate.config["API_CACHE_TTL"] = 0
    yield legacy, candidate.wsgi
    close_app(candidate)
    close_app(legacy)


def until(resource: str) -> tuple:
    """The journey up to and including `resource`: enough for a fault that shows there."""
    names = [step.resource for step in JOURNEY]
    return JOURNEY[:names.index(resource) + 1]


def run(apps, db_url, *, legacy=None, candidate=None, steps=JOURNEY):
    legacy_app, candidate_app = apps
    return check_cross_write(legacy or legacy_app, candidate or candidate_app, db_url, CrossWriteOptions(steps=steps))


def findings(report, check: str, resource: str | None = None) -> list:
    return [f for f in report.findings if f.check == check and resource in (None, f.operation)]


# -- WSGI middleware that breaks one app on purpose ------------------------------------------------------------

def on_reply(app, method: str, path: str, change: Callable[[dict], None]):
    """`app`, whose JSON replies to METHOD path (a regex) go through `change` first."""
    def wrapped(environ, start_response):
        if environ["REQUEST_METHOD"] != method or not re.fullmatch(path, environ["PATH_INFO"]):
            return app(environ, start_response)
        chunks, status, headers = run_wsgi_app(app, environ)
        body = json.loads(b"".join(chunks))
        change(body)
        raw = json.dumps(body).encode()
        headers = Headers(headers)
        headers["Content-Length"] = str(len(raw))
        start_response(status, headers.to_wsgi_list())
        return [raw]
    return wrapped


def on_request(app, method: str, path: str, change: Callable[[dict], None]):
    """`app`, whose JSON requests METHOD path go through `change` first: a writer that drops what it was sent."""
    def wrapped(environ, start_response):
        if environ["REQUEST_METHOD"] == method and re.fullmatch(path, environ["PATH_INFO"]):
            body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
            change(body)
            raw = json.dumps(body).encode()
            environ = {**environ, "wsgi.input": BytesIO(raw), "CONTENT_LENGTH": str(len(raw))}
        return app(environ, start_response)
    return wrapped


def stale_cache(app, path: str):
    """`app` with a cache of its GET replies to `path` that no write invalidates."""
    cache: dict[tuple, tuple] = {}

    def wrapped(environ, start_response):
        if environ["REQUEST_METHOD"] != "GET" or not re.fullmatch(path, environ["PATH_INFO"]):
            return app(environ, start_response)
        key = (environ["PATH_INFO"], environ.get("HTTP_AUTHORIZATION"))
        if key not in cache:
            chunks, status, headers = run_wsgi_app(app, environ)
            cache[key] = (b"".join(chunks), status, headers)
        body, status, headers = cache[key]
        start_response(status, Headers(headers).to_wsgi_list())
        return [body]
    return wrapped


def failing(app, method: str, path: str):
    def wrapped(environ, start_response):
        if environ["REQUEST_METHOD"] == method and re.fullmatch(path, environ["PATH_INFO"]):
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")])
            return [b'{"ok": false, "success": false, "error": {"code": "INTERNAL_ERROR", "message": "boom"}}']
        return app(environ, start_response)
    return wrapped


# -- the real pair -------------------------------------------------------------------------------------------------

def test_both_apps_read_and_store_every_write_alike_both_ways(apps, db_url):
    report = run(apps, db_url)

    assert report.findings == [] and report.passed
    written = {run.step.resource.split(" (")[0] for run in report.runs}
    assert RESOURCES <= written
    assert {run.writer for run in report.runs} == {"legacy", "candidate"}
    counts = {m.id: m.value for m in report.metrics}
    assert counts["crosswrite_writes_ok"] == 2 * len(JOURNEY) and counts["crosswrite_reads_compared"] > 150
    # The rows were compared, not skipped: every write that stores something left a normalised delta.
    course = next(r for r in report.runs if r.step.resource == "course.create" and r.writer == "candidate")
    (inserted,) = course.rows.tables["courses"]["inserted"]
    assert (inserted["id"], inserted["slug"], inserted["created_at"]) == ("<course>", "cross-write-<tag>", "<now>")


# -- faults ------------------------------------------------------------------------------------------------------

def test_a_field_one_app_alters_is_reported_with_the_resource_and_field(apps, db_url):
    def retitle(body: dict) -> None:
        body["data"]["title"] = body["data"]["title"].upper()

    candidate = on_reply(apps[1], "GET", COURSE_PATH, retitle)

    report = run(apps, db_url, candidate=candidate, steps=until("course.update"))

    assert not report.passed
    for resource in ("course.create", "course.update"):
        altered = findings(report, "cross_write_read", resource)
        assert {(f.evidence["writer"], f.evidence["field"], f.evidence["read"]) for f in altered} == {
            (writer, "body.data.title", "GET /api/v1/instructor/courses/{course}")
            for writer in ("legacy", "candidate")}
    (example,) = [f for f in findings(report, "cross_write_read", "course.update") if f.evidence["writer"] == "legacy"]
    assert "course.update written through legacy" in example.message and "body.data.title" in example.message
    assert example.evidence["candidate"] == example.evidence["legacy"].upper() != example.evidence["legacy"]
    assert "curl" in example.reproduce
    assert findings(report, "cross_write_rows") == []  # what was stored is the same; only a reply lies


def test_a_write_that_stores_other_rows_is_reported_even_when_every_read_agrees(apps, db_url):
    candidate = on_request(apps[1], "PUT", COURSE_PATH, lambda body: body.pop("price", None))

    report = run(apps, db_url, candidate=candidate, steps=until("course.update"))

    (rows,) = findings(report, "cross_write_rows", "course.update")
    assert rows.evidence["table"] == "courses" and rows.evidence["columns"] == ["price"]
    assert rows.evidence["legacy"] == {"price": [19.99, 24.5]} and rows.evidence["candidate"] == {"price": None}
    assert "course.update: the same write leaves different rows: courses" in rows.message
    # Both apps read one database, so they agree on what it holds: only the row comparison sees the lost field.
    assert findings(report, "cross_write_read") == [] and not report.passed


def test_a_stale_cache_in_one_app_is_reported(apps, db_url):
    candidate = stale_cache(apps[1], r"/api/v1/courses/[0-9a-f-]{36}")

    report = run(apps, db_url, candidate=candidate, steps=until("course.update"))

    stale = findings(report, "cross_write_read", "course.update")
    assert {f.evidence["writer"] for f in stale} == {"legacy", "candidate"}
    assert {"body.data.description", "body.data.price", "body.data.version"} <= {f.evidence["field"] for f in stale}


def test_a_failed_write_is_reported_and_what_depends_on_it_is_not_checked(apps, db_url):
    candidate = failing(apps[1], "POST", "/api/v1/instructor/courses")

    report = run(apps, db_url, candidate=candidate, steps=until("section.create"))

    (failed,) = findings(report, "cross_write_write")
    assert failed.operation == "course.create" and failed.evidence["writer"] == "candidate"
    assert failed.evidence["reply"]["status"] == 500
    skipped = findings(report, "cross_write_checked")
    assert {f.operation for f in skipped if f.evidence["read"] is None} == {"course.update", "section.create"}
    assert {f.evidence["read"] for f in skipped if f.operation == "course.create"} == {
        "GET /api/v1/instructor/courses/{course}", "GET /api/v1/courses/{course}"}
    assert all("needs course" in f.message for f in skipped) and not report.passed


def test_an_unreachable_database_or_an_admin_who_cannot_log_in_stop_the_check(apps, db_url):
    with pytest.raises(DatabaseUnreachable):
        check_cross_write(*apps, "postgresql://postgres@127.0.0.1:1/shared")
    with pytest.raises(DataInputError, match="cannot log in"):
        check_cross_write(*apps, db_url, CrossWriteOptions(admin_password="wrong-password"))


# -- the command ------------------------------------------------------------------------------------------------

def test_cli_runs_both_bundled_apps_on_one_database(db_url, tmp_path):
    # A process of its own: the command imports both apps in-process, and Django's settings are per process.
    command = "import harness.data.cli_paths; from harness.cli import main; main()"
    env = {**os.environ, "API_CACHE_TTL": "0"}  # see the `apps` fixture
    done = subprocess.run([sys.executable, "-c", command, "data", "cross-write", "--db", db_url, "--json",
                           "--out", str(tmp_path / "run")], env=env, capture_output=True, text=True, timeout=600)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads(done.stdout)
    assert document["passed"] is True and document["findings"] == []
    assert set(document["targets"]) == {"legacy", "candidate"}
    assert json.loads((latest_run(tmp_path / "run") / "data-crosswrite.json").read_text()) == document
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))


def test_cli_exit_codes_for_a_database_it_cannot_use(tmp_path):
    runner = CliRunner(env={"HARNESS_LEGACY_DB": None})
    missing = runner.invoke(data, ["cross-write", "--db", f"sqlite:///{tmp_path / 'missing.sqlite3'}"])
    assert missing.exit_code == 2 and "no SQLite database file" in missing.output
    unreachable = runner.invoke(data, ["cross-write", "--db", "postgresql://postgres@127.0.0.1:1/shared"])
    assert unreachable.exit_code == 3 and "cannot reach" in unreachable.output
