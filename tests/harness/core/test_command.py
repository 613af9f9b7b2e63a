"""What `harness verify` (and the other commands) say about their reports folder, a target without a schema or a
database, and a target whose health check fails (issue 10, items 4, 6 and 7)."""
from __future__ import annotations

import json
import sqlite3
import sys
import uuid

import jsonschema
import pytest
from click.testing import CliRunner

from harness import cli
from harness.core import AreaResult, register_area
from harness.core.results import SCHEMA_PATH, write_area
from harness.core.runs import new_run
from tests.support.servers import serve_wsgi

SCHEMA = json.loads(SCHEMA_PATH.read_text())

PLAIN_APPS = '''
def app(environ, start_response):
    """A plain function WSGI app: no framework, no database."""
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"status": "healthy"}']

def broken(environ, start_response):
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"\\n  database is down: connection refused\\nTraceback (most recent call last):\\n"]
'''


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"DATABASE_URL": None, "HARNESS_OUT": None, "HARNESS_AREAS": None})


@pytest.fixture
def plainapps(tmp_path, monkeypatch) -> str:
    """The plain apps' module, under a fresh name per test (a module-level app serves one database per process)."""
    name = f"plainapps_{uuid.uuid4().hex[:10]}"
    (tmp_path / f"{name}.py").write_text(PLAIN_APPS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def one_line_error(result, code: int, starts: str) -> str:
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {starts}"), result.stderr
    return result.stderr


# -- item 4: an unwritable or impossible reports folder ---------------------------------------------------------

def impossible_folders(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    return {"proc": "/proc/harness-reports", "under-a-file": str(tmp_path / "a-file" / "reports"),
            "a-file": str(tmp_path / "a-file")}


@pytest.mark.parametrize("kind", ["proc", "under-a-file", "a-file"])
@pytest.mark.parametrize("how", ["--out", "HARNESS_OUT"])
@pytest.mark.parametrize("command", ["verify", "contract"])
def test_an_impossible_reports_folder_is_one_line_and_exit_2(runner, in_tmp, kind, how, command):
    folder = impossible_folders(in_tmp)[kind]
    args, env = ([command, "--out", folder], {}) if how == "--out" else ([command], {"HARNESS_OUT": folder})

    result = runner.invoke(cli.main, args, env=env)

    message = one_line_error(result, 2, "cannot create the reports folder ")
    assert folder in message and "--out or HARNESS_OUT" in message


@pytest.mark.parametrize("kind", ["proc", "under-a-file"])
@pytest.mark.parametrize("command", ["schema", "rows"])
def test_the_data_commands_refuse_an_impossible_out_in_one_line(runner, in_tmp, kind, command):
    for name in ("legacy", "candidate"):
        with sqlite3.connect(in_tmp / f"{name}.sqlite3") as db:
            db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    folder = impossible_folders(in_tmp)[kind]

    result = runner.invoke(cli.main, ["data", command, "--legacy-db", f"sqlite:///{in_tmp / 'legacy.sqlite3'}",
                                      "--candidate-db", f"sqlite:///{in_tmp / 'candidate.sqlite3'}", "--out", folder])

    one_line_error(result, 2, "cannot ")


def test_writing_a_result_where_it_cannot_go_is_a_reports_error(tmp_path):
    from harness.core.results import ReportsError

    (tmp_path / "a-file").write_text("")
    with pytest.raises(ReportsError, match=r"^cannot write .*a-file/run/targets.json: Not a directory"):
        write_area(tmp_path / "a-file" / "run", AreaResult(area="targets", passed=True))
    with pytest.raises(ReportsError, match=r"^cannot create the reports folder .*: Not a directory"):
        new_run(tmp_path / "a-file" / "reports", seed=0, scale="small")
    assert ReportsError("x").exit_code == 2


# -- item 6: a plain WSGI candidate; a health check that answers 500 --------------------------------------------

def test_a_plain_wsgi_candidate_without_a_schema_is_told_how_to_give_it_one(runner, in_tmp, plainapps):
    result = runner.invoke(cli.main, ["verify", "--candidate", f"{plainapps}:app"], env={"HARNESS_AREAS": "targets"})

    message = one_line_error(result, 2, "candidate: its database sqlite:///")
    assert "has no schema to seed (no SQLite file at " in message
    assert "candidate.prepare" in message and "candidate.seed = false" in message
    assert "--create-schema" not in message


def test_a_plain_wsgi_candidate_runs_when_told_not_to_seed(runner, in_tmp, plainapps):
    result = runner.invoke(cli.main, ["verify", "--candidate", f"{plainapps}:app"],
                           env={"HARNESS_AREAS": "targets", "HARNESS_CANDIDATE_SEED": "false"})

    assert result.exit_code == 0, result.output


def test_a_health_check_answering_500_names_the_target_the_status_and_the_body(runner, in_tmp, standin,
                                                                               plainapps):
    (in_tmp / "harness.toml").write_text(f'areas = ["targets"]\n[legacy]\napp = "{standin}:create_app"\n'
                                         f'seed = false\n[candidate]\napp = "{plainapps}:broken"\nseed = false\n')

    result = runner.invoke(cli.main, ["verify"])

    assert result.exit_code == 1, result.output
    expected = ("candidate answered 500 Internal Server Error to GET /health: database is down: connection "
                "refused; expected 200")
    assert f"\n      {expected}\n" in result.stdout  # under the failed area's line, not only in targets.json
    written = json.loads((in_tmp / "reports" / "latest" / "targets.json").read_text())
    assert [f["message"] for f in written["findings"]] == [expected]


# -- item 7: a URL candidate (an external service) ----------------------------------------------------------------

@pytest.fixture
def served(standin):
    with serve_wsgi(__import__(standin).create_app({"DATABASE_URL": "external"})) as url:
        yield url


@pytest.fixture
def database_area(isolated_registry):
    ran = []

    @register_area("needs_db", order=6, needs_database=True)
    def needs_db(run, settings, targets):
        ran.append(run.run_id)
        return AreaResult(area="needs_db", passed=True)

    return ran


def test_a_url_candidate_is_not_seeded_and_an_area_that_needs_its_database_is_skipped(
        runner, in_tmp, standin, served, database_area):
    (in_tmp / "harness.toml").write_text(f'areas = ["targets", "needs_db"]\n[legacy]\napp = "{standin}:create_app"\n'
                                         'seed = false\n')

    result = runner.invoke(cli.main, ["verify", "--candidate", served])

    assert result.exit_code == 0, (result.output, result.exception)
    assert database_area == []  # not run: the candidate has no database
    assert f"Note: candidate is an external service at {served} (no database_url configured): the harness did " \
           "not seed it" in result.stdout
    assert "  needs_db  skipped" in result.stdout
    latest = in_tmp / "reports" / "latest"
    targets, skipped = (json.loads((latest / f"{name}.json").read_text()) for name in ("targets", "needs_db"))
    for written in (targets, skipped):
        jsonschema.validate(written, SCHEMA)
    assert targets["passed"] is True
    assert targets["targets"]["candidate"]["not_seeded"].startswith("an external service")
    assert [(f["id"], f["severity"]) for f in targets["findings"]] == [("targets.not_seeded.candidate", "info")]
    assert skipped["passed"] is True and skipped["skipped"].startswith("candidate has no database")
    assert [(f["check"], f["severity"]) for f in skipped["findings"]] == [("area_applies", "info")]
    record = json.loads((latest / "run.json").read_text())
    assert record["status"] == "completed" and record["notes"] and record["passed"] is True


def test_a_url_candidate_whose_database_holds_rows_is_left_alone(runner, in_tmp, standin, served):
    with sqlite3.connect(in_tmp / "external.sqlite3") as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
        db.execute("INSERT INTO users VALUES (1)")
    (in_tmp / "harness.toml").write_text(f'areas = ["targets"]\n[legacy]\napp = "{standin}:create_app"\n'
                                         'seed = false\n')

    result = runner.invoke(cli.main, ["verify", "--candidate", served],
                           env={"HARNESS_CANDIDATE_DATABASE_URL": f"sqlite:///{in_tmp / 'external.sqlite3'}"})

    assert result.exit_code == 0, (result.output, result.stderr)
    assert "already holds rows" not in result.output
    assert "(its database: sqlite:///" in result.stdout
