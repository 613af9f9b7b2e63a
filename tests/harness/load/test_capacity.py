"""The capacity search (double, then bisect) against a synthetic app with a known capacity, and the verdict on
one step's figures."""
from __future__ import annotations

import pytest

from harness.load.capacity import ERRORS, GENERATOR, SERVER_LATENCY, Step, search, verdict
from harness.load.figures import OVERALL, OperationFigures, SideFigures
from harness.load.gates import Gates
from harness.load.profiles import Profile

TRUE_CAPACITY = 730


def profile(**changes) -> Profile:
    base = {"name": "capacity", "kind": "capacity", "start_users": 100, "max_users": 20_000, "factor": 2.0,
            "resolution": 0.1, "step_warmup_s": 10.0, "step_duration_s": 30.0, "max_steps": 12,
            "max_requests": 100_000}
    return Profile(**{**base, **changes})


def app_holding(true_capacity: int, *, generator_breaks_at: int | None = None):
    """A measure: a step holds iff users ≤ true_capacity; the generator breaks from generator_breaks_at on."""
    asked: list[int] = []

    def measure(users: int) -> Step:
        asked.append(users)
        if generator_breaks_at is not None and users >= generator_breaks_at:
            return Step(users, False, GENERATOR, 20.0, 0.0, 100.0, 1000, "send lag")
        held = users <= true_capacity
        return Step(users, held, None if held else SERVER_LATENCY, 50.0 if held else 250.0, 0.0, 100.0, 1000)

    measure.asked = asked
    return measure


def test_search_finds_the_capacity_within_resolution_and_never_above_it():
    measure = app_holding(TRUE_CAPACITY)
    found = search(profile(), "candidate", measure)
    assert found.largest_held is not None
    assert found.largest_held <= TRUE_CAPACITY
    assert TRUE_CAPACITY - found.largest_held <= 0.1 * TRUE_CAPACITY
    assert found.limited_by == "server latency"
    assert measure.asked[:4] == [100, 200, 400, 800], "doubles from start_users until a step breaks"
    assert [step.users for step in found.steps] == measure.asked
    assert all(step.held == (step.users <= TRUE_CAPACITY) for step in found.steps)


@pytest.mark.parametrize("max_steps", [1, 3, 5])
def test_search_respects_max_steps(max_steps):
    measure = app_holding(TRUE_CAPACITY)
    found = search(profile(max_steps=max_steps), "candidate", measure)
    assert len(found.steps) == len(measure.asked) == max_steps


def test_search_halves_down_when_even_the_first_step_breaks():
    measure = app_holding(30)
    found = search(profile(), "candidate", measure)
    assert measure.asked[:3] == [100, 50, 25]
    assert found.largest_held is not None and 30 * 0.9 <= found.largest_held <= 30
    assert found.limited_by == SERVER_LATENCY


def test_search_when_nothing_holds_reports_no_capacity():
    found = search(profile(start_users=8), "candidate", app_holding(0))
    assert found.largest_held is None
    assert [step.users for step in found.steps] == [8, 4, 2, 1]
    assert found.limited_by == SERVER_LATENCY


def test_search_stops_when_the_generator_breaks_and_says_so():
    measure = app_holding(TRUE_CAPACITY, generator_breaks_at=400)
    found = search(profile(), "candidate", measure)
    assert measure.asked == [100, 200, 400]
    assert found.largest_held == 200
    assert found.limited_by == GENERATOR
    assert found.to_dict()["limited_by"] == "generator"


def test_search_when_max_users_holds_is_limited_by_nothing():
    measure = app_holding(10**6)
    found = search(profile(max_users=500), "candidate", measure)
    assert measure.asked == [100, 200, 400, 500]
    assert found.largest_held == 500
    assert found.limited_by is None


def test_search_that_runs_out_of_steps_does_not_claim_the_ceiling_held():
    found = search(profile(max_steps=3, max_users=20_000), "candidate", app_holding(10**6))
    assert found.largest_held == 400
    assert found.limited_by is not None or found.largest_held == 20_000


def test_search_reports_its_progress():
    said: list[str] = []
    search(profile(max_steps=2), "legacy", app_holding(TRUE_CAPACITY), progress=said.append)
    assert said == ["load: legacy: capacity step 1: 100 users", "load: legacy: capacity step 2: 200 users"]


# -- verdict ------------------------------------------------------------------------------------------------------

def figures(*, requests: int = 1000, failures: int = 0, p95: float | None = 50.0,
            invalid: list[str] | None = None) -> SideFigures:
    overall = OperationFigures(operation=OVERALL, requests=requests, failures=failures, p95_ms=p95, rps=33.3)
    return SideFigures(side="candidate", overall=overall, invalid=invalid or [])


@pytest.mark.parametrize(("step_figures", "limited_by", "why"), [
    pytest.param(figures(invalid=["send lag p95 30.0 ms"], p95=500.0, failures=500), GENERATOR, "send lag",
                 id="invalid-generator-first"),
    pytest.param(figures(failures=10, p95=500.0), ERRORS, "1.0% of requests failed", id="one-percent-errors"),
    pytest.param(figures(requests=0, p95=None), ERRORS, "no request", id="nothing-measured"),
    pytest.param(figures(p95=100.0), SERVER_LATENCY, "p95 100.0 ms", id="p95-at-slo"),
    pytest.param(figures(p95=180.0, failures=9), SERVER_LATENCY, "p95 180.0 ms", id="p95-past-slo"),
    pytest.param(figures(p95=99.9, failures=9), None, "", id="held"),
])
def test_verdict_on_one_steps_figures(step_figures, limited_by, why):
    step = verdict(step_figures, Gates(), users=300)
    assert step.users == 300
    assert step.limited_by == limited_by
    assert step.held is (limited_by is None)
    assert why in step.why
    assert step.requests == step_figures.overall.requests and step.p95_ms == step_figures.overall.p95_ms

