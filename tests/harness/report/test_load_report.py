"""The load area's report: operations.csv and the summary lines, rendered from load.json's `load_figures`
findings alone (built here the way harness/load/area.py builds them)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from harness.core.results import AreaResult, Finding, Severity
from harness.load.area import _figures_finding
from harness.load.figures import OVERALL, OperationFigures, SideFigures
from harness.load.profiles import Profile
from harness.report.load import CSV_COLUMNS, load_summary, operations_csv, write_load_files

CATALOGUE, COURSE = "GET /api/v1/courses", "GET /api/v1/courses/{course_id}"
ENROL = "POST /api/v1/courses/{course_id}/enrolments"
PROFILE = Profile(name="smoke", users=12, spawn_rate=12, duration_s=14, warmup_s=3, max_requests=20000)


def op(name: str, requests: int, p95: float, *, failures: int = 0, queries: int = 3) -> OperationFigures:
    return OperationFigures(
        operation=name, requests=requests, failures=failures, p50_ms=p95 / 2, p90_ms=p95 * 0.875, p95_ms=p95,
        p99_ms=p95 * 1.5, max_ms=p95 * 3, mean_ms=p95 / 1.8, p95_ci=(p95 - 1.25, p95 + 2.5), intended_p95_ms=p95 + 0.5,
        lag_p95_ms=0.75, server_p95_ms=p95 - 4, queries_max=queries, queries_median=queries / 2, cache_hits=7,
        cache_misses=2, rps=requests / 10, statuses={"200": requests - failures}, errors={"500": failures})


def side_figures(name: str, scale: float, *, invalid: list[str] | None = None) -> SideFigures:
    operations = [op(CATALOGUE, 600, 20.0 * scale), op(COURSE, 300, 30.0 * scale, queries=4),
                  op(ENROL, 100, 60.0 * scale, failures=2, queries=6)]
    overall = op(OVERALL, 1000, 40.0 * scale, failures=2, queries=6)
    return SideFigures(side=name, overall=overall, operations={o.operation: o for o in operations}, users=12,
                       measured_s=10.0, stopped_by="time", invalid=invalid or [],
                       generator={"workers": [], "master_cpu_percent_max": 20.0},
                       evidence=f"load/{name}_samples.json")


def area_result(*, candidate_invalid: list[str] | None = None, extra: list[Finding] | None = None) -> AreaResult:
    findings = [_figures_finding(side_figures("legacy", 1.0), PROFILE),
                _figures_finding(side_figures("candidate", 2.0, invalid=candidate_invalid), PROFILE),
                *(extra or [])]
    result = AreaResult(area="load", passed=not extra, findings=findings, duration_s=42.0)
    # the report reads load.json: render from what survives the round trip
    return AreaResult.from_dict(json.loads(json.dumps(result.to_dict())))


def rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(operations_csv(area_result()))))


def test_operations_csv_has_a_header_and_one_row_per_side_and_operation():
    text = operations_csv(area_result())
    assert text.splitlines()[0].split(",") == list(CSV_COLUMNS)
    keys = [(row["side"], row["operation"]) for row in csv.DictReader(io.StringIO(text))]
    assert sorted(keys) == sorted((side, name) for side in ("legacy", "candidate")
                                  for name in (OVERALL, CATALOGUE, COURSE, ENROL))


@pytest.mark.parametrize(("side", "name", "figures"), [
    ("legacy", CATALOGUE, op(CATALOGUE, 600, 20.0)),
    ("candidate", ENROL, op(ENROL, 100, 120.0, failures=2, queries=6)),
    ("candidate", OVERALL, op(OVERALL, 1000, 80.0, failures=2, queries=6)),
], ids=["legacy-catalogue", "candidate-enrol", "candidate-overall"])
def test_operations_csv_numbers_match_the_evidence(side, name, figures):
    row = next(r for r in rows() if (r["side"], r["operation"]) == (side, name))
    assert int(row["requests"]) == figures.requests
    assert int(row["failures"]) == figures.failures
    assert float(row["error_rate"]) == pytest.approx(figures.failures / figures.requests)
    assert float(row["rps"]) == pytest.approx(figures.requests / 10.0)
    for column, value in (("p50_ms", figures.p50_ms), ("p95_ms", figures.p95_ms), ("p99_ms", figures.p99_ms),
                          ("p95_ci_low_ms", figures.p95_ci[0]), ("p95_ci_high_ms", figures.p95_ci[1]),
                          ("server_p95_ms", figures.server_p95_ms), ("intended_p95_ms", figures.intended_p95_ms),
                          ("lag_p95_ms", figures.lag_p95_ms), ("queries_max", figures.queries_max),
                          ("queries_median", figures.queries_median), ("cache_hits", figures.cache_hits),
                          ("cache_misses", figures.cache_misses)):
        assert float(row[column]) == pytest.approx(value), column


def test_operations_csv_carries_p90_and_max():
    row = next(r for r in rows() if (r["side"], r["operation"]) == ("legacy", CATALOGUE))
    assert float(row["p90_ms"]) == pytest.approx(17.5)
    assert float(row["max_ms"]) == pytest.approx(60.0)


def test_operations_csv_without_figures_is_just_the_header():
    assert operations_csv(AreaResult(area="load", passed=False)).splitlines() == [",".join(CSV_COLUMNS)]


def test_load_summary_shows_both_sides_p95_and_the_top_operations():
    lines = load_summary(area_result())
    text = "\n".join(lines)
    assert lines[0] == "load gate: PASS in 42.0s"
    legacy = next(line for line in lines if line.strip().startswith("legacy:"))
    candidate = next(line for line in lines if line.strip().startswith("candidate:"))
    assert "1000 requests in 10 s" in legacy and "20.0/40.0/60.0 ms" in legacy and "generator healthy" in legacy
    assert "40.0/80.0/120.0 ms" in candidate and "2 failed" in candidate and "queries max 6" in candidate
    assert "top 3 operations (ms):" in text
    table = lines[lines.index("  top 3 operations (ms):") + 2:][:3]
    assert [row.split()[1] for row in table] == ["/api/v1/courses", "/api/v1/courses/{course_id}",
                                                 "/api/v1/courses/{course_id}/enrolments"], "busiest first"
    catalogue = table[0].split()
    assert catalogue[-4:] == ["20.0", "600", "40.0", "600"], "legacy then candidate p95 and n"


def test_load_summary_says_an_invalid_side_is_invalid():
    lines = load_summary(area_result(candidate_invalid=["send lag p95 31.0 ms: the generator sent requests late"]))
    candidate = next(line for line in lines if line.strip().startswith("candidate:"))
    legacy = next(line for line in lines if line.strip().startswith("legacy:"))
    assert "INVALID: send lag p95 31.0 ms" in candidate
    assert "INVALID" not in legacy


def test_load_summary_lists_capacity_and_blocking_findings():
    extra = [Finding(id="load.capacity.candidate", check="capacity", severity=Severity.INFO,
                     message="candidate: capacity 700 users held; beyond, limited by server latency (7 steps)"),
             Finding(id="load.latency_p95.candidate.x", check="latency_p95", severity=Severity.HIGH,
                     operation=ENROL, message=f"{ENROL}: p95 120.0 ms is not under 100 ms")]
    lines = load_summary(area_result(extra=extra))
    assert lines[0].startswith("load gate: FAIL")
    assert "  candidate: capacity 700 users held; beyond, limited by server latency (7 steps)" in lines
    assert "  blocking findings: 1 of 4" in lines
    assert f"  FAIL latency_p95: {ENROL}: p95 120.0 ms is not under 100 ms" in lines


def test_write_load_files_writes_operations_csv(tmp_path):
    written = write_load_files(tmp_path, area_result())
    assert written == [tmp_path / "load" / "operations.csv"], "no samples.json here: no latency distribution"
    assert written[0].read_text(encoding="utf-8") == operations_csv(area_result())
