"""harness/report: every report renders from results alone (the result schema is the contract), and says what a
reader needs: a JUnit failure per blocking check, the Markdown summary, the verdict, the data commands' text."""
from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from harness.core.results import AreaResult, Finding, Metric, Severity
from harness.core.runs import new_run
from harness.report import conclude, write_reports
from harness.report.junit import area_junit
from harness.report.markdown import area_markdown
from harness.report.summaries import summary_lines
from harness.report.terminal import checks_text, rows_text, schema_text, verdict_json, verdict_text

OP = "P16 GET /api/v1/courses"


def contract_result(*, failing: bool = False) -> AreaResult:
    findings = [Finding(id="status-unreached:legacy:x", check="status_unreached", severity=Severity.INFO,
                        operation=OP, message="legacy never answered the documented 429",
                        evidence={"side": side, "status": 429, "reason": "rate limits off"})
                for side in ("legacy", "candidate")]
    findings.append(Finding(id="parity:x", check="header_parity", severity=Severity.INFO, operation=OP,
                            message="accepted", evidence={"accepted": {"reason": "why"}}))
    if failing:
        findings.append(Finding(id="parity:y", check="body_parity", severity=Severity.HIGH, operation=OP,
                                message="candidate differs at body.data.total", reproduce="curl -i ..."))
    metrics = [Metric("cases_sent", "both", 30, "requests"), Metric("cases_sent.probes", "both", 10, "requests"),
               Metric("cases_sent.edges", "both", 20, "requests"), Metric("pairs_compared", "candidate", 60),
               Metric("status_coverage", "legacy", 93.5, "%", target=">= 90", passed=True)]
    return AreaResult(area="contract", passed=not failing, metrics=metrics, findings=findings, duration_s=12.5)


def test_junit_has_a_failing_case_per_blocking_check_and_a_case_per_gated_metric():
    suite = ET.fromstring(area_junit(contract_result(failing=True)))
    assert suite.get("name") == "harness.contract" and suite.get("failures") == "1"
    failed = [case for case in suite.iter("testcase") if case.find("failure") is not None]
    assert [(case.get("classname"), case.get("name")) for case in failed] == [(OP, "body_parity")]
    assert "curl -i ..." in failed[0].find("failure").text
    assert {case.get("name") for case in suite.iter("testcase") if case.get("classname") == "metrics"} >= {
        "status_coverage[legacy]"}


def test_a_passing_result_has_no_failure():
    suite = ET.fromstring(area_junit(contract_result()))
    assert suite.get("failures") == "0" and not list(suite.iter("failure"))


def test_the_contract_summary_comes_from_the_results_metrics_and_findings():
    text = "\n".join(summary_lines(contract_result(failing=True)))
    assert "contract gate: FAIL in 12.5s" in text
    assert "cases sent 30 (probes 10, edges 20); pairs compared 60" in text
    assert "not reached on legacy and candidate (1 documented operation x status):" in text
    assert f"      {OP} -> 429" in text
    assert "unexplained differences / failures: 1; accepted: 1" in text
    assert "FAIL body_parity" in text


def test_markdown_puts_the_verdict_the_summary_and_the_most_severe_findings_first():
    text = area_markdown(contract_result(failing=True))
    lines = text.splitlines()
    assert lines[0] == "# Contract gate: FAIL"
    table = [line for line in lines if line.startswith("| ")][1:]
    assert table[0].startswith("| high | body_parity |")


@pytest.fixture
def run(tmp_path):
    return new_run(tmp_path / "reports", seed=3, scale="small")


def test_the_verdict_names_each_area_and_its_blocking_findings(run):
    failing, passing = contract_result(failing=True), AreaResult(area="data", passed=True, duration_s=1)
    text = verdict_text(run, [passing, failing])
    assert f"Run {run.run_id} (seed 3, scale small)" in text
    assert "  data      passed" in text and "  contract  FAILED" in text
    assert "      candidate differs at body.data.total" in text
    assert text.splitlines()[-1] == "Failed: contract"
    assert '"passed": false' in verdict_json(run, [passing, failing])


def test_conclude_writes_every_areas_report_files_and_returns_the_exit_code(run, capsys):
    code = conclude(run, [contract_result(failing=True)], as_json=False)
    assert code == 1
    assert {path.name for path in run.out_dir.iterdir()} >= {"contract.junit.xml", "contract.md"}
    assert "Failed: contract" in capsys.readouterr().out
    assert conclude(run, [contract_result()], as_json=False) == 0


def test_a_reports_folder_that_cannot_be_written_is_one_line(tmp_path):
    from harness.core.results import ReportsError

    (tmp_path / "file").write_text("")
    with pytest.raises(ReportsError, match="cannot write"):
        write_reports(Path(tmp_path / "file"), [contract_result()])


def schema_finding(kind: str, severity: str, allowed: bool = False) -> Finding:
    evidence = {"kind": kind, "table": "courses", "name": "ix", "schema_severity": severity}
    if allowed:
        evidence["allow_listed"] = {"reason": "Django adds it"}
    return Finding(id=f"schema:{kind}", check=f"schema_{kind}", severity="info" if allowed else "low",
                   message=f"{kind} on courses", evidence=evidence)


def test_the_schema_text_lists_differences_then_accepted_ones_then_the_counts():
    result = AreaResult(area="data", passed=False, findings=[
        schema_finding("index_extra", "cosmetic", allowed=True), schema_finding("column_type", "breaking")],
        metrics=[Metric("schema_tables", "legacy", 21), Metric("schema_tables", "candidate", 22)])
    lines = schema_text(result).splitlines()
    assert lines[0].startswith("BREAKING  column_type") and lines[1].startswith("allowed   index_extra")
    assert lines[1].endswith("Django adds it")
    assert lines[-1] == "Schema: 21 legacy / 22 candidate tables; 1 breaking, 0 risky, 0 cosmetic; 1 allow-listed."


def test_the_rows_text_has_a_line_per_table_and_its_first_differing_rows():
    metrics = [Metric("rows.courses", "legacy", 12, evidence="sql"), Metric("rows.courses", "candidate", 11),
               Metric("rows.users", "legacy", 5, evidence="python"), Metric("rows.users", "candidate", 5),
               Metric("rows_compared", "both", 17), Metric("rows_seconds", "both", 0.5),
               Metric("rows_per_second", "both", 34.0)]
    findings = [Finding(id="rows:summary:courses", check="row_parity", severity="high", operation="table courses",
                        message="courses: 1 missing", evidence={"missing": 1, "extra": 0, "changed": 0,
                                                                 "duplicates": 0}),
                Finding(id="rows:missing:courses:7", check="row_missing", severity="high", operation="table courses",
                        message="courses (id=7) is missing from the candidate", evidence={"table": "courses"})]
    text = rows_text(AreaResult(area="data", passed=False, metrics=metrics, findings=findings))
    lines = text.splitlines()
    assert lines[0].split()[:5] == ["courses", "12", "/", "11", "rows"] and "1 missing" in lines[0]
    assert lines[1] == "    courses (id=7) is missing from the candidate"
    assert lines[2].split()[0] == "users" and lines[2].endswith("ok")
    assert lines[-1] == "Rows: 17 in 2 tables, 0.50 s (34 rows/s); DIFFERENCES."


def test_the_checks_text_ends_with_the_verdict():
    result = AreaResult(area="data-migrate", passed=True, duration_s=2,
                        metrics=[Metric("orphans", "both", 0, target="== 0", passed=True)])
    assert checks_text(result, "Migration paths").splitlines()[-1] == "Migration paths: passed in 2.0 s, 0 finding(s)."
