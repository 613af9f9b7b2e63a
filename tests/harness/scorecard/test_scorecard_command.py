"""`harness scorecard` as a user runs it: the files it writes, the exit code from the reviewed gates, `--gate` for a
merge gate on one area, `--compare A B`, and one line with exit 2 for what it cannot read."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from xml.etree import ElementTree as ET

from click.testing import CliRunner

from harness.cli import main
from harness.report.scorecard import SUMMARY_LIMIT

from .runs import write_run

FIRST, SECOND = "20261201T010000.000000Z", "20261202T010000.000000Z"


def scorecard(*args: str):
    return CliRunner().invoke(main, ["scorecard", *args], catch_exceptions=False)


def test_the_scorecard_writes_its_four_files_and_the_history(tmp_path):
    reports = tmp_path / "reports"
    run = write_run(reports, FIRST)
    done = scorecard("--out", str(reports), str(run))
    assert done.exit_code == 0, done.output
    for name in ("scorecard.html", "scorecard.md", "scorecard.junit.xml", "scorecard.json"):
        assert (run / name).is_file(), name
    card = json.loads((run / "scorecard.json").read_text())
    assert card["verdict"]["state"] == "not proven"  # capacity and coverage were not measured
    assert "Concurrent users held was not measured" in card["verdict"]["headline"]
    markdown = (run / "scorecard.md").read_text()
    assert markdown.startswith("## Safe to switch: not proven yet") and len(markdown.encode()) < SUMMARY_LIMIT
    suite = ET.fromstring((run / "scorecard.junit.xml").read_text())
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert cases["concurrent_users"].find("skipped") is not None and cases["p95_ms"].find("failure") is None
    assert suite.get("failures") == "0"
    with sqlite3.connect(reports / "history.sqlite") as db:
        assert db.execute("SELECT run_id, verdict FROM runs").fetchall() == [(FIRST, "not proven")]
        assert db.execute("SELECT value FROM figures WHERE row_id = 'p95_ms' AND side = 'candidate'").fetchone() \
            == (22.6,)
    # maintainability measured by radon over each bundled app's source, kept as evidence in the run folder
    assert json.loads((run / "scorecard" / "maintainability.candidate.json").read_text())["modules"]


def test_latest_is_scored_when_run_is_left_out(tmp_path):
    reports = tmp_path / "reports"
    write_run(reports, FIRST)
    (reports / "latest.txt").write_text(FIRST + "\n")
    done = scorecard("--out", str(reports))
    assert done.exit_code == 0, done.output
    assert (reports / FIRST / "scorecard.html").is_file()


def test_a_failing_blocking_row_fails_the_junit_case_and_the_exit_code(tmp_path):
    reports = tmp_path / "reports"
    run = write_run(reports, FIRST, unexplained=3)
    done = scorecard("--out", str(reports), str(run))
    assert done.exit_code == 1
    assert "Exact API signatures: unexplained differences: 3" in done.output
    suite = ET.fromstring((run / "scorecard.junit.xml").read_text())
    failed = {case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None}
    assert failed == {"unexplained_differences", "area.contract"}


def test_gate_on_one_area_judges_only_its_rows(tmp_path):
    """A merge gate on contract parity passes while the load area (not its business) fails, and fails on its own."""
    reports = tmp_path / "reports"
    slow = write_run(reports, FIRST, p95=(17.0, 150.0))
    assert scorecard("--out", str(reports), str(slow)).exit_code == 1
    done = scorecard("--out", str(reports), "--gate", "contract", str(slow))
    assert done.exit_code == 0, done.output
    suite = ET.fromstring((slow / "scorecard.junit.xml").read_text())
    assert {case.get("name") for case in suite.iter("testcase")} == {
        "documentation_coverage", "unexplained_differences", "rows_differing_after_traffic", "area.contract"}
    broken = write_run(reports, SECOND, unexplained=1)
    assert scorecard("--out", str(reports), "--gate", "contract", str(broken)).exit_code == 1


def test_compare_judges_b_against_a_and_prints_the_table(tmp_path):
    reports = tmp_path / "reports"
    first = write_run(reports, FIRST, p95=(17.0, 20.0))
    second = write_run(reports, SECOND, p95=(17.0, 40.0))
    done = scorecard("--out", str(reports), "--compare", str(first), str(second))
    assert done.exit_code == 0, done.output  # still under 100 ms: flagged, not blocking
    assert f"## Run {SECOND} against run {FIRST}" in done.output
    assert "| Response time (p95) | < 100 ms | 20 | 40 ms | ▲ yes |" in done.output
    assert not (reports / "history.sqlite").exists() or not sqlite3.connect(reports / "history.sqlite").execute(
        "SELECT * FROM runs").fetchall()  # a comparison is not a run of its own


def test_json_prints_the_scorecard_document(tmp_path):
    reports = tmp_path / "reports"
    run = write_run(reports, FIRST)
    done = scorecard("--out", str(reports), "--json", str(run))
    document = json.loads(done.output)
    assert document["run_id"] == FIRST and {row["id"] for row in document["rows"]} >= {"p95_ms", "area.load"}


def test_what_it_cannot_read_is_one_line_and_exit_2(tmp_path):
    reports = tmp_path / "reports"
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "run.json").write_text("{not json")
    bad_gates = tmp_path / "gates.toml"
    bad_gates.write_text("[rows.p95_ms]\ntarget = '< 100'\n")
    config = tmp_path / "harness.toml"
    config.write_text(f'[scorecard]\ngates = "{bad_gates}"\n')
    run = write_run(reports, FIRST)
    cases = [
        (["--out", str(tmp_path / "no-runs-yet")], "no run in"),
        (["--out", str(reports), str(tmp_path / "empty")], "not a run folder"),
        (["--out", str(reports), str(tmp_path / "broken")], "is not valid JSON"),
        (["--out", str(reports), "nosuchrun"], "is not a run folder"),
        (["--out", str(reports), "--gate", "nosucharea", str(run)], "--gate nosucharea: not an area"),
        (["--out", str(reports), "--config", str(config), str(run)], "no [rows.queries_per_request]"),
        (["--out", str(reports), str(run), "--compare", str(run), str(run)], "not both"),
    ]
    for args, said in cases:
        done = scorecard(*args)
        assert done.exit_code == 2, (args, done.output)
        lines = done.output.strip().splitlines()
        assert len(lines) == 1 and said in lines[0], (args, done.output)


def test_a_coverage_file_that_cannot_be_read_is_exit_2_and_a_good_one_fills_the_row(tmp_path):
    reports = tmp_path / "reports"
    run = write_run(reports, FIRST)
    (reports / "coverage").mkdir(parents=True)
    (reports / "coverage" / "candidate.json").write_text("garbage")
    done = scorecard("--out", str(reports), str(run))
    assert done.exit_code == 2 and "candidate.json" in done.output
    report = {"meta": {"format": 3, "version": "7.6.0", "timestamp": "2026-12-01T00:00:00", "branch_coverage": True,
                       "show_contexts": False},
              "files": {"app.py": {"summary": {"covered_lines": 90, "num_statements": 100, "percent_covered": 91.5,
                                               "num_branches": 20, "covered_branches": 19, "missing_lines": 10,
                                               "excluded_lines": 0, "num_partial_branches": 1,
                                               "missing_branches": 1}}},
              "totals": {"covered_lines": 90, "num_statements": 100, "percent_covered": 91.5, "num_branches": 20,
                         "covered_branches": 19, "missing_lines": 10, "excluded_lines": 0,
                         "num_partial_branches": 1, "missing_branches": 1}}
    (reports / "coverage" / "candidate.json").write_text(json.dumps(report))
    done = scorecard("--out", str(reports), "--json", str(run))
    assert done.exit_code == 0, done.output
    row = next(row for row in json.loads(done.output)["rows"] if row["id"] == "test_coverage")
    assert row["candidate"]["value"] == 91.5 and row["status"] == "pass"
    assert row["legacy"]["value"] is None and row["legacy_status"] == "not measured"
    assert Path(run / "scorecard" / "coverage.candidate.json").is_file()
    # coverage of a suite that failed is shown, never judged: its figure measures a broken run
    (reports / "coverage" / "candidate.json.meta.json").write_text(json.dumps({"commit": None, "exit_code": 1}))
    done = scorecard("--out", str(reports), "--json", str(run))
    row = next(row for row in json.loads(done.output)["rows"] if row["id"] == "test_coverage")
    assert row["status"] == "not measured" and row["candidate"]["value"] == 91.5
    assert "the measured test run failed (exit code 1)" in row["candidate"]["note"]


def test_coverage_needs_each_apps_source_and_says_so_in_one_line(tmp_path):
    """A candidate reached by URL has no package to measure: `harness coverage` refuses before running anything."""
    config = tmp_path / "harness.toml"
    config.write_text('[candidate]\nkind = "url"\nurl = "http://127.0.0.1:9"\n')
    done = CliRunner().invoke(main, ["coverage", "candidate", "--config", str(config), "--out", str(tmp_path)])
    assert done.exit_code == 2
    assert done.output.strip() == ("Error: no source folder for the candidate app: set [scorecard] "
                                   "candidate_source")
    assert not (tmp_path / "coverage").exists()
    unknown = CliRunner().invoke(main, ["coverage", "staging"])
    assert unknown.exit_code == 2 and "'staging' is not one of 'legacy', 'candidate'" in unknown.output


def test_concurrent_users_come_from_the_capacity_search_or_a_run_that_held_the_target(tmp_path):
    """A `peak` run that held 10,000 users with every gate passed proves the target; a 12-user smoke run proves
    nothing about it (not measured, never "12 users, failed"); a capacity search's figure is judged as it is."""
    def row(run_id: str, folder: str = "reports", **figures) -> dict:
        reports = tmp_path / folder
        done = scorecard("--out", str(reports), "--json", str(write_run(reports, run_id, **figures)))
        return next(found for found in json.loads(done.output)["rows"] if found["id"] == "concurrent_users")

    peak = row("20261201T010000.000000Z", users=10000)
    assert peak["status"] == "pass" and peak["candidate"]["value"] == 10000 and peak["legacy"]["value"] == 10000
    assert "lower bound" in peak["method"]
    smoke = row("20261202T010000.000000Z", "alone", users=12)
    assert smoke["status"] == "not measured" and smoke["candidate"]["value"] is None
    assert "held 12 users" in smoke["candidate"]["note"]
    # after the peak run, a smoke run shows the peak's proof, carried over with the run it came from
    after_peak = row("20261202T010000.000000Z", users=12)
    assert after_peak["candidate"]["value"] == 10000 and after_peak["candidate"]["from_run"] == \
        "20261201T010000.000000Z"
    slow_peak = row("20261203T010000.000000Z", "slow", users=10000, p95=(17.0, 150.0))
    assert slow_peak["candidate"]["value"] is None and slow_peak["legacy"]["value"] == 10000
    searched = row("20261204T010000.000000Z", "searched", capacity=(650, 750))
    assert searched["status"] == "fail" and searched["candidate"]["value"] == 750
