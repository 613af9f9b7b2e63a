"""harness/contract/gate.py: the contract gate passes legacy against itself and catches each injected drift,
naming the operation and the field (or check)."""
from __future__ import annotations

import pytest

from harness.contract.gate import GateOptions, run_gate, to_result
from harness.core.results import Severity
from tests.harness.contract.conftest import blocking
from tests.harness.contract.faults import FAULTS

FAST = ("postman", "probes")


def gate_result(make_legacy, candidate, options: GateOptions):
    run = run_gate({"legacy": make_legacy("legacy"), "legacy-2": make_legacy("legacy-2"), "candidate": candidate},
                   options)
    return run, to_result(run, options)


def test_legacy_against_itself_reports_nothing(make_legacy, tmp_path):
    # The three request sources of breadth; states and edges are held to the same "nothing on a faithful pair" on
    # the bundled pair (test_contract_command.py, test_edges.py, test_status_coverage.py).
    options = GateOptions(sources=("postman", "probes", "schemathesis"), phases=("examples", "fuzzing", "stateful"),
                          max_examples=2, candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run, result = gate_result(make_legacy, make_legacy("candidate"), options)
    assert blocking(result) == [], [f.message for f in blocking(result)]
    assert result.passed
    assert run.sources["postman"] >= 61 and run.sources["probes"] == 140 and run.sources["schemathesis"] > 150
    metrics = {(m.id, m.side): m.value for m in result.metrics}
    assert metrics[("pairs_compared", "candidate")] == 2 * sum(run.sources.values())
    assert metrics[("operations_exercised", "candidate")] == 70
    # what reached a real object: 2xx per operation, in all and through the generated (schemathesis) cases alone;
    # with the seeded ids in their path parameters most generated cases reach one (27 of 70 operations without)
    assert metrics[("operations_reaching_2xx_generated", "candidate")] >= 70
    assert metrics[("operations_reaching_2xx", "candidate")] >= 68
    (coverage,) = [f for f in result.findings if f.id == "success-coverage:candidate"]
    assert coverage.evidence["by_operation"]["P2 POST /api/v1/auth/login"]["postman"] > 0


def test_probes_alone_reach_objects_but_no_generated_case_does(make_legacy, tmp_path):
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    _, result = gate_result(make_legacy, make_legacy("candidate"), options)
    metrics = {(m.id, m.side): m.value for m in result.metrics}
    assert metrics[("operations_reaching_2xx", "legacy")] > 0
    assert metrics[("operations_reaching_2xx_generated", "legacy")] == 0.0
    (coverage,) = [f for f in result.findings if f.id == "success-coverage:legacy"]
    assert len(coverage.evidence["without_generated_2xx"]) == 70


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_injected_drift_is_caught_at_its_operation_and_field(fault, make_legacy, tmp_path):
    inject, operation, field = FAULTS[fault]
    options = GateOptions(sources=FAST, candidate_conformance=False, accepted=tmp_path / "none.yaml")
    _, result = gate_result(make_legacy, inject(make_legacy("candidate")), options)
    assert not result.passed
    hits = [f for f in blocking(result) if operation in (f.operation or "")
            and (f.evidence.get("field") == field or f.check == field)]
    assert hits, [(f.operation, f.evidence.get("field"), f.check) for f in blocking(result)]


def test_an_accepted_difference_passes_until_it_expires(make_legacy, tmp_path):
    import datetime as dt

    accepted = tmp_path / "accepted.yaml"
    accepted.write_text("- area: contract\n  operation: 'P16 GET /api/v1/courses'\n  field: 'header:x-total-count'\n"
                        "  reason: the client computes the total itself\n  expires: 2030-01-01\n")
    inject = FAULTS["missing_header"][0]
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=accepted,
                          today=dt.date(2029, 12, 31))
    run, result = gate_result(make_legacy, inject(make_legacy("candidate")), options)
    assert result.passed, [f.message for f in blocking(result)]
    assert [f.severity for f in result.findings if f.check == "header_parity"] == [Severity.INFO]
    options.today = dt.date(2030, 1, 2)
    expired = to_result(run, options)
    assert not expired.passed
    assert {f.check for f in blocking(expired)} >= {"accepted_difference_expired", "header_parity"}


def test_parallel_sides_and_the_background_comparison_find_what_the_inline_path_finds(make_legacy):
    """Server sides answer in parallel and the comparison runs on its own thread (drained before reading)."""
    from harness.contract.fanout import FanOut, OperationResolver, WsgiSide
    from harness.contract.gate import _probe, filler, seeded_path_params
    from harness.contract.noise import Analyzer
    from harness.contract.routes import load_contract

    contract = load_contract()
    verdicts = []
    for concurrent in (False, True):
        analyzer = Analyzer("legacy", "candidate", "legacy-2")
        fan = FanOut(WsgiSide("legacy", make_legacy(f"l{concurrent}")),
                     [WsgiSide("legacy-2", make_legacy(f"n{concurrent}")),
                      WsgiSide("candidate", FAULTS["removed_auth_check"][0](make_legacy(f"c{concurrent}")))],
                     OperationResolver(contract["paths"]), analyzer, concurrent=concurrent)
        _probe(fan, contract, filler(seeded_path_params()))
        fan.close()
        assert sum(analyzer.totals.values()) == fan.exchanges == 140
        verdicts.append({(v.operation, v.field) for v in analyzer.verdicts() if analyzer.reported(v)})
    assert verdicts[0] == verdicts[1] and ("P13 GET /api/v1/user/profile", "status") in verdicts[0]


