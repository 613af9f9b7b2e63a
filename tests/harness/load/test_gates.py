"""scenarios/gates.toml and the gate checks: each check silent on a faithful candidate, and on a faulty one a
finding that names what a user needs (the operation, its figure, the limit)."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.load import gates as gates_module
from harness.load.figures import OVERALL, OperationFigures, SideFigures
from harness.load.gates import CHECKS, Gates, Limits, judge, load_gates

SHIPPED = Path(__file__).resolve().parents[3] / "scenarios" / "gates.toml"
CATALOGUE, COURSE = "GET /api/v1/courses", "GET /api/v1/courses/{course_id}"
REVIEWS = "GET /api/v1/courses/{course_id}/reviews"
ENROL = "POST /api/v1/courses/{course_id}/enrolments"
GATES = Gates(cached=(CATALOGUE, COURSE))


def op(name: str, requests: int = 200, *, p95: float = 40.0, ci: tuple[float, float] | None = None,
       failures: int = 0, errors: dict[str, int] | None = None, queries: int | None = 3,
       hits: int = 0, misses: int = 0) -> OperationFigures:
    return OperationFigures(
        operation=name, requests=requests, failures=failures, p50_ms=p95 / 2, p90_ms=p95 * 0.9, p95_ms=p95,
        p99_ms=p95 * 1.2, max_ms=p95 * 2, p95_ci=ci or (p95 * 0.95, p95 * 1.05), server_p95_ms=p95 * 0.8,
        intended_p95_ms=p95, lag_p95_ms=1.0, queries_max=queries,
        queries_median=None if queries is None else queries / 2, cache_hits=hits, cache_misses=misses,
        statuses={"200": requests - failures, **({"500": failures} if failures else {})}, errors=errors or {})


def side(*operations: OperationFigures, name: str = "candidate", overall_p95: float | None = None,
         invalid: list[str] | None = None) -> SideFigures:
    requests = sum(o.requests for o in operations)
    failures = sum(o.failures for o in operations)
    p95 = overall_p95 if overall_p95 is not None else max(o.p95_ms for o in operations)
    overall = op(OVERALL, requests, p95=p95, failures=failures,
                 queries=max((o.queries_max for o in operations if o.queries_max is not None), default=None))
    return SideFigures(side=name, overall=overall, operations={o.operation: o for o in operations}, users=50,
                       measured_s=60.0, invalid=invalid or [], generator={"workers": []},
                       evidence=f"load/{name}_operations.csv")


def faithful(name: str = "candidate") -> SideFigures:
    return side(op(CATALOGUE, hits=180, misses=20), op(COURSE, hits=190, misses=10), op(ENROL, p95=60.0),
                name=name)


def findings_of(check, candidate, legacy=None, gates=GATES):
    return check(gates, candidate, legacy)[1]


# -- the file -----------------------------------------------------------------------------------------------------

def test_the_shipped_gates_are_the_plans_targets():
    gates = load_gates(SHIPPED)
    assert gates.overall == Limits(p95_ms=100.0, error_rate=0.01, queries_max=10)
    assert gates.queries_median == 5
    assert gates.cache_hit_ratio == pytest.approx(0.80)
    assert gates.min_samples == 20
    assert (gates.regression_percent, gates.regression_ms) == (10.0, 2.0)
    assert set(gates.cached) == {CATALOGUE, COURSE, REVIEWS}
    assert gates.generator_added_p95_ms == 10.0 and gates.generator_cpu_percent == 80.0


@pytest.mark.parametrize(("text", "says"), [
    pytest.param("[overall\np95_ms = 1\n", "not valid TOML", id="not-toml"),
    pytest.param("[overall]\np95 = 100\n", "'p95'", id="unknown-key"),
    pytest.param("[overall]\np95_ms = -1\n", "p95_ms", id="negative"),
    pytest.param("[overall]\np95_ms = true\n", "p95_ms", id="bool"),
    pytest.param("[overall]\np95_ms = \"fast\"\n", "p95_ms", id="text"),
    pytest.param("overall = 3\n", "[overall]", id="overall-not-a-table"),
    pytest.param("[not_worse_than_legacy]\nratio = 2\n", "'ratio'", id="unknown-regression-key"),
    pytest.param("[generator_health]\ncpu_percent = -5\n", "cpu_percent", id="negative-health"),
    pytest.param("[cached]\noperations = \"GET /x\"\n", "[cached]", id="cached-not-a-list"),
    pytest.param("[cached]\noperations = [1, 2]\n", "[cached]", id="cached-not-names"),
    pytest.param("[operations.\"GET /x\"]\np95 = 3\n", "GET /x", id="operation-unknown-key"),
    pytest.param("[operations]\n\"GET /x\" = 300\n", "GET /x", id="operation-not-a-table"),
])
def test_a_gates_file_at_fault_is_refused_in_one_line(tmp_path, text, says):
    path = tmp_path / "gates.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_gates(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and says in message


def test_a_misspelt_table_is_refused(tmp_path):
    path = tmp_path / "gates.toml"
    path.write_text("[overal]\np95_ms = 50\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="overal"):
        load_gates(path)


def test_per_operation_overrides_apply_to_that_operation_only(tmp_path):
    path = tmp_path / "gates.toml"
    path.write_text('[overall]\np95_ms = 100\nqueries_max = 8\n[operations."GET /x"]\np95_ms = 300\n',
                    encoding="utf-8")
    gates = load_gates(path)
    assert gates.limits("GET /x") == Limits(p95_ms=300, error_rate=0.01, queries_max=8)
    assert gates.limits("GET /y") == gates.overall == Limits(p95_ms=100, error_rate=0.01, queries_max=8)
    candidate = side(op("GET /x", p95=150.0), op("GET /y", p95=150.0), overall_p95=90.0)
    named = {f.operation for f in findings_of(gates_module.latency_p95, candidate, gates=gates)}
    assert named == {"GET /y"}


# -- every check: silent on a faithful candidate ------------------------------------------------------------------

@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_every_check_is_silent_on_a_faithful_candidate(check):
    metrics, findings = check(GATES, faithful(), faithful("legacy"))
    assert findings == []
    assert all(metric.passed is not False for metric in metrics), metrics


def test_faithful_candidate_passes_every_gated_metric():
    metrics, findings = judge(GATES, faithful(), faithful("legacy"))
    gated = {m.id: m.passed for m in metrics if m.passed is not None}
    assert findings == []
    assert {"p95_ms", "p95_ratio_to_legacy", "error_rate", "queries_per_request_max", "queries_per_request_median",
            "cache_hit_ratio"} <= set(gated)
    assert all(gated.values())


def test_every_check_is_covered_here():
    assert {check.__name__ for check in CHECKS} == {"latency_p95", "latency_regression", "error_rate", "queries",
                                                    "cache_hit_ratio"}


# -- latency_p95 --------------------------------------------------------------------------------------------------

def test_latency_p95_names_the_slow_operation_and_its_p95():
    candidate = side(op(CATALOGUE), op(ENROL, requests=40, p95=150.0, ci=(140.0, 160.0)))
    metrics, findings = gates_module.latency_p95(GATES, candidate, None)
    assert [f.operation for f in findings] == [ENROL]
    assert ENROL in findings[0].message and "150.0 ms" in findings[0].message and "100 ms" in findings[0].message
    assert findings[0].severity == "high"
    assert metrics[0].id == "p95_ms" and metrics[0].passed is False


def test_latency_p95_does_not_judge_an_operation_with_too_few_samples():
    rare = op(ENROL, requests=GATES.min_samples - 1, p95=900.0)
    candidate = side(op(CATALOGUE), rare, overall_p95=45.0)
    assert findings_of(gates_module.latency_p95, candidate) == []
    enough = side(op(CATALOGUE), op(ENROL, requests=GATES.min_samples, p95=900.0), overall_p95=45.0)
    assert [f.operation for f in findings_of(gates_module.latency_p95, enough)] == [ENROL]


def test_latency_p95_overall_over_the_slo_is_a_finding_even_when_no_operation_is_judged():
    candidate = side(op(ENROL, requests=5, p95=300.0), overall_p95=300.0)
    findings = findings_of(gates_module.latency_p95, candidate)
    assert len(findings) == 1 and "overall p95 300.0 ms" in findings[0].message


# -- latency_regression -------------------------------------------------------------------------------------------

def _regression(candidate_p95: float, ci_low: float, legacy_p95: float = 50.0):
    legacy = side(op(CATALOGUE), op(ENROL, p95=legacy_p95), name="legacy", overall_p95=40.0)
    candidate = side(op(CATALOGUE), op(ENROL, p95=candidate_p95, ci=(ci_low, candidate_p95 + 10)), overall_p95=40.0)
    return gates_module.latency_regression(GATES, candidate, legacy)


def test_latency_regression_fires_when_the_ci_low_is_past_the_tolerance():
    # legacy 50 ms: allowed 50 × 1.10 + 2 = 57 ms
    _, findings = _regression(candidate_p95=70.0, ci_low=58.0)
    assert [f.operation for f in findings] == [ENROL]
    message = findings[0].message
    assert "70.0 ms" in message and "50.0 ms" in message and "57.0 ms" in message
    assert set(findings[0].evidence) == {"candidate", "legacy"}


@pytest.mark.parametrize(("candidate_p95", "ci_low"), [
    pytest.param(70.0, 56.0, id="point-worse-ci-low-within"),
    pytest.param(70.0, 57.0, id="ci-low-exactly-at-tolerance"),
    pytest.param(56.0, 50.0, id="within-tolerance"),
])
def test_latency_regression_is_silent_on_noise(candidate_p95, ci_low):
    _, findings = _regression(candidate_p95, ci_low)
    assert findings == []


def test_latency_regression_overall_fails_the_ratio_metric():
    legacy = side(op(CATALOGUE, p95=40.0), name="legacy")
    candidate = side(op(CATALOGUE, p95=80.0, ci=(75.0, 85.0)))
    metrics, findings = gates_module.latency_regression(GATES, candidate, legacy)
    assert {f.operation for f in findings} == {None, CATALOGUE}
    assert metrics[0].value == pytest.approx(2.0) and metrics[0].passed is False


@pytest.mark.parametrize(("legacy_n", "candidate_n"), [(3, 200), (200, 3)], ids=["legacy-few", "candidate-few"])
def test_latency_regression_skips_operations_measured_too_little(legacy_n, candidate_n):
    legacy = side(op(CATALOGUE), op(ENROL, requests=legacy_n, p95=10.0), name="legacy", overall_p95=40.0)
    candidate = side(op(CATALOGUE), op(ENROL, requests=candidate_n, p95=90.0, ci=(85.0, 95.0)), overall_p95=40.0)
    assert findings_of(gates_module.latency_regression, candidate, legacy) == []
    enough = side(op(CATALOGUE), op(ENROL, p95=90.0, ci=(85.0, 95.0)), overall_p95=40.0)
    legacy.operations[ENROL].requests = 200
    assert [f.operation for f in findings_of(gates_module.latency_regression, enough, legacy)] == [ENROL]


def test_latency_regression_without_legacy_says_nothing():
    assert gates_module.latency_regression(GATES, faithful(), None) == ([], [])


# -- error_rate ---------------------------------------------------------------------------------------------------

def test_error_rate_names_the_failing_operation_and_its_top_error():
    failing = op(ENROL, requests=100, failures=5, errors={"500 Internal Server Error": 4, "ConnectionReset": 1})
    candidate = side(op(CATALOGUE, requests=100), failing)
    metrics, findings = gates_module.error_rate(GATES, candidate, None)
    assert [f.operation for f in findings] == [ENROL]
    message = findings[0].message
    assert "5 of 100" in message and "5.0%" in message and "500 Internal Server Error (×4)" in message
    assert metrics[0].value == pytest.approx(0.025) and metrics[0].passed is False
    assert findings[0].severity == "high"


def test_error_rate_under_the_limit_overall_still_names_a_failing_operation_as_medium():
    candidate = side(op(CATALOGUE, requests=10_000), op(ENROL, requests=100, failures=5, errors={"409": 5}))
    metrics, findings = gates_module.error_rate(GATES, candidate, None)
    assert metrics[0].passed is True
    assert [(f.operation, f.severity) for f in findings] == [(ENROL, "medium")]


# -- queries ------------------------------------------------------------------------------------------------------

def test_queries_names_the_operation_with_too_many_statements_and_its_count():
    candidate = side(op(CATALOGUE, queries=31), op(ENROL, queries=4))
    metrics, findings = gates_module.queries(GATES, candidate, None)
    assert [f.operation for f in findings] == [CATALOGUE]
    assert "31 SQL statements" in findings[0].message and "limit 10" in findings[0].message
    assert {m.id: m.passed for m in metrics}["queries_per_request_max"] is False


def test_queries_at_the_limit_is_not_a_finding():
    assert findings_of(gates_module.queries, side(op(CATALOGUE, queries=10))) == []


def test_queries_unmeasured_is_said_so():
    metrics, findings = gates_module.queries(GATES, side(op(CATALOGUE, queries=None)), None)
    assert metrics[0].value is None and metrics[0].passed is None
    assert len(findings) == 1 and "not measured" in findings[0].message and findings[0].severity == "medium"


# -- cache_hit_ratio ----------------------------------------------------------------------------------------------

def test_cache_hit_ratio_no_lookup_on_cached_reads_says_the_cache_is_off():
    candidate = side(op(CATALOGUE), op(COURSE), op(ENROL))
    metrics, findings = gates_module.cache_hit_ratio(GATES, candidate, None)
    assert len(findings) == 1
    assert "cache is off" in findings[0].message and "400 requests" in findings[0].message
    assert metrics[0].value == 0.0 and metrics[0].passed is False


@pytest.mark.parametrize(("hits", "misses", "fires"), [
    pytest.param(100, 100, True, id="half"),
    pytest.param(180, 20, False, id="ninety-percent"),
    pytest.param(160, 40, False, id="exactly-eighty"),
])
def test_cache_hit_ratio_against_the_gate(hits, misses, fires):
    candidate = side(op(CATALOGUE, hits=hits, misses=misses), op(COURSE, hits=hits, misses=misses), op(ENROL))
    metrics, findings = gates_module.cache_hit_ratio(GATES, candidate, None)
    assert metrics[0].value == pytest.approx(hits / (hits + misses))
    assert bool(findings) is fires
    if fires:
        assert f"{2 * hits} hits in {2 * (hits + misses)} lookups (50%)" in findings[0].message


def test_cache_hit_ratio_only_counts_the_cached_reads():
    candidate = side(op(CATALOGUE, hits=90, misses=10), op(ENROL, misses=1000))
    assert findings_of(gates_module.cache_hit_ratio, candidate) == []


# -- judge on an invalid run -------------------------------------------------------------------------------------

@pytest.mark.parametrize("invalid_sides", [("candidate",), ("legacy",), ("candidate", "legacy")])
def test_judge_does_not_judge_an_invalid_run(invalid_sides):
    def build(name):
        why = [f"send lag p95 40.0 ms on the {name}"] if name in invalid_sides else []
        return side(op(CATALOGUE, p95=400.0, queries=50), op(COURSE), name=name, invalid=why)

    metrics, findings = judge(GATES, build("candidate"), build("legacy"))
    assert metrics and all(metric.passed is None for metric in metrics)
    assert [f.check for f in findings] == ["generator_health"] * len(invalid_sides)
    assert {f.id for f in findings} == {f"load.generator_health.{name}" for name in invalid_sides}
    for finding in findings:
        assert "invalid" in finding.message and "send lag p95 40.0 ms" in finding.message


def test_a_profile_judges_only_the_gates_it_names_and_still_shows_the_others():
    slow_and_cold = side(op(CATALOGUE, p95=40.0, hits=10, misses=90), op(COURSE, p95=150.0))
    judged_metrics, judged = judge(GATES, slow_and_cold, None, only=("latency_p95", "error_rate", "queries"),
                                   profile="smoke")
    blocking = [f for f in judged if f.severity in ("critical", "high")]
    assert [f.check for f in blocking] == ["latency_p95"] and blocking[0].operation == COURSE
    (cache,) = [f for f in judged if f.check == "cache_hit_ratio"]
    assert cache.severity == "info" and cache.message.startswith("(not judged under the smoke profile)")
    (ratio,) = [m for m in judged_metrics if m.id == "cache_hit_ratio"]
    assert ratio.value == 0.1 and ratio.passed is None
    _, everything = judge(GATES, slow_and_cold, None)
    assert {f.check for f in everything if f.severity == "high"} == {"latency_p95", "cache_hit_ratio"}


def test_a_profile_can_name_every_gate_and_nothing_else():
    """profiles.py checks `judge = [...]` against its own list of gate names: it must be the gates' own."""
    from harness.load.profiles import CHECK_NAMES

    assert tuple(check.__name__ for check in CHECKS) == CHECK_NAMES
