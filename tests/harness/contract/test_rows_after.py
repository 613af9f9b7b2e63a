"""harness/data/after_traffic.py: the rows the gate's traffic leaves are compared by primary key. A write that answers
like legacy's but stores something else (a hard delete, a counter not bumped) fails the gate, naming the table and
the write; the faithful pairs (legacy against itself, the bundled Django candidate) leave nothing to report, and a
column legacy itself leaves differently is noise."""
from __future__ import annotations

import pytest

from harness.contract.exchange import Exchange, Reply, Sent
from harness.contract.gate import GateOptions, run_gate, to_result
from harness.contract.writes import WriteLedger
from harness.core.results import Severity
from harness.data import after_traffic as rows_after
from tests.conftest import ENGINES, seeded_database
from tests.harness.contract.conftest import blocking
from tests.harness.contract.faults_rows import ROW_FAULTS, enrollment_not_counted

FAST = ("postman",)


def gate(make_legacy, database_of, candidate, tmp_path, *, noise=None, candidate_db: str | None = None):
    """The gate on postman traffic with every side's database given; `noise` wraps legacy-2 (a fault there too)."""
    options = GateOptions(sources=FAST, candidate_conformance=False, accepted=tmp_path / "none.yaml")
    legacy2 = make_legacy("legacy-2")
    targets = {"legacy": make_legacy("legacy"), "legacy-2": noise(legacy2) if noise else legacy2,
               "candidate": candidate}
    databases = {side: database_of(side) for side in ("legacy", "legacy-2")}
    databases["candidate"] = candidate_db or database_of("candidate")
    run = run_gate(targets, options, databases=databases)
    return run, to_result(run, options)


def rows_findings(result) -> list:
    return [f for f in result.findings if f.check == rows_after.CHECK and f.severity == Severity.HIGH]


def metrics(result) -> dict:
    return {m.id: m for m in result.metrics}


def test_legacy_against_itself_leaves_the_same_rows(make_legacy, database_of, tmp_path):
    run, result = gate(make_legacy, database_of, make_legacy("candidate"), tmp_path)

    assert rows_findings(result) == [] and blocking(result) == [], [f.message for f in blocking(result)]
    measured = metrics(result)
    assert measured["rows_after_tables"].value == 21 and measured["rows_after_compared"].value > 300
    assert measured["rows_after_differing"].value == 0 and measured["rows_after_differing"].passed
    assert len(run.writes.writes) > 20  # postman's writes were recorded, with the ids they named


def test_the_bundled_django_candidate_leaves_the_same_rows(make_legacy, database_of, django_candidate, tmp_path):
    run, result = gate(make_legacy, database_of, django_candidate, tmp_path)

    assert rows_findings(result) == [], [f.message for f in rows_findings(result)]
    assert metrics(result)["rows_after_differing"].passed
    # the candidate minted its own ids for what postman created: they were translated back, not reported
    assert len(run.writes.writes) > 20


@pytest.mark.parametrize("fault", sorted(ROW_FAULTS))
def test_a_write_that_stores_other_rows_fails_the_gate_naming_the_table_and_the_write(
        fault, make_legacy, database_of, tmp_path):
    inject, table, operation = ROW_FAULTS[fault]
    candidate = inject(make_legacy("candidate"), database_of("candidate"))

    _, result = gate(make_legacy, database_of, candidate, tmp_path)

    assert not result.passed
    found = [f for f in rows_findings(result) if f.evidence["table"] == table]
    assert found, [f.message for f in blocking(result)]
    assert any(operation in [w["operation"] for w in f.evidence["writes"]] for f in found), \
        [(f.message, f.evidence["writes"]) for f in found]
    assert all(table in f.message for f in found)
    assert any(operation.split(" ", 1)[0] in f.message for f in found)
    assert metrics(result)["rows_after_differing"].passed is False


def test_a_column_legacy_leaves_differently_too_is_noise(make_legacy, database_of, tmp_path):
    candidate = enrollment_not_counted(make_legacy("candidate"), database_of("candidate"))

    _, result = gate(make_legacy, database_of, candidate, tmp_path,
                     noise=lambda app: enrollment_not_counted(app, database_of("legacy-2")))

    assert [f for f in rows_findings(result) if f.evidence["table"] == "courses"] == []
    assert metrics(result)["rows_after_noisy_columns"].value >= 1


def test_without_databases_the_rows_are_not_compared(make_legacy, tmp_path):
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "candidate": make_legacy("candidate")}, options)

    assert run.after_traffic == []
    assert "rows_after_compared" not in metrics(to_result(run, options))


