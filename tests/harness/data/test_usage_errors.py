"""Issue 10, items 4, 5, 8 and 10 on `harness data`: what the user wrote is wrong -> exit 2 with one `Error:` line
on stderr and no traceback, never a pass (0) nor a "difference" (1); a server that cannot be reached -> 3; and
`--out DIR` is a reports folder like every other command's (DIR/<run-id>/..., DIR/latest), with nothing
written beside DIR.

Each case here passed (exit 0), failed as a gate (exit 1) or crashed before the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from harness.core.results import latest_run
from harness.data.cli import data

README = Path(__file__).resolve().parents[3] / "README.md"  # a file that exists and is not a SQLite database


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HARNESS_LEGACY_DB": None, "HARNESS_CANDIDATE_DB": None})


def invoke(runner: CliRunner, *args):
    return runner.invoke(data, [str(a) for a in args])


def assert_one_line_error(result, code: int, *fragments: str) -> str:
    """Exit `code`, exactly one line on stderr starting with `Error:`, no traceback anywhere, nothing on stdout."""
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.stdout == ""
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


# -- item 5: a filter or option that selects nothing, or names an unknown table or column ---------------------


@pytest.mark.parametrize("command", ["rows", "schema"])
def test_a_table_filter_that_matches_nothing_is_a_usage_error(runner, db_pair, command):
    legacy, candidate = db_pair
    line = assert_one_line_error(
        invoke(runner, command, "--legacy-db", legacy, "--candidate-db", candidate, "--tables", "zzz*"),
        2,
        "--tables 'zzz*' matches no table",
        "courses",
    )
    assert "users" in line  # the tables that exist are named
    # one pattern of several that matches nothing is as bad: that table would silently go unchecked
    assert_one_line_error(
        invoke(runner, command, "--legacy-db", legacy, "--candidate-db", candidate, "--tables", "users,userz"),
        2,
        "--tables 'userz' matches no table",
    )
    assert_one_line_error(
        invoke(runner, command, "--legacy-db", legacy, "--candidate-db", candidate, "--tables", ","),
        2,
        "--tables names no table",
    )


def test_schema_ignore_table_that_matches_nothing_is_a_usage_error(runner, db_pair):
    legacy, candidate = db_pair
    assert_one_line_error(
        invoke(runner, "schema", "--legacy-db", legacy, "--candidate-db", candidate, "--ignore-table", "coursez"),
        2,
        "--ignore-table 'coursez' matches no table",
    )


def test_two_databases_without_tables_compare_nothing_and_are_a_usage_error(runner, tmp_path):
    for name in ("a", "b"):
        sa.create_engine(f"sqlite:///{tmp_path / name}.sqlite3").connect().close()  # empty SQLite files
    for command in ("rows", "schema"):
        assert_one_line_error(
            invoke(
                runner,
                command,
                "--legacy-db",
                f"sqlite:///{tmp_path / 'a.sqlite3'}",
                "--candidate-db",
                f"sqlite:///{tmp_path / 'b.sqlite3'}",
            ),
            2,
            "no table to compare",
        )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (("--tolerance", "nosuch.price=0.01"), "--tolerance nosuch.price: matches no column"),
        (("--tolerance", "courses.nosuch=0.01"), "--tolerance courses.nosuch: matches no column"),
        (
            ("--tolerance", "courses.title=0.01"),
            "a tolerance applies to numbers and timestamps; courses.title is varchar",
        ),
        (("--precision", "courses.nosuch=ms"), "--precision courses.nosuch: matches no column"),
        (("--precision", "courses.price=ms"), "a precision applies to timestamps; courses.price is numeric"),
        (("--uuid-column", "courses.nosuch"), "--uuid-column courses.nosuch: matches no column"),
        (("--ignore-column", "price"), "--ignore-column price: matches no column"),
        (("--key", "courses=nosuchcol"), "--key courses=nosuchcol: courses has no column nosuchcol"),
        (("--key", "nosuch=id"), "--key nosuch=id: no table 'nosuch'"),
        (("--key", "users=id"), "--key users=id: no table 'users' among the compared tables (courses)"),
    ],
)
def test_rows_option_naming_an_unknown_table_or_column_is_a_usage_error(runner, db_pair, option, message):
    legacy, candidate = db_pair
    result = invoke(runner, "rows", "--legacy-db", legacy, "--candidate-db", candidate, "--tables", "courses", *option)
    assert_one_line_error(result, 2, message)


def test_rows_options_that_do_name_columns_still_work(runner, db_pair):
    legacy, candidate = db_pair
    result = invoke(
        runner,
        "rows",
        "--legacy-db",
        legacy,
        "--candidate-db",
        candidate,
        "--tables",
        "courses",
        "--tolerance",
        "courses.price=0.01",
        "--precision",
        "*.updated_at=ms",
        "--uuid-column",
        "*.id",
        "--key",
        "courses=id",
        "--ignore-column",
        "courses.metadata",
    )
    assert result.exit_code == 0, result.output + result.stderr


@pytest.mark.parametrize(
    "option",
    [
        ("--workers", "0"),
        ("--max-seconds", "0"),
        ("--max-differences", "0"),
        ("--leaf-rows", "0"),
        ("--bisection-factor", "1"),
        ("--checksum", "gpu"),
    ],
)
def test_rows_numeric_options_that_would_compare_nothing_are_refused(runner, db_url, option):
    result = invoke(runner, "rows", "--legacy-db", db_url, "--candidate-db", db_url, *option)
    assert result.exit_code == 2 and result.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "allow.json",
            '{"allowed": [{"kind": "index_extra", "table": "*", "reason": "r"}]}',
            "unknown top-level key allowed; expected a list of entries (or an `allow` list)",
        ),
        (
            "allow.toml",
            '[[allowed]]\nkind = "index_extra"\ntable = "*"\nreason = "r"\n',
            "unknown top-level key allowed",
        ),
        (
            "allow.json",
            '{"allow": {"kind": "index_extra", "table": "*", "reason": "r"}}',
            "expected a list of entries, not dict",
        ),
        ("allow.json", '"index_extra"', "expected a list of entries, not str"),
        ("allow.yaml", "- kind: index_extr\n  table: '*'\n  reason: r\n", "kind 'index_extr' matches none of"),
        ("allow.yaml", "- kind: index_extra\n  table: 7\n  reason: r\n", "'table' must be text"),
    ],
)
def test_allow_list_of_the_wrong_shape_is_a_usage_error(runner, db_pair, tmp_path, name, text, message):
    legacy, candidate = db_pair
    allow = tmp_path / name
    allow.write_text(text)
    result = invoke(runner, "schema", "--legacy-db", legacy, "--candidate-db", candidate, "--allow-list", allow)
    assert_one_line_error(result, 2, message)


# -- items 4 and 8: databases that are not there, not SQLite, or not reachable --------------------------------


@pytest.mark.parametrize("command", ["schema", "rows", "migrate-check"])
def test_a_file_that_is_not_sqlite_is_a_usage_error(runner, db_url, tmp_path, command):
    not_sqlite = f"sqlite:///{README}"
    for legacy, candidate in ((not_sqlite, db_url), (db_url, not_sqlite)):
        assert_one_line_error(
            invoke(runner, command, "--legacy-db", legacy, "--candidate-db", candidate), 2, "file is not a database"
        )


def test_cross_write_on_a_file_that_is_not_sqlite_is_a_usage_error(runner):
    assert_one_line_error(invoke(runner, "cross-write", "--db", f"sqlite:///{README}"), 2, "file is not a database")


@pytest.mark.parametrize("command", ["schema", "rows", "migrate-check"])
@pytest.mark.postgres
def test_a_missing_postgresql_database_is_a_usage_error_and_a_refused_connection_is_3(
    runner, db_url, tmp_path, command, pg_admin_url
):
    missing = sa.engine.make_url(pg_admin_url).set(database="harness_no_such_database").render_as_string()
    assert_one_line_error(
        invoke(runner, command, "--legacy-db", missing, "--candidate-db", db_url),
        2,
        'database "harness_no_such_database" does not exist',
    )
    refused = sa.engine.make_url(pg_admin_url).set(port=1).render_as_string()
    assert_one_line_error(invoke(runner, command, "--legacy-db", refused, "--candidate-db", db_url), 3, "cannot reach")


@pytest.mark.parametrize(
    "manage",
    [
        "/nonexistent",
        "no-such-program-here",
        "{python} -m no_such_package.manage",
        "{python} no_such_manage.py",
        "'unbalanced",
    ],
)
def test_migrate_check_with_a_manage_command_that_cannot_run_is_a_usage_error(runner, db_url, tmp_path, manage):
    result = invoke(
        runner,
        "migrate-check",
        "--legacy-db",
        db_url,
        "--candidate-db",
        f"sqlite:///{tmp_path / 'copy.sqlite3'}",
        "--manage",
        manage,
    )
    assert_one_line_error(result, 2, "--manage")


# -- item 10: --out DIR is a reports folder; nothing appears beside it ----------------------------------------


@pytest.mark.parametrize("command", ["schema", "rows"])
def test_out_dir_is_a_reports_folder_and_leaves_its_parent_alone(runner, db_pair, tmp_path, command):
    legacy, candidate = db_pair
    parent = tmp_path / "parent"
    parent.mkdir()
    reports = parent / "reports"
    for _ in range(2):
        result = invoke(
            runner, command, "--legacy-db", legacy, "--candidate-db", candidate, "--tables", "courses", "--out", reports
        )
        assert result.exit_code == 0, result.output + result.stderr
    assert sorted(p.name for p in parent.iterdir()) == ["reports"]  # no stray `latest` beside DIR
    runs = sorted(p for p in reports.iterdir() if p.is_dir() and not p.is_symlink())
    assert len(runs) == 2 and latest_run(reports) == runs[-1].resolve()
    assert json.loads((runs[-1] / "data.json").read_text())["area"] == "data"
    assert f"Result: {runs[-1] / 'data.json'}" in result.output


def test_out_that_cannot_be_written_is_a_usage_error(runner, db_pair, tmp_path):
    legacy, candidate = db_pair
    a_file = tmp_path / "file"
    a_file.write_text("")
    result = invoke(runner, "rows", "--legacy-db", legacy, "--candidate-db", candidate, "--out", a_file / "reports")
    assert_one_line_error(result, 2, "--out")
