"""harness/data/crosswrite_area.py: `harness verify` runs the blue-green cross-write as an area of its own
(`data-crosswrite`, after the contract area): the bundled pair started again on one scratch database passes, its
result written to the run folder like every area's; switched off, or without a scratch database for a legacy
that is not SQLite, it is skipped with the reason; a reviewed exception turns only what it names into
information, and an expired one fails the area."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from harness.core.areas import discover_areas, registered_areas, run_area
from harness.core.config import load_settings
from harness.core.results import AreaResult, Finding, Metric, Severity
from harness.core.reviewed import load_reviewed
from harness.core.runs import new_run
from harness.core.targets import Targets, make_target
from harness.data import crosswrite_area


@pytest.fixture
def area():
    discover_areas()
    (found,) = [a for a in registered_areas() if a.name == "data-crosswrite"]
    return found


def configured(tmp_path, toml: str = ""):
    """(run, settings, targets not started) from a harness.toml holding `toml`."""
    (tmp_path / "harness.toml").write_text(toml)
    settings = load_settings(None, environ={}, cwd=tmp_path, options={"out": tmp_path / "reports"})
    run = new_run(tmp_path / "reports", seed=0, scale="small")
    return run, settings, Targets(make_target(settings.legacy, run), make_target(settings.candidate, run))


def test_it_runs_after_the_contract_area_and_needs_both_databases(area):
    orders = {a.name: a.order for a in registered_areas()}
    assert orders["contract"] < area.order and area.needs_database


@pytest.mark.parametrize(("toml", "reason"), [
    ("[data]\ncrosswrite = false\n", "switched off (data.crosswrite = false)"),
    ('[legacy]\ndatabase_url = "postgresql+psycopg://postgres@127.0.0.1:5432/legacy"\n',
     "legacy's database is not SQLite: set data.crosswrite_database_url"),
    ('[candidate]\nkind = "url"\nurl = "http://127.0.0.1:9"\ndatabase_url = "sqlite:///candidate.sqlite3"\n',
     "candidate reached by URL"),
])
def test_switched_off_or_without_a_scratch_database_it_is_skipped_with_the_reason(area, tmp_path, toml, reason):
    run, settings, targets = configured(tmp_path, toml)

    result = run_area(area, run, settings, targets)

    assert result.passed and reason in result.skipped
    (finding,) = result.findings
    assert finding.severity == Severity.INFO and reason in finding.message
    assert json.loads((run.out_dir / "data-crosswrite.json").read_text())["skipped"] == result.skipped


def test_the_bundled_pair_on_one_database_passes_and_its_result_is_in_the_run_folder(area, tmp_path):
    # factory = false: the candidate is served by a spawned server, as a module-level app verify already
    # configured for its own database is (this test process keeps no Django settings of its own)
    run, settings, targets = configured(tmp_path, "[candidate]\nfactory = false\n")

    result = run_area(area, run, settings, targets)

    assert result.passed, [f.message for f in result.findings if f.severity == Severity.HIGH]
    metrics = {m.id: m for m in result.metrics}
    assert metrics["crosswrite_writes_ok"].passed and metrics["crosswrite_row_differences"].value == 0
    assert metrics["crosswrite_reads_compared"].value > 150
    # the candidate's stale course cache is real, and reviewed: kept as information with its reason
    accepted = [f for f in result.findings if "accepted" in f.evidence]
    assert len(accepted) == metrics["crosswrite_accepted"].value
    assert all(f.evidence["writer"] == "legacy" and f.evidence["read"].startswith("GET /api/v1/courses")
               for f in accepted)
    assert result.targets["candidate"]["kind"] == "spawn" and "data-crosswrite" in result.targets["legacy"]["database"]
    written = json.loads((run.out_dir / "data-crosswrite.json").read_text())
    assert written["passed"] and written["area"] == "data-crosswrite"


def test_a_reviewed_exception_covers_only_what_it_names_and_fails_the_area_once_expired(tmp_path):
    accepted = tmp_path / "accepted.yaml"
    accepted.write_text("- area: data-crosswrite\n  check: cross_write_read\n  resource: course.update\n"
                        "  writer: legacy\n  read: 'GET /api/v1/courses/*'\n"
                        "  reason: the candidate's course cache is stale after legacy writes\n  expires: 2030-01-01\n")

    def result() -> AreaResult:
        def read(resource: str, writer: str) -> Finding:
            return Finding(id=f"{resource}:{writer}", check="cross_write_read", severity=Severity.HIGH,
                           operation=resource, message="reads differently",
                           evidence={"writer": writer, "read": "GET /api/v1/courses/{course}", "field": "body.x"})
        return AreaResult(area="data-crosswrite", passed=False,
                          findings=[read("course.update", "legacy"), read("course.update", "candidate")],
                          metrics=[Metric("crosswrite_read_differences", "both", 2, "fields", "== 0", False)])

    entries = load_reviewed(accepted)
    live = crosswrite_area.apply_reviewed(result(), entries, dt.date(2029, 12, 31))
    assert [f.severity for f in live.findings] == [Severity.INFO, Severity.HIGH]  # the candidate's write: not named
    assert live.metrics[0].value == 1 and not live.passed

    expired = crosswrite_area.apply_reviewed(result(), entries, dt.date(2030, 1, 2))
    assert {f.check for f in expired.findings if f.severity == Severity.HIGH} == {"cross_write_read",
                                                                                    "accepted_difference_expired"}
    assert expired.metrics[0].value == 2