def test_a_table_too_large_to_read_is_skipped_with_an_info_finding(make_legacy, database_of, monkeypatch):
    for side in ("legacy", "candidate"):
        make_legacy(side)
    monkeypatch.setattr(rows_after, "MAX_ROWS", 20)  # the small seed's videos, quizzes, video_progress exceed it

    outcome = rows_after.compare({side: database_of(side) for side in ("legacy", "candidate")}, {})
    produced = list(rows_after.findings(outcome, WriteLedger()))

    skipped = [f for f in produced if getattr(f, "severity", None) == Severity.INFO]
    assert {f.evidence["table"] for f in skipped} == {"videos", "quizzes", "video_progress"}
    assert all("more than 20" in f.message for f in skipped)
    tables = next(m for m in produced if getattr(m, "id", "") == "rows_after_tables")
    assert tables.value == 21 - len(skipped)


def test_the_ledger_keeps_writes_legacy_answered_with_a_2xx_and_the_ids_they_named():
    course, video, minted = ("11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
                             "33333333-3333-4333-8333-333333333333")
    ledger = WriteLedger()

    def exchange(seq, method, path, status, body=b"", reply=b"{}"):
        ex = Exchange(seq, f"op{seq} {method} {path}", "postman")
        ex.sent, ex.replies = {"legacy": Sent(method, path, [], body)}, {"legacy": Reply(status, [], reply)}
        return ex

    ledger(exchange(1, "POST", f"/courses/{course}/videos", 201, body=b'{"title": "x"}',
                    reply=f'{{"id": "{video.upper()}"}}'.encode()))
    ledger(exchange(2, "GET", f"/courses/{course}", 200))  # a read
    ledger(exchange(3, "DELETE", f"/videos/{video}", 404))  # refused: nothing written
    ledger(exchange(4, "PUT", "/profile", 200, body=f'{{"course": "{course}", "new": "{minted}"}}'.encode()))

    assert [w.seq for w in ledger.writes] == [1, 4]
    assert ledger.writes[0].ids == {course, video}
    assert [w.seq for w in ledger.touching([course])] == [1, 4]
    assert [w.seq for w in ledger.touching([video.upper()])] == [1]
    assert ledger.touching(["44444444-4444-4444-8444-444444444444"]) == []


#: A course's counter bumped, its updated_at a minute later (within the tolerance) and a password hash changed (not
#: observable), on the candidate's copy: only the counter is a difference.
DRIFT = {
    "sqlite": ("UPDATE courses SET enrollment_count = enrollment_count + 1, "
               "updated_at = datetime(updated_at, '+60 seconds') WHERE id = :course",
               "UPDATE users SET password_hash = 'changed' WHERE id = :user"),
    "postgres": ("UPDATE courses SET enrollment_count = enrollment_count + 1, "
                 "updated_at = updated_at + interval '60 seconds' WHERE id = :course",
                 "UPDATE users SET password_hash = 'changed' WHERE id = :user"),
}


@pytest.mark.parametrize("engine", ENGINES)
def test_only_what_a_client_can_observe_differs_on_either_engine(request, engine, tmp_path):
    import sqlalchemy as sa

    from harness.seed import SCALES, Graph

    graph = Graph(SCALES["small"], 0)
    params = {"course": graph.course_id(0), "user": graph.user_id(graph.student_user(0))}
    (tmp_path / "legacy").mkdir()
    (tmp_path / "candidate").mkdir()
    with seeded_database(request, engine, tmp_path / "legacy") as legacy, \
            seeded_database(request, engine, tmp_path / "candidate") as candidate:
        writer = sa.create_engine(candidate)
        with writer.begin() as conn:
            for statement in DRIFT[engine]:
                conn.execute(sa.text(statement), params)
        writer.dispose()
        outcome = rows_after.compare({"legacy": legacy, "candidate": candidate}, {})

    produced = list(rows_after.findings(outcome, WriteLedger()))
    (finding,) = [f for f in produced if getattr(f, "check", "") == rows_after.CHECK]
    assert finding.evidence["table"] == "courses" and finding.evidence["columns"] == ["enrollment_count"]
    assert finding.evidence["key"] == {"id": params["course"]} and finding.evidence["last_write"] == "no recorded write"
    assert finding.evidence["candidate"]["enrollment_count"] == finding.evidence["legacy"]["enrollment_count"] + 1
