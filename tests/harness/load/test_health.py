"""Generator health: calibration, send lag and CPU against [generator_health]; any witness over its limit is a
problem that makes the run invalid."""
from __future__ import annotations

import json

import pytest

from harness.load import health
from harness.load.figures import OVERALL, OperationFigures, SideFigures, figures_from
from harness.load.gates import Gates

GATES = Gates(generator_added_p95_ms=10.0, generator_cpu_percent=80.0)


def run(*, lag: float | None = 2.0, workers: list[dict] | None = None) -> SideFigures:
    overall = OperationFigures(operation=OVERALL, requests=5000, p95_ms=40.0, server_p95_ms=30.0, lag_p95_ms=lag)
    cpu = [{"worker": "w1", "cpu_percent_max": 60.0, "cpu_percent_mean": 45.0, "users_max": 50}]
    return SideFigures(side="candidate", overall=overall,
                       generator={"workers": cpu if workers is None else workers})


def calibration(p95: float, server_p95: float | None) -> SideFigures:
    return SideFigures(side="candidate", overall=OperationFigures(operation=OVERALL, requests=300, p95_ms=p95,
                                                                  server_p95_ms=server_p95))


@pytest.mark.parametrize("calibrated", [None, calibration(p95=9.0, server_p95=1.0), calibration(12.0, 5.0)],
                         ids=["no-calibration", "8-ms-added", "7-ms-added"])
def test_healthy_generator_has_no_problem(calibrated):
    assert health.problems(run(), calibrated, GATES) == []


def test_calibration_over_the_limit_names_the_figure():
    found = health.problems(run(), calibration(p95=30.0, server_p95=5.0), GATES)
    assert len(found) == 1
    assert "calibration" in found[0] and "25.0 ms" in found[0] and "limit 10 ms" in found[0]


def test_calibration_without_server_timing_counts_the_whole_p95():
    found = health.problems(run(), calibration(p95=14.0, server_p95=None), GATES)
    assert len(found) == 1 and "14.0 ms" in found[0]


def test_calibration_is_judged_against_the_gates_limit():
    calibrated = calibration(p95=30.0, server_p95=5.0)
    assert health.problems(run(), calibrated, Gates(generator_added_p95_ms=30.0)) == []


def test_send_lag_over_the_limit_is_a_problem():
    found = health.problems(run(lag=15.0), None, GATES)
    assert len(found) == 1
    assert "send lag" in found[0] and "15.0 ms" in found[0]
    assert health.problems(run(lag=10.0), None, GATES) == [], "at the limit is still healthy"


def test_a_hot_worker_is_named():
    workers = [{"worker": "w1", "cpu_percent_max": 60.0, "cpu_percent_mean": 45.0, "users_max": 50},
               {"worker": "host-b_4711", "cpu_percent_max": 100.0, "cpu_percent_mean": 93.0, "users_max": 50}]
    found = health.problems(run(workers=workers), None, GATES)
    assert len(found) == 1
    assert "host-b_4711" in found[0] and "93 %" in found[0] and "w1" not in found[0]


def test_a_worker_peaking_but_not_hot_on_average_is_healthy():
    workers = [{"worker": "w1", "cpu_percent_max": 100.0, "cpu_percent_mean": 70.0, "users_max": 50}]
    assert health.problems(run(workers=workers), None, GATES) == []


def test_every_witness_over_its_limit_is_reported():
    workers = [{"worker": "w1", "cpu_percent_max": 100.0, "cpu_percent_mean": 95.0, "users_max": 50}]
    found = health.problems(run(lag=50.0, workers=workers), calibration(p95=40.0, server_p95=1.0), GATES)
    assert [problem.split()[0] for problem in found] == ["calibration:", "send", "locust"]


def test_a_saturated_master_is_reported_from_the_figures_the_harness_records(tmp_path):
    samples = tmp_path / "samples.json"
    samples.write_text(json.dumps({
        "version": 1, "unit": "us", "significant_digits": 3, "started": 0, "stopped": 60, "warmup_s": 0,
        "measured_s": 60, "operations": {}, "warmup_requests": 0, "timeline": [], "stopped_by": "time",
        "generator": {"workers": [], "master_cpu_percent_max": 100.0}}), encoding="utf-8")
    recorded = figures_from(samples, "candidate")
    assert recorded.generator["master_cpu_percent_max"] == 100.0
    assert any("master" in problem for problem in health.problems(recorded, None, GATES))


def test_summary_records_the_witnesses():
    recorded = health.summary(run(lag=3.5), calibration(p95=9.0, server_p95=1.0))
    assert recorded["calibration_added_p95_ms"] == pytest.approx(8.0)
    assert recorded["send_lag_p95_ms"] == 3.5
    assert recorded["workers"][0]["worker"] == "w1"
