"""Issue 10, item 6 (data part): inside `harness verify` the migration paths check the CONFIGURED candidate's
migrations, never the bundled reference_django's. A candidate the harness cannot drive as a Django project
(no `manage … migrate` prepare step, no data.migrate_manage) gets an info finding saying why, and nothing runs.

Before the fix the area always ran `{python} -m reference_django.manage`, whatever the candidate was."""
from __future__ import annotations

import sys

import pytest

from harness.core.config import load_settings
from harness.core.results import AreaResult, Severity
from harness.core.runs import new_run
from harness.core.targets import make_target
from harness.data import area, migrate
from harness.data.connect import DataInputError


@pytest.fixture
def run(tmp_path):
    return new_run(tmp_path / "reports", seed=0, scale="small")


@pytest.fixture
def plain_candidate(tmp_path, monkeypatch) -> str:
    """A plain WSGI app (issue 10 item 6's `--candidate module:app`): importable, not a Django project."""
    (tmp_path / "plain_candidate_app.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return "plain_candidate_app:app"


def candidate_target(tmp_path, run, **options):
    settings = load_settings(None, environ={}, cwd=tmp_path, options={"out": tmp_path / "reports", **options})
    return make_target(settings.candidate, run)


@pytest.fixture
def recorded(monkeypatch):
    """check_migration replaced: the commands it was given, nothing run."""
    calls = []

    def fake(legacy_url, empty_url, options):
        calls.append(options.commands)
        return migrate.MigrateReport(legacy_url, empty_url)

    monkeypatch.setattr(migrate, "check_migration", fake)
    return calls


def test_a_candidate_that_is_not_a_django_project_is_skipped_with_the_reason(tmp_path, run, recorded,
                                                                              plain_candidate):
    candidate = candidate_target(tmp_path, run, candidate=plain_candidate)
    result = AreaResult(area="data", passed=True)

    area._migration_paths(run, {}, f"sqlite:///{tmp_path / 'legacy.sqlite3'}", result, candidate)

    assert recorded == []  # reference_django's migrations are not checked in its place
    (finding,) = result.findings
    assert finding.id == "data.migrate.skipped" and finding.severity == Severity.INFO
    assert plain_candidate in finding.message and "not a Django project" in finding.message
    assert "data.migrate_manage" in finding.message and result.passed


def test_the_bundled_candidate_is_driven_by_its_own_prepare_command_and_env(tmp_path, run, recorded):
    candidate = candidate_target(tmp_path, run)  # the embedded default: reference_django with its prepare step
    result = AreaResult(area="data", passed=True)

    area._migration_paths(run, {}, f"sqlite:///{tmp_path / 'legacy.sqlite3'}", result, candidate)

    (commands,) = recorded
    assert commands.manage == (sys.executable, "-m", "reference_django.manage")
    assert commands.env["DJANGO_SETTINGS_MODULE"] == "reference_django.config.settings.base"
    assert "DATABASE_URL" not in commands.env  # each step sets its own database


def test_migrate_manage_names_another_candidates_manage_command(tmp_path, run, recorded, plain_candidate):
    candidate = candidate_target(tmp_path, run, candidate=plain_candidate)
    commands, why = area.candidate_commands(candidate, "{python} -m othersite.manage")
    assert why == "" and commands.manage == (sys.executable, "-m", "othersite.manage")
    # one that cannot run is a configuration error (2), not a failed check
    result = AreaResult(area="data", passed=True)
    with pytest.raises(DataInputError, match="data.migrate_manage"):
        area._migration_paths(run, {"migrate_manage": "/nonexistent/manage"}, "sqlite:///x.sqlite3", result, candidate)
    assert recorded == []


def test_verify_checks_the_migrations_of_the_configured_candidate_not_the_bundled_one(tmp_path, monkeypatch):
    """`harness verify --candidate other:app`, with that app's manage command configured (data.migrate_manage):
    the migration paths run that command, each step on its own database, and never reference_django's."""
    import json
    import sqlite3

    from click.testing import CliRunner

    from harness import cli

    log = tmp_path / "manage.log"
    (tmp_path / "fake_candidate.py").write_text(
        "def app(environ, start_response):\n"
        "    start_response('200 OK', [('Content-Type', 'application/json')])\n"
        "    return [b'{\"status\": \"healthy\"}']\n")
    (tmp_path / "fake_manage.py").write_text(
        "import json, os, sqlite3, sys\n"
        "database = os.environ.get('DATABASE_URL') or ''\n"
        "with open(os.environ['FAKE_MANAGE_LOG'], 'a') as log:\n"
        "    log.write(json.dumps({'argv': sys.argv[1:], 'database': database}) + '\\n')\n"
        "if database.startswith('sqlite:///'):\n"
        "    sqlite3.connect(database.removeprefix('sqlite:///')).close()  # a database, with nothing in it\n")
    sqlite3.connect(tmp_path / "candidate.sqlite3").close()  # its own database, empty: the fake migrates nothing
    (tmp_path / "harness.toml").write_text(
        f'areas = ["data"]\n\n[candidate]\nseed = false\ndatabase_url = "sqlite:///{tmp_path}/candidate.sqlite3"\n\n'
        '[data]\nrows = false\nmigrate_manage = "{python} -m fake_manage"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("FAKE_MANAGE_LOG", str(log))

    result = CliRunner().invoke(cli.main, ["verify", "--candidate", "fake_candidate:app", "--json"])

    assert result.exit_code == 1, result.output  # an empty candidate database: the schema differs, as it should
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    commands = [call["argv"][:1] for call in calls]
    assert ["migrate"] in commands and ["copy_legacy_rows"] in commands
    # each step on a database of its own: the copy target, a clone of legacy; never the targets' databases
    assert all(call["database"] and "candidate.sqlite3" not in call["database"]
               and "targets/legacy" not in call["database"] for call in calls)
    (data,) = json.loads(result.stdout)["areas"]
    # the fake's `migrate` creates no table, and the copy path says so (reference_django's would have made them)
    copied = {f["message"] for f in data["findings"] if f["check"] == "copy_schema"}
    assert "copy path: the migrated schema differs from the legacy one: table users is missing from the " \
           "candidate" in copied
