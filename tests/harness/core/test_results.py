"""harness/core/results.py: the one result schema, its JSON file and the `latest` pointer."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.core import AreaResult, Finding, Metric, Severity, gate, latest_run, read_area, write_area
from harness.core.results import SCHEMA_PATH

SCHEMA = json.loads(SCHEMA_PATH.read_text())


def example() -> AreaResult:
    return AreaResult(
        area="contract", passed=False, started="2025-11-26T09:35:12.000Z", duration_s=12.3,
        targets={"legacy": {"kind": "wsgi", "app": "legacy_flask:create_app", "base_url": None,
                            "database": "sqlite:///x"},
                 "candidate": {"kind": "url", "app": None, "base_url": "http://127.0.0.1:8000", "database": None}},
        metrics=[Metric(id="p95_ms", side="candidate", value=83.0, unit="ms", target="< 100", passed=True,
                        evidence="load/candidate_stats.csv")],
        findings=[Finding(id="contract.body.P17", check="response_body_parity", severity="high",
                          operation="GET /api/v1/courses/{course_id}", message="bodies differ",
                          evidence={"legacy": {"status": 200}, "candidate": {"status": 200}, "seed": 0},
                          reproduce="curl -i http://127.0.0.1:8000/api/v1/courses/x")])


def test_the_schema_is_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_a_written_result_matches_the_schema_and_reads_back(tmp_path):
    path = write_area(tmp_path / "reports" / "20251126T093512.000000Z", example())

    data = json.loads(path.read_text())
    jsonschema.validate(data, SCHEMA)
    assert path.name == "contract.json"
    assert list(data) == ["area", "started", "duration_s", "passed", "targets", "metrics", "findings"]
    assert data["findings"][0]["severity"] == "high"
    assert read_area(path) == example()


@pytest.mark.parametrize("broken", [
    {"passed": "no"}, {"metrics": [{"id": "x"}]}, {"findings": [{**example().to_dict()["findings"][0],
                                                                 "severity": "urgent"}]}, {"extra": 1},
])
def test_the_schema_refuses_what_does_not_fit(broken):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**example().to_dict(), **broken}, SCHEMA)


def test_severities_and_sides_are_closed_sets():
    assert [s.value for s in Severity] == ["critical", "high", "medium", "low", "info"]
    with pytest.raises(ValueError):
        Finding(id="x", check="c", severity="urgent", message="m")
    with pytest.raises(ValueError, match="side must be one of legacy, candidate, both"):
        Metric(id="p95_ms", side="new", value=1.0)


def test_the_default_gate_fails_on_a_missed_target_or_a_blocking_finding():
    ok = Metric(id="a", side="both", value=1, passed=True)
    info = Metric(id="b", side="both", value=1)  # no target: informational
    missed = Metric(id="c", side="candidate", value=1, passed=False)
    finding = {s: Finding(id=s, check="c", severity=s, message="m") for s in Severity}

    assert gate([ok, info], [finding["medium"], finding["low"], finding["info"]])
    assert not gate([ok, missed], [])
    assert not gate([ok], [finding["high"]]) and not gate([ok], [finding["critical"]])


def test_latest_points_at_the_newest_run_only(tmp_path):
    reports = tmp_path / "reports"
    older, newer = reports / "20251126T093512.000000Z", reports / "20251126T093513.000000Z"

    write_area(newer, AreaResult(area="targets", passed=True))
    write_area(older, AreaResult(area="targets", passed=True))  # finishing later does not make it newest

    assert (reports / "latest").is_symlink() and latest_run(reports) == newer
    assert json.loads((reports / "latest" / "targets.json").read_text())["area"] == "targets"


def test_latest_falls_back_to_a_text_file_where_symlinks_fail(tmp_path, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise OSError("symlinks not supported")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    run = tmp_path / "reports" / "20251126T093512.000000Z"

    write_area(run, AreaResult(area="targets", passed=True))

    assert not (tmp_path / "reports" / "latest").exists()
    assert (tmp_path / "reports" / "latest.txt").read_text().strip() == run.name
    assert latest_run(tmp_path / "reports") == run
