"""harness/contract/roundtrip.py: the write-then-read source runs to its end on legacy in a few hundred requests,
reports nothing on the faithful pairs (legacy against itself, legacy against the bundled Django candidate), catches
each write fault of faults_writes.py at the operation where it shows, and says why when legacy refuses a step."""
from __future__ import annotations

import pytest

from harness.contract import roundtrip
from harness.contract.gate import GateOptions, SkipReason
from harness.http import Reply, Sent
from tests.harness.contract.conftest import blocking
from tests.harness.contract.faults_writes import FAULTS
from tests.harness.contract.test_gate import gate_result

#: What only a run that reached its end answers: the review updated (200 after the 201), the third enrolment
#: refused (409), the unenrolment without an enrolment (404), the course deleted twice (200, then 404), a
#: taken e-mail in another spelling (409).
LATE_STATUSES = {("P28 POST /api/v1/student/courses/{course_id}/review", 201),
                 ("P28 POST /api/v1/student/courses/{course_id}/review", 200),
                 ("P21 POST /api/v1/student/courses/{course_id}/enroll", 409),
                 ("P22 POST /api/v1/student/courses/{course_id}/unenroll", 404),
                 ("P33 DELETE /api/v1/instructor/courses/{course_id}", 200),
                 ("P33 DELETE /api/v1/instructor/courses/{course_id}", 404),
                 ("P30 GET /api/v1/instructor/courses/{course_id}", 404),
                 ("P1 POST /api/v1/auth/signup", 409)}


def options(tmp_path) -> GateOptions:
    return GateOptions(sources=("roundtrip",), candidate_conformance=False, accepted=tmp_path / "none.yaml")


@pytest.mark.slow
def test_legacy_against_itself_runs_every_step_and_reports_nothing(make_legacy, tmp_path):
    run, result = gate_result(make_legacy, make_legacy("candidate"), options(tmp_path))
    assert blocking(result) == [], [f.message for f in blocking(result)]
    assert result.passed and run.skipped == []
    assert 150 <= run.sources["roundtrip"] <= 300
    assert LATE_STATUSES <= run.analyzer.statuses["legacy"]


@pytest.mark.slow
def test_the_bundled_pair_reports_nothing(make_legacy, django_candidate, tmp_path):
    run, result = gate_result(make_legacy, django_candidate, options(tmp_path))
    assert blocking(result) == [], [(f.operation, f.evidence.get("field"), f.message) for f in blocking(result)]
    assert LATE_STATUSES <= run.analyzer.statuses["candidate"]


@pytest.mark.slow
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_write_fault_is_caught_where_it_shows(fault, make_legacy, tmp_path):
    inject, operation, field = FAULTS[fault]
    _, result = gate_result(make_legacy, inject(make_legacy("candidate")), options(tmp_path))
    assert not result.passed
    hits = [f for f in blocking(result) if f.operation == operation and f.evidence.get("field") == field]
    assert hits, [(f.operation, f.evidence.get("field")) for f in blocking(result)]
    assert all(f.evidence["source"] == "roundtrip" for f in hits)


def test_a_step_legacy_refuses_ends_the_source_and_says_which():
    sent: list[Sent] = []

    def unavailable(request: Sent) -> Reply:
        sent.append(request)
        return Reply(503, [("Content-Type", "application/json")], b'{"ok": false}')

    (skip,) = roundtrip.run(unavailable, ("admin@unpuzzle.test", "Admin123!"))
    assert len(sent) == 1 and skip.reason is SkipReason.REFUSED_BY_LEGACY
    assert "503 to POST /api/v1/auth/signup (documented: 201)" in str(skip)