def _draws(ids, created=None, n=300):
    from hypothesis import HealthCheck, given, settings

    from harness.contract.conformance import reach_seeded_objects

    registered = {}

    class Schema:
        def hook(self, function):
            registered[function.__name__] = function

    reach_seeded_objects(Schema(), ids, created=created)
    strategy = registered["flatmap_path_parameters"](None, {"course_id": "invented", "other": "x"})
    seen = []

    @settings(max_examples=n, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def draw(params):
        seen.append(params)

    draw()
    return seen


def test_generated_cases_address_the_seeds_rows_and_keep_a_minority_of_invented_ids():
    """reach_seeded_objects: most generated path parameters take a seeded id; the rows are not those the other
    sources read (the generated cases may delete them)."""
    from harness.contract.gate import generated_ids, seeded_path_params

    ids = generated_ids()
    assert set(ids.values()).isdisjoint(seeded_path_params().values())
    seen = _draws(ids)
    seeded = sum(p["course_id"] == ids["course_id"] for p in seen)
    assert {p["other"] for p in seen} == {"x"} and 0 < len(seen) - seeded < seeded


def test_generated_cases_also_address_what_the_run_created():
    from harness.contract.created import CreatedIds
    from harness.contract.exchange import Exchange, Reply
    from harness.contract.gate import generated_ids

    created = CreatedIds("legacy")
    for n, operation in enumerate(("P31 POST /api/v1/instructor/courses", "P16 GET /api/v1/courses")):
        ex = Exchange(n, operation, "postman")
        made = f"00000000-0000-4000-8000-00000000000{n}"
        ex.replies = {"legacy": Reply(201, [("Content-Type", "application/json")],
                                      f'{{"data": {{"id": "{made}"}}}}'.encode())}
        created(ex, {})
    assert created.pool("course_id") == ["00000000-0000-4000-8000-000000000000"]  # a listing creates nothing
    ids = generated_ids()
    seen = [p["course_id"] for p in _draws(ids, created.pool)]
    shares = {value: seen.count(value) / len(seen) for value in set(seen)}
    assert set(shares) == {ids["course_id"], "00000000-0000-4000-8000-000000000000", "invented"}
    assert shares["invented"] < 0.4 and shares[ids["course_id"]] > shares["invented"]


def test_a_listing_in_another_order_is_one_ordering_finding_not_one_per_field(make_legacy, tmp_path):
    """Entries reordered (as ties sorted the other way round would be) and one title changed on top: the listing is
    reported once for its order and once for the changed field, however many fields its entries have."""
    from tests.harness.contract.faults import ResponseRewriter, _json_edit

    def edit(doc):
        courses = doc["data"]["courses"]
        courses.reverse()
        if courses:
            courses[0]["title"] += " (edited)"
    candidate = ResponseRewriter(make_legacy("candidate"), _json_edit("/api/v1/courses", "GET", edit))
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    _, result = gate_result(make_legacy, candidate, options)
    listing = sorted((f.evidence["field"], tuple(f.evidence["kinds"])) for f in blocking(result)
                     if f.operation == "P16 GET /api/v1/courses")
    assert listing == [("body.data.courses", ("ordering",)), ("body.data.courses[*].title", ("value",))]


def test_what_differs_only_because_the_status_does_is_one_finding_at_the_status(make_legacy, tmp_path):
    """An anonymous profile read served instead of refused: the status, and with it the envelope, differ; one
    finding names the status and the fields that follow from it."""
    options = GateOptions(sources=("probes",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    _, result = gate_result(make_legacy, FAULTS["removed_auth_check"][0](make_legacy("candidate")), options)
    (profile,) = [f for f in blocking(result) if f.operation == "P13 GET /api/v1/user/profile"]
    assert profile.check == "access_parity" and profile.evidence["field"] == "status"
    assert {"body.error", "body.data", "body.ok"} <= set(profile.evidence["consequences"])
    assert "differ only there" in profile.message


def test_a_field_that_also_differs_where_the_status_agrees_stays_a_finding_of_its_own():
    from harness.contract.gate import fold_into_status
    from harness.contract.noise import FieldVerdict

    def verdict(field, seqs):
        return FieldVerdict("P1 POST /x", field, ("value",), len(seqs), 0, 10, [], exchanges=frozenset(seqs))

    status, envelope, renamed = verdict("status", {1, 2}), verdict("body.error", {1, 2}), verdict("body.id", {2, 3})
    assert fold_into_status([status, envelope, renamed]) == [status, renamed]
    assert status.consequences == ["body.error"]
