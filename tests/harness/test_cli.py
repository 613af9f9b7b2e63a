"""The `harness` command: `seed` and `serve legacy`, their output and their exit codes."""
from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from harness import cli
from harness.seed import accounts, planned_rows
from harness.seed.ids import seeded_uuid
from harness.seed.writer import SEED_TABLES


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"DATABASE_URL": None})  # --db must come from the test, never the environment


def counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar() for t in SEED_TABLES}
    finally:
        engine.dispose()


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
    assert counts(url) == seeded_counts("small")
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
    assert counts(db_url) == seeded_counts("small", 3) != seeded_counts("small", 0)
    with sa.create_engine(db_url).connect() as conn:  # the seed-0 admin is gone, seed 3's is there
        ids = set(conn.execute(sa.text("SELECT id FROM users")).scalars())
    assert seeded_uuid(3, "users", 0) in ids and seeded_uuid(0, "users", 0) not in ids


@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_seed_medium_on_postgres(runner, db_url):
    result = runner.invoke(cli.main, ["seed", "--db", db_url, "--scale", "medium", "--reset", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["method"] == "copy"
    assert counts(db_url) == seeded_counts("medium")


def test_progress_bar_on_a_terminal_only_and_not_with_quiet(runner, tmp_path, monkeypatch):
    from rich.console import Console

    screen = io.StringIO()
    monkeypatch.setattr(cli, "_stderr_console", lambda: Console(file=screen, force_terminal=True, width=120))
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
    (["--db", "postgresql://postgres@127.0.0.1:1/harness"],
     "Error: cannot reach the database at postgresql+psycopg://postgres@127.0.0.1:1/harness"),
    (["--db", "sqlite:///{tmp}/missing.sqlite3"], "Error: no SQLite database file at {tmp}/missing.sqlite3"),
    (["--db", "{empty}"], "Error: the database has no tables of the shared schema: create the schema first"),
    (["--db", "{seeded}"], "Error: the database already holds rows; pass --reset to replace them"),
    (["--db", "{seeded}", "--scale", "huge"], "Error: Invalid value for '--scale': 'huge' is not one of"),
    (["--db", "{seeded}", "--seed", "-1"], "Error: Invalid value for '--seed': -1 is not in the range x>=0."),
    (["--db", "{seeded}", "--seed", "one"], "Error: Invalid value for '--seed': 'one' is not a valid integer"),
    ([], "Error: Missing option '--db'."),
], ids=["bad-url", "unknown-driver", "unreachable", "missing-file", "no-schema", "not-empty", "unknown-scale",
        "negative-seed", "non-integer-seed", "no-db"])
def test_seed_refuses_bad_input_with_exit_2_and_a_one_line_reason(runner, tmp_path, empty_sqlite, sqlite_template,
                                                                    args, reason):
    seeded = tmp_path / "seeded.sqlite3"
    seeded.write_bytes(sqlite_template.read_bytes())
    fill = {"tmp": str(tmp_path), "empty": empty_sqlite, "seeded": f"sqlite:///{seeded}"}
    before = counts(fill["seeded"])

    result = runner.invoke(cli.main, ["seed", *(a.format(**fill) for a in args)])

    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(reason.format(**fill)), result.stderr
    assert result.stdout == ""
    assert counts(fill["seeded"]) == before
    assert not (tmp_path / "missing.sqlite3").exists()


def test_create_schema_refuses_an_unreachable_database(runner):
    result = runner.invoke(cli.main, ["seed", "--db", "postgresql://postgres@127.0.0.1:1/harness", "--create-schema"])

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: cannot reach the database at ")


def test_help_lists_the_commands(runner):
    result = runner.invoke(cli.main, ["--help"])

    assert result.exit_code == 0
    assert "seed" in result.stdout and "serve" in result.stdout


# -- harness serve legacy -----------------------------------------------------------------------------

@pytest.fixture
def served(monkeypatch) -> dict:
    """Replaces the blocking server with a recorder of what would have been served."""
    from legacy_flask.extensions import socketio

    calls: dict = {}

    def run(app, **kwargs):
        calls.update(app=app, **kwargs)

    monkeypatch.setattr(socketio, "run", run)
    return calls


def test_serve_legacy_creates_seeds_and_serves_on_loopback(runner, tmp_path, served):
    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    port = free_port()

    result = runner.invoke(cli.main, ["serve", "legacy", "--db", url, "--port", str(port)])

    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("127.0.0.1", port)
    assert served["app"].config["DATABASE_URL"] == url
    assert served["app"].config["RATELIMIT_ENABLED"] is False
    assert counts(url) == seeded_counts("small")
    assert f"Legacy Unpuzzle API on http://127.0.0.1:{port}/api/v1" in result.stdout
    for account in accounts.DOCUMENTED:
        assert any(line.split()[:2] == [account.email, account.password] for line in result.stdout.splitlines())
    assert "Rate limits off" in result.stdout


def test_serve_legacy_leaves_a_seeded_database_alone(runner, db_url, served):
    before = counts(db_url)

    result = runner.invoke(cli.main, ["serve", "legacy", "--db", db_url, "--port", str(free_port()),
                                      "--seed", "5", "--rate-limits"])

    assert result.exit_code == 0, result.output
    assert "already holds rows; serving it as is" in result.stdout
    assert counts(db_url) == before
    assert served["app"].config["RATELIMIT_ENABLED"] is True


def test_serve_legacy_defaults_to_the_embedded_sqlite_database(runner, tmp_path, monkeypatch, served):
    import legacy_flask.config

    default = tmp_path / "reports" / "legacy_flask.sqlite3"
    monkeypatch.setattr(legacy_flask.config, "DEFAULT_DB", f"sqlite:///{default}")

    result = runner.invoke(cli.main, ["serve", "legacy", "--port", str(free_port())])

    assert result.exit_code == 0, result.output
    assert counts(f"sqlite:///{default}") == seeded_counts("small")


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

    assert result.exit_code == 2
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
    ("http://127.0.0.1:1", 3, "cannot reach http://127.0.0.1:1"),
])
def test_replay_refuses_remote_hosts_and_reports_unreachable_ones(runner, base_url, code, reason):
    result = runner.invoke(cli.main, ["replay", "--base-url", base_url])
    assert result.exit_code == code
    assert reason in result.stderr
