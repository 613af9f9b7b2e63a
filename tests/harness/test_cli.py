"""The `harness` command: `seed` and `serve`, their output and their exit codes."""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from harness import cli
from harness.commands import seed as seed_command
from harness.commands import serve as serve_command
from harness.seed import accounts, planned_rows
from harness.seed.ids import seeded_uuid
from harness.seed.writer import SEED_TABLES
from tests.conftest import row_counts


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"DATABASE_URL": None})  # --db must come from the test, never the environment




def seeded_counts(scale: str, seed: int = 0) -> dict[str, int]:
    return {t: planned_rows(scale, seed).get(t, 0) for t in SEED_TABLES}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- harness seed -------------------------------------------------------------------------------------

def test_seed_creates_the_schema_and_reports_rows_per_table(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"

    result = runner.invoke(cli.main, ["seed", "--db", url, "--scale", "small", "--seed", "0", "--create-schema"])

    assert result.exit_code == 0, result.output
    assert row_counts(url) == seeded_counts("small")
    lines = result.stdout.splitlines()
    assert lines[0] == f"Seeded {url} (scale small, seed 0, INSERT)"
    for table, rows in planned_rows("small").items():
        assert any(line.split() == [table, str(rows)] for line in lines), table
    total = sum(planned_rows("small").values())
    assert re.fullmatch(rf"  total +{total} rows in \d+\.\d s \([\d,]+ rows/s\)", lines[-1]), lines[-1]
    assert result.stderr == ""  # no progress bar off a terminal


def test_seed_json_report(runner, tmp_path):
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"

    result = runner.invoke(cli.main, ["seed", "--db", url, "--create-schema", "--seed", "7", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report.keys() == {"url", "scale", "seed", "method", "rows", "total", "seconds", "rows_per_second"}
    assert (report["scale"], report["seed"], report["method"]) == ("small", 7, "insert")
    assert report["rows"] == planned_rows("small", 7)
    assert report["total"] == sum(report["rows"].values())
    assert report["seconds"] > 0 and report["rows_per_second"] > 0


def test_seed_reset_replaces_the_rows(runner, db_url):
    result = runner.invoke(cli.main, ["seed", "--db", db_url, "--seed", "3", "--reset", "--json"])

    assert result.exit_code == 0, result.output
    assert row_counts(db_url) == seeded_counts("small", 3) != seeded_counts("small", 0)
    with sa.create_engine(db_url).connect() as conn:  # the seed-0 admin is gone, seed 3's is there
        ids = set(conn.execute(sa.text("SELECT id FROM users")).scalars())
    assert seeded_uuid(3, "users", 0) in ids and seeded_uuid(0, "users", 0) not in ids


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_seed_medium_on_postgres(runner, db_url):
    result = runner.invoke(cli.main, ["seed", "--db", db_url, "--scale", "medium", "--reset", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["method"] == "copy"
    assert row_counts(db_url) == seeded_counts("medium")


def test_progress_bar_on_a_terminal_only_and_not_with_quiet(runner, tmp_path, monkeypatch):
    from rich.console import Console

    screen = io.StringIO()
    monkeypatch.setattr(seed_command, "stderr_console", lambda: Console(file=screen, force_terminal=True, width=120))
    total = sum(planned_rows("small").values())

    first = runner.invoke(cli.main, ["seed", "--db", f"sqlite:///{tmp_path / 'a.sqlite3'}", "--create-schema"])
    assert first.exit_code == 0, first.output
    assert f"{total}/{total}" in screen.getvalue()

    screen.truncate(0)
    quiet = runner.invoke(cli.main, ["seed", "--db", f"sqlite:///{tmp_path / 'b.sqlite3'}", "--create-schema", "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert screen.getvalue() == ""


@pytest.fixture
def empty_sqlite(tmp_path) -> str:
    path = tmp_path / "empty.sqlite3"
    sa.create_engine(f"sqlite:///{path}").connect().close()
    return f"sqlite:///{path}"


@pytest.mark.parametrize("args, reason", [
    (["--db", "not a url"], "Error: not a database URL: 'not a url'"),
    (["--db", "nosuchdialect://host/db"], "Error: no database driver for 'nosuchdialect'"),
    (["--db", "sqlite:///{tmp}/missing.sqlite3"], "Error: no SQLite database file at {tmp}/missing.sqlite3"),
    (["--db", "{empty}"], "Error: the database has no tables of the shared schema: create the schema first"),
    (["--db", "{seeded}"], "Error: the database already holds rows; pass --reset to replace them"),
    (["--db", "{seeded}", "--scale", "huge"], "Error: Invalid value for '--scale': 'huge' is not one of"),
    (["--db", "{seeded}", "--seed", "-1"], "Error: Invalid value for '--seed': -1 is not in the range x>=0."),
    (["--db", "{seeded}", "--seed", "one"], "Error: Invalid value for '--seed': 'one' is not a valid integer"),
    ([], "Error: Missing option '--db'."),
], ids=["bad-url", "unknown-driver", "missing-file", "no-schema", "not-empty", "unknown-scale",
        "negative-seed", "non-integer-seed", "no-db"])
def test_seed_refuses_bad_input_with_exit_2_and_a_one_line_reason(runner, tmp_path, empty_sqlite, sqlite_template,
                                                                    args, reason):
    seeded = tmp_path / "seeded.sqlite3"
    seeded.write_bytes(sqlite_template.read_bytes())
    fill = {"tmp": str(tmp_path), "empty": empty_sqlite, "seeded": f"sqlite:///{seeded}"}
    before = row_counts(fill["seeded"])

    result = runner.invoke(cli.main, ["seed", *(a.format(**fill) for a in args)])

    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(reason.format(**fill)), result.stderr
    assert result.stdout == ""
    assert row_counts(fill["seeded"]) == before
    assert not (tmp_path / "missing.sqlite3").exists()


def test_create_schema_refuses_an_unreachable_database(runner):
    result = runner.invoke(cli.main, ["seed", "--db", "postgresql://postgres@127.0.0.1:1/harness", "--create-schema"])

    assert result.exit_code == 3  # connection refused: a server that cannot be reached
    assert result.stderr.startswith("Error: cannot reach the database at ")


def test_help_lists_the_commands(runner):
    result = runner.invoke(cli.main, ["--help"])

    assert result.exit_code == 0
    assert "seed" in result.stdout and "serve" in result.stdout


# -- harness serve -----------------------------------------------------------------------------------

@pytest.fixture
def served(monkeypatch) -> dict:
    """Replaces the blocking server with a recorder of what would have been served."""
    calls: dict = {}

    def run(app, host, port):
        calls.update(app=app, host=host, port=port)

    monkeypatch.setattr(serve_command, "serve_wsgi", run)
    return calls


def test_serve_legacy_creates_seeds_and_serves_on_loopback(runner, tmp_path, served):
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    port = free_port()

    result = runner.invoke(cli.main, ["serve", "legacy", "--db", url, "--port", str(port)])

    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", port)
    assert served["app"].config["DATABASE_URL"] == url
    assert served["app"].config["RATELIMIT_ENABLED"] is False
    assert row_counts(url) == seeded_counts("small")
    assert f"The legacy target (legacy_flask:create_app) on http://127.0.0.1:{port}/api/v1" in result.stdout
    for account in accounts.DOCUMENTED:
        assert any(line.split()[:2] == [account.email, account.password] for line in result.stdout.splitlines())
    assert "Rate limits off" in result.stdout


def test_serve_legacy_leaves_a_seeded_database_alone(runner, db_url, served):
    before = row_counts(db_url)

    result = runner.invoke(cli.main, ["serve", "legacy", "--db", db_url, "--port", str(free_port()),
                                      "--seed", "5", "--rate-limits"])

    assert result.exit_code == 0, result.output
    assert "already holds rows; serving it as is" in result.stdout
    assert row_counts(db_url) == before
    assert served["app"].config["RATELIMIT_ENABLED"] is True


def test_serve_defaults_to_a_sqlite_file_in_a_run_folder_of_its_own(runner, tmp_path, served):
    result = runner.invoke(cli.main, ["serve", "legacy", "--port", str(free_port())],
                           env={"HARNESS_OUT": str(tmp_path / "reports"), "DATABASE_URL": None})

    assert result.exit_code == 0, result.output
    (database,) = (tmp_path / "reports").glob("*/targets/legacy/database.sqlite3")
    assert row_counts(f"sqlite:///{database}") == seeded_counts("small")


def test_serve_candidate_serves_the_configured_candidate_migrated_and_seeded(runner, tmp_path, served):
    """The candidate target as configured (the embedded default: reference_django, its prepare step migrating
    the database): the same command serves either side."""
    url = f"sqlite:///{tmp_path / 'candidate.sqlite3'}"

    result = runner.invoke(cli.main, ["serve", "candidate", "--db", url, "--port", str(free_port())])

    assert result.exit_code == 0, result.output
    assert row_counts(url) == seeded_counts("small")
    assert "The candidate target (reference_django.config.wsgi:application)" in result.stdout
    assert callable(served["app"])


def test_serve_refuses_an_external_url_target(runner, served):
    result = runner.invoke(cli.main, ["serve", "candidate"], env={"HARNESS_CANDIDATE_URL": "http://127.0.0.1:9"})

    assert result.exit_code == 2 and "is an external service (http://127.0.0.1:9): it is served already" in \
        result.stderr
    assert served == {}


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_serve_refuses_a_non_loopback_host(runner, tmp_path, host, served):
    result = runner.invoke(cli.main, ["serve", "legacy", "--host", host, "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}"])

    assert result.exit_code == 2
    assert result.stderr.strip() == (f"Error: refusing to listen on {host!r}: the harness works on loopback only "
                                     f"(e.g. 127.0.0.1)")
    assert served == {} and not (tmp_path / "x.sqlite3").exists()


def test_serve_refuses_an_unreachable_database(runner, served):
    result = runner.invoke(cli.main, ["serve", "legacy", "--db", "postgresql://postgres@127.0.0.1:1/harness",
                                      "--port", str(free_port())])

    assert result.exit_code == 3  # connection refused: a server that cannot be reached
    assert result.stderr.startswith("Error: cannot reach the database at postgresql+psycopg://postgres@127.0.0.1:1/")
    assert served == {}


def test_serve_reports_a_taken_port_with_exit_3(runner, tmp_path, served):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = runner.invoke(cli.main, ["serve", "legacy", "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}",
                                          "--port", str(port)])

    assert result.exit_code == 3
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")
    assert served == {} and not (tmp_path / "x.sqlite3").exists()


def test_serve_legacy_answers_over_http(runner, tmp_path):
    """The real server, in its own process: health, a documented login, then the whole Postman
    collection replayed over HTTP by `harness replay`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", "legacy", "--port", str(port),
                               "--db", f"sqlite:///{tmp_path / 'http.sqlite3'}"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "REDIS_URL": ""})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as resp:
                    assert resp.status == 200 and json.load(resp)["status"] == "healthy"
                    break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        login = urllib.request.Request(f"{base}/api/v1/auth/login", method="POST",
                                       headers={"Content-Type": "application/json"},
                                       data=json.dumps({"email": accounts.INSTRUCTOR.email,
                                                        "password": accounts.INSTRUCTOR.password}).encode())
        with urllib.request.urlopen(login, timeout=5) as resp:
            assert resp.status == 200
            assert json.load(resp)["data"]["user"]["email"] == accounts.INSTRUCTOR.email
        replayed = runner.invoke(cli.main, ["replay", "--base-url", base])
        assert replayed.exit_code == 0, replayed.output
        assert "61/61 collection requests got their documented status" in replayed.stdout
        again = runner.invoke(cli.main, ["replay", "--base-url", base])
        assert again.exit_code == 1, "the collection's user exists now: its signup must be refused"
        assert "reproduce P1: curl -i -X POST" in again.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("base_url, code, reason", [
    ("http://10.1.2.3:5000", 2, "refusing to send requests to '10.1.2.3'"),
    ("http://127.0.0.1:1", 3, "cannot reach http://127.0.0.1:1: [Errno 111] Connection refused"),
])
def test_replay_refuses_remote_hosts_and_reports_unreachable_ones(runner, base_url, code, reason):
    result = runner.invoke(cli.main, ["replay", "--base-url", base_url])
    assert result.exit_code == code
    assert reason in result.stderr


# -- issue 10: bad databases, exit codes, serve's environment and output, warning noise -----------------------

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.mark.parametrize("command", [["seed"], ["seed", "--create-schema"], ["serve", "legacy"]])
def test_a_file_that_is_not_sqlite_is_a_configuration_error(runner, served, command):
    before = README.read_bytes()

    result = runner.invoke(cli.main, [*command, "--db", f"sqlite:///{README}", "--port", str(free_port())]
                           if command[0] == "serve" else [*command, "--db", f"sqlite:///{README}"])

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"Error: cannot open the database at sqlite:///{README}: file is not a database")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert README.read_bytes() == before and served == {}


@pytest.mark.parametrize("command", [["seed"], ["serve", "legacy"]])
@pytest.mark.postgres
def test_a_missing_postgres_database_is_2_and_a_refused_connection_is_3(runner, served, command, pg_admin_url):
    extra = ["--port", str(free_port())] if command[0] == "serve" else []
    server = sa.engine.make_url(pg_admin_url)
    missing_url = server.set(database="no_such_db_10")
    missing = runner.invoke(cli.main, [*command, "--db", missing_url.render_as_string(hide_password=False), *extra])
    refused = runner.invoke(cli.main, [*command, "--db", server.set(port=1).render_as_string(hide_password=False),
                                       *extra])

    assert missing.exit_code == 2, missing.output
    assert missing.stderr.strip() == (f"Error: cannot use the database at {missing_url.render_as_string()}: "
                                      'database "no_such_db_10" does not exist')
    assert refused.exit_code == 3, refused.output
    assert refused.stderr.startswith("Error: cannot reach the database at ")
    assert served == {}


def test_serve_legacy_honours_database_url(tmp_path, served):
    url = f"sqlite:///{tmp_path / 'from-env.sqlite3'}"

    result = CliRunner(env={"DATABASE_URL": url}).invoke(cli.main, ["serve", "legacy", "--port", str(free_port())])

    assert result.exit_code == 0, result.output
    assert served["app"].config["DATABASE_URL"] == url
    assert row_counts(url) == seeded_counts("small")


def test_serve_legacy_output_is_plain_without_a_terminal(tmp_path):
    """No development-server warning, no Flask banner, no ANSI colour codes in a log file."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as sink:
        server = subprocess.Popen([sys.executable, "-m", "harness.cli", "serve", "legacy", "--port", str(port),
                                   "--db", f"sqlite:///{tmp_path / 'plain.sqlite3'}"],
                                  stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env={**os.environ, "REDIS_URL": ""})
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page", timeout=5)
            except urllib.error.HTTPError:
                pass  # a 404: werkzeug colours it yellow on a terminal
        finally:
            server.terminate()
            server.wait(timeout=10)
    output = log.read_text()
    assert "\x1b[" not in output, output
    assert "development server" not in output and "production" not in output and "Serving Flask app" not in output
    assert '"GET /health HTTP/1.1" 200' in output and '"GET /no-such-page HTTP/1.1" 404' in output


def test_both_apps_in_one_process_register_their_tasks_without_a_duplicate_name_warning():
    code = (
        "import os, warnings\n"
        "warnings.simplefilter('always')\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'reference_django.config.settings.test')\n"
        "from legacy_flask import create_app\n"
        "app = create_app({'DATABASE_URL': 'sqlite://', 'REDIS_URL': ''})\n"
        "import django; django.setup()\n"
        "from reference_django.config.celery import app as django_celery\n"
        "import reference_django.media.tasks\n"
        "name = 'legacy_flask.process_media'\n"
        "print(type(django_celery.tasks[name]).__module__, app.extensions['celery'].tasks[name].run.__module__)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert "DuplicateTaskNameWarning" not in result.stderr, result.stderr
    assert result.stdout.split() == ["reference_django.media.tasks", "legacy_flask.tasks"]


# -- harness verify: settings, targets, exit codes ----------------------------------------------------------------

@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """A working directory without harness.toml or pyproject.toml: the embedded default unless a test writes one."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("toml, args, env, reason", [
    ("sed = 3", [], {}, "sed (from harness.toml): unknown key; expected one of out, scale, seed, areas, json, "
                        "accepted, legacy, candidate"),
    ("[legacy]\ndatabse_url = 'x'", [], {}, "legacy.databse_url (from harness.toml): unknown key; expected one of "
                                            "kind, app, factory,"),
    ("seed = 'zero'", [], {}, "seed = 'zero' (from harness.toml): expected a non-negative integer"),
    ("scale = 'huge'", [], {}, "scale = 'huge' (from harness.toml): expected one of small, medium, large"),
    ("[candidate]\nkind = 'ftp'", [], {}, "candidate.kind = 'ftp' (from harness.toml): expected one of wsgi, "
                                          "spawn, url"),
    ("[candidate]\nurl = 'ftp://127.0.0.1'", [], {},
     "candidate.url = 'ftp://127.0.0.1' (from harness.toml): expected an http:// or https:// base URL"),
    ("[candidate]\nurl = 'http://10.1.2.3:8000'", [], {},
     "candidate.url = 'http://10.1.2.3:8000' (from harness.toml): expected a loopback URL (127.0.0.1, ::1 or "
     "localhost) unless candidate.allow_remote = true"),
    ("[legacy]\napp = 'legacy_flask'", [], {}, "legacy.app = 'legacy_flask' (from harness.toml): expected an "
                                               "import string such as package.module:attribute"),
    ("[legacy]\napp = 'no_such_module:app'", [], {},
     "legacy.app = 'no_such_module:app' (from harness.toml): expected an importable module (no module named "
     "'no_such_module'"),
    ("[candidate]\nkind = 'spawn'", [], {}, "candidate.app (from harness.toml): missing; a spawn target needs an "
                                            "import string for gunicorn, or a command"),
    ("[legacy]\nurl = 'http://127.0.0.1:9'", [], {"HARNESS_LEGACY_KIND": "wsgi"},
     "legacy.app (from HARNESS_LEGACY_KIND): missing; a wsgi target needs an import string"),
    ("[legacy]\nkind = 'wsgi'\ncommand = 'serve'", [], {},
     "legacy.command (from harness.toml): does not apply to a wsgi target (only to spawn)"),
    ("[legacy]\ndatabase_url = 'not a url'", [], {},
     "legacy.database_url = 'not a url' (from harness.toml): expected a database URL such as sqlite:///"),
    ("[legacy]\nprepare = ['migrate --to {nope}']", [], {},
     "legacy.prepare = '{nope}' (from harness.toml): expected placeholders among {app}, {database_url}, {python}, "
     "{run_dir}, {target_dir} (not {nope})"),
    ("[legacy]\nkind = 'spawn'\napp = 'a:b'\nhost = '0.0.0.0'", [], {},
     "legacy.host = '0.0.0.0' (from harness.toml): expected a loopback address"),
    ("[legacy]\nkind = 'spawn'\napp = 'a:b'\nstop_timeout = -1", [], {},
     "legacy.stop_timeout = -1 (from harness.toml): expected a positive number of seconds"),
    ("[legacy]\nenv = { A = [1] }", [], {}, "legacy.env = {'A': [1]} (from harness.toml): expected a table of "
                                            "environment variables with string values (A is not one)"),
    ("", [], {"HARNESS_SEED": "abc"}, "seed = 'abc' (from HARNESS_SEED): expected a non-negative integer"),
    ("", [], {"HARNESS_LEGACY_RESET": "maybe"}, "legacy.reset = 'maybe' (from HARNESS_LEGACY_RESET): expected "
                                                "true or false"),
    ("", ["--candidate", "nonsense"], {}, "--candidate = 'nonsense' (from --candidate): expected a loopback "
                                          "http(s) base URL or an import string"),
    ("", ["--config", "missing.toml"], {}, "--config = 'missing.toml' (from --config): expected an existing TOML "
                                           "file"),
    ("seed = ", [], {}, "harness.toml: not valid TOML: "),
    ("areas = ['targets', 'nope']", [], {}, "areas = ['targets', 'nope'] (from harness.toml): expected names of "
                                            "registered areas ("),
], ids=["unknown-key", "unknown-target-key", "wrong-type", "unknown-scale", "unknown-kind", "bad-url",
        "remote-url", "bad-import-string", "unimportable", "missing-app", "missing-app-after-kind-change",
        "key-of-another-kind", "bad-database-url", "unknown-placeholder", "non-loopback-host", "negative-timeout",
        "env-table", "env-integer", "env-boolean", "bad-target-option", "missing-config", "bad-toml",
        "unknown-area"])
def test_verify_refuses_each_bad_setting_with_exit_2_and_one_line(runner, in_tmp, toml, args, env, reason):
    (in_tmp / "harness.toml").write_text(toml + "\n")

    result = runner.invoke(cli.main, ["verify", *args], env=env)

    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"Error: {reason}"), result.stderr
    assert result.stdout == ""
    assert not (in_tmp / "reports").exists()  # nothing started, nothing written


def test_verify_runs_the_default_legacy_against_itself_and_writes_the_results(runner, in_tmp):
    import jsonschema

    from harness.core.results import SCHEMA_PATH

    result = runner.invoke(cli.main, ["verify", "--candidate", "legacy_flask:create_app", "--json"],
                           env={"HARNESS_AREAS": "targets"})

    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress off a terminal
    report = json.loads(result.stdout)
    assert report["passed"] is True and [a["area"] for a in report["areas"]] == ["targets"]
    written = json.loads((in_tmp / "reports" / "latest" / "targets.json").read_text())
    jsonschema.validate(written, json.loads(SCHEMA_PATH.read_text()))
    assert written == report["areas"][0]
    assert written["targets"]["candidate"] == {
        "kind": "wsgi", "app": "legacy_flask:create_app", "base_url": None,
        "database": f"sqlite:///{in_tmp / 'reports' / report['run_id'] / 'targets' / 'candidate' / 'database.sqlite3'}"}


def test_verify_exits_1_and_names_the_area_when_a_gate_fails(runner, in_tmp):
    (in_tmp / "harness.toml").write_text("areas = ['targets']\n[legacy]\nhealth_path = '/no-such-path'\nseed = false\n"
                                         "[candidate]\napp = 'legacy_flask:create_app'\nseed = false\n")

    result = runner.invoke(cli.main, ["verify"])

    assert result.exit_code == 1, result.output
    assert re.search(r"^  targets  FAILED .* 1 findings \(1 critical/high\)$", result.stdout, re.M), result.stdout
    assert "Failed: targets" in result.stdout.splitlines()
    # verify ends with the scorecard, whose verdict names the failed area
    assert re.search(r"^Scorecard: Safe to switch: no, because targets: failed", result.stdout, re.M), result.stdout
    assert result.stdout.splitlines()[-1].endswith("scorecard.html")


def test_verify_exits_3_with_one_line_when_a_target_is_unreachable(runner, in_tmp):
    port = free_port()

    result = runner.invoke(cli.main, ["verify", "--candidate", f"http://127.0.0.1:{port}"],
                           env={"HARNESS_CANDIDATE_STARTUP_TIMEOUT": "0.3", "HARNESS_LEGACY_SEED": "false"})

    assert result.exit_code == 3, result.output
    assert result.stderr == (f"Error: candidate: no 200 from http://127.0.0.1:{port}/health within 0.3 s "
                             f"(last: ConnectionRefusedError: [Errno 111] Connection refused)\n")


def test_verify_shows_progress_on_a_terminal_only(runner, in_tmp, monkeypatch):
    from rich.console import Console

    from harness.core import command

    screen = io.StringIO()
    monkeypatch.setattr(command, "stderr_console", lambda: Console(file=screen, force_terminal=True, width=100))

    result = runner.invoke(cli.main, ["verify", "--candidate", "legacy_flask:create_app"],
                           env={"HARNESS_AREAS": "targets", "HARNESS_LEGACY_SEED": "0",
                                "HARNESS_CANDIDATE_SEED": "0"})

    assert result.exit_code == 0, result.output
    assert "starting" in screen.getvalue() or "running" in screen.getvalue()
    assert "All 1 area(s) passed." in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1].startswith("Scorecard: ") and "scorecard" not in screen.getvalue()


# -- area command groups, imported lazily --------------------------------------------------------------------------

@pytest.fixture
def area_modules(tmp_path, monkeypatch):
    """Point the lazily imported area commands at modules written by the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    names = []

    def use(command: str, source: str | None) -> None:
        module = f"area_cli_{command}_{len(names)}_{os.getpid()}"
        names.append(module)
        if source is not None:
            (tmp_path / f"{module}.py").write_text(source)
        monkeypatch.setitem(cli.AREA_COMMANDS, command, module)

    yield use
    for module in names:
        sys.modules.pop(module, None)


def test_an_area_command_whose_module_is_missing_is_simply_absent(runner, area_modules):
    area_modules("data", None)

    listed = [line.split()[0] for line in runner.invoke(cli.main, ["--help"]).stdout.split("Commands:")[1].splitlines()
              if line.strip()]
    assert "data" not in listed and "verify" in listed
    missing = runner.invoke(cli.main, ["data"])
    assert missing.exit_code == 2 and "No such command 'data'" in missing.stderr


def test_an_area_command_module_that_does_not_import_breaks_only_its_command(runner, area_modules):
    area_modules("data", "raise RuntimeError('half written')\n")

    assert runner.invoke(cli.main, ["--help"]).exit_code == 0
    result = runner.invoke(cli.main, ["data", "rows", "--json"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: the data command is unavailable: ")
    assert "RuntimeError: half written" in result.stderr and result.stderr.count("\n") == 1


def test_an_area_command_group_is_attached_when_used(runner, area_modules):
    area_modules("data", "import click\n\n@click.group()\ndef data():\n    'Schema and row parity.'\n\n"
                         "@data.command()\ndef rows():\n    click.echo('rows compared')\n")

    assert "Schema and row parity." in runner.invoke(cli.main, ["--help"]).stdout
    result = runner.invoke(cli.main, ["data", "rows"])
    assert (result.exit_code, result.stdout) == (0, "rows compared\n")


def test_each_area_group_takes_the_common_options_for_its_subcommands(runner):
    """Both real area groups (harness/contract/cli.py, harness/data/cli.py) carry the common options and
    hand them to their subcommands; with no subcommand they run their area on the configured targets."""
    from harness.contract.cli import contract
    from harness.data.cli import data

    for group in (contract, data):
        assert isinstance(group, click.Group) and group.invoke_without_command
        assert {"--config", "--legacy", "--candidate", "--out", "--json"} <= {
            option for param in group.params for option in param.opts}
    assert cli.main.get_command(click.Context(cli.main), "contract") is contract
    assert cli.main.get_command(click.Context(cli.main), "data") is data
