"""`harness data schema` and `harness data rows`: output, data.json in the result schema, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from harness.core.results import SCHEMA_PATH, latest_run
from harness.data.cli import data
from tests.harness.scorecard.runs import score


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HARNESS_LEGACY_DB": None, "HARNESS_CANDIDATE_DB": None})


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(data, [str(a) for a in args], catch_exceptions=False)


def valid_area_result(reports: Path) -> dict:
    """The data.json of the newest run under the reports folder `reports` (what --out names)."""
    run = latest_run(reports)
    assert run is not None and run.parent == reports.resolve(), f"no latest run under {reports}"
    document = json.loads((run / "data.json").read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    assert document["area"] == "data"
    return document


def test_schema_identical_databases_exit_0(runner, db_pair, tmp_path):
    legacy, candidate = db_pair
    result = invoke(runner, "schema", "--legacy-db", legacy, "--candidate-db", candidate, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "21 legacy / 21 candidate tables; 0 breaking, 0 risky, 0 cosmetic" in result.output
    document = valid_area_result(tmp_path / "run")
    assert document["passed"] is True and document["findings"] == []
    code, rows = score(tmp_path / "run")
    assert rows["schema_differences"]["status"] == "pass" and rows["area.data"]["status"] == "pass"


def test_schema_difference_exits_1_and_names_table_and_column(runner, db_pair, run_sql, tmp_path):
    legacy, candidate = db_pair
    run_sql(candidate, "ALTER TABLE reviews DROP COLUMN reported_count")
    result = invoke(
        runner, "schema", "--legacy-db", legacy, "--candidate-db", candidate, "--json", "--out", tmp_path / "run"
    )
    assert result.exit_code == 1
    document = json.loads(result.output)
    (finding,) = document["findings"]
    assert (finding["check"], finding["severity"], finding["operation"]) == (
        "schema_column_missing",
        "high",
        "table reviews",
    )
    assert finding["evidence"]["name"] == "reported_count" and "--tables reviews" in finding["reproduce"]
    assert valid_area_result(tmp_path / "run") == document
    # the injected schema change turns the scorecard's data row red, and its exit code 1
    code, rows = score(tmp_path / "run")
    assert code == 1 and rows["schema_differences"]["status"] == "fail"
    assert rows["schema_differences"]["candidate"]["value"] == 1 and rows["area.data"]["status"] == "fail"


def test_schema_allow_listed_cosmetic_difference_exits_0(runner, db_pair, run_sql, tmp_path):
    legacy, candidate = db_pair
    run_sql(candidate, "CREATE INDEX courses_created_at_idx ON courses (created_at)")
    allow = tmp_path / "allow.toml"
    allow.write_text(
        '[[allow]]\nkind = "index_extra"\ntable = "*"\nseverity = "cosmetic"\n'
        'reason = "Django indexes created_at everywhere"\nexpires = 2099-12-31\n'
    )
    assert invoke(runner, "schema", "--legacy-db", legacy, "--candidate-db", candidate).exit_code == 1
    result = invoke(runner, "schema", "--legacy-db", legacy, "--candidate-db", candidate, "--allow-list", allow)
    assert result.exit_code == 0, result.output
    assert "allowed   index_extra" in result.output and "1 allow-listed" in result.output
    relaxed = invoke(runner, "schema", "--legacy-db", legacy, "--candidate-db", candidate, "--fail-on", "risky")
    assert relaxed.exit_code == 0 and "COSMETIC" in relaxed.output


def test_schema_bad_input_exits_2_and_unreachable_exits_3(runner, db_url, tmp_path):
    bad = tmp_path / "allow.yaml"
    bad.write_text("- kind: index_extra\n  table: courses\n")
    result = invoke(runner, "schema", "--legacy-db", db_url, "--candidate-db", db_url, "--allow-list", bad)
    assert result.exit_code == 2 and "'reason' is required" in result.output
    missing = invoke(runner, "schema", "--legacy-db", db_url, "--candidate-db", f"sqlite:///{tmp_path / 'no.db'}")
    assert missing.exit_code == 2 and "no SQLite database file" in missing.output
    down = invoke(runner, "schema", "--legacy-db", db_url, "--candidate-db", "postgresql://x@127.0.0.1:1/none")
    assert down.exit_code == 3 and "cannot reach" in down.output


def test_rows_identical_exit_0_with_rows_per_second(runner, db_pair, tmp_path):
    legacy, candidate = db_pair
    result = invoke(runner, "rows", "--legacy-db", legacy, "--candidate-db", candidate, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "no differences" in result.output and "rows/s" in result.output
    document = valid_area_result(tmp_path / "run")
    metrics = {m["id"]: m for m in document["metrics"]}
    assert metrics["differing_rows"]["value"] == 0 and metrics["rows_compared"]["value"] > 100


def test_rows_difference_exits_1_with_key_samples_and_sql(runner, db_pair, run_sql, seeded, tmp_path):
    legacy, candidate = db_pair
    run_sql(candidate, f"UPDATE courses SET title = 'changed' WHERE id = '{seeded.open_course}'")
    result = invoke(
        runner,
        "rows",
        "--legacy-db",
        legacy,
        "--candidate-db",
        candidate,
        "--tables",
        "courses,videos",
        "--out",
        tmp_path / "run",
    )
    assert result.exit_code == 1
    assert f"courses (id={seeded.open_course}) differs in title" in result.output
    document = valid_area_result(tmp_path / "run")
    row = next(f for f in document["findings"] if f["check"] == "row_changed")
    assert row["evidence"]["key"] == {"id": seeded.open_course} and row["evidence"]["columns"] == ["title"]
    assert row["evidence"]["candidate"] == {"title": "changed"}
    assert row["reproduce"].startswith(f'SELECT * FROM "courses" WHERE "id" = \'{seeded.open_course}\'')
    summary = next(f for f in document["findings"] if f["check"] == "row_parity")
    assert summary["evidence"]["columns"]["title"]["differs"] == 1
    assert summary["evidence"]["columns"]["title"]["samples"][0]["candidate"] == "changed"
    assert any("SELECT" in sql for sql in summary["evidence"]["sql"]["legacy"].values())


def test_rows_options_change_what_counts(runner, db_pair, run_sql, seeded):
    legacy, candidate = db_pair
    run_sql(candidate, f"UPDATE courses SET price = price + 0.01 WHERE id = '{seeded.open_course}'")
    base = ["rows", "--legacy-db", legacy, "--candidate-db", candidate, "--tables", "courses"]
    assert invoke(runner, *base).exit_code == 1
    assert invoke(runner, *base, "--tolerance", "courses.price=0.01").exit_code == 0
    assert (
        invoke(runner, *base, "--ignore-column", "courses.price", "--workers", "3", "--leaf-rows", "1").exit_code == 0
    )


@pytest.mark.parametrize(
    "option",
    [
        ("--tolerance", "courses.price"),
        ("--tolerance", "courses.price=soon"),
        ("--precision", "courses.published_at=ns"),
        ("--key", "courses"),
    ],
)
def test_rows_bad_options_exit_2(runner, db_url, option):
    result = invoke(runner, "rows", "--legacy-db", db_url, "--candidate-db", db_url, *option)
    assert result.exit_code == 2, result.output


def test_rows_unreachable_database_exits_3(runner, db_url):
    result = invoke(runner, "rows", "--legacy-db", db_url, "--candidate-db", "postgresql://x@127.0.0.1:1/none")
    assert result.exit_code == 3 and "cannot reach" in result.output
