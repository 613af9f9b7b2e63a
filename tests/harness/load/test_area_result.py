"""The load area's result from what each side measured: the capacity gate (the candidate holds at least as many
users as legacy) and legacy's figures shown as the baseline, never judged."""
from __future__ import annotations

import pytest

from harness.load import area
from harness.load.capacity import SERVER_LATENCY, Capacity


@pytest.mark.parametrize(("candidate", "passed"), [(200, False), (500, True), (640, True), (None, False)])
def test_the_candidate_must_hold_at_least_as_many_users_as_legacy(candidate, passed):
    outcomes = {"legacy": area.SideOutcome(capacity=Capacity("legacy", 500, SERVER_LATENCY)),
                "candidate": area.SideOutcome(capacity=Capacity("candidate", candidate, SERVER_LATENCY))}
    metrics = {m.side: m for m in area._capacity_metrics(outcomes)}
    assert metrics["legacy"].value == 500 and metrics["legacy"].passed is None
    assert metrics["candidate"].value == candidate and metrics["candidate"].passed is passed
    assert metrics["candidate"].target == "≥ 500 (legacy)"


def test_a_capacity_measured_on_one_side_only_is_shown_not_judged():
    outcomes = {"candidate": area.SideOutcome(capacity=Capacity("candidate", 300, None))}
    (metric,) = area._capacity_metrics(outcomes)
    assert metric.value == 300 and metric.passed is None and metric.target is None
