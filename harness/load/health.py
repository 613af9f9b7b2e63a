"""Generator health: a load figure is honest only when the generator was not the bottleneck.

Three witnesses, each against scenarios/gates.toml's [generator_health]:
- calibration: before the run, the same users and think times against a trivial endpoint (trivial.py) served
  like the apps; its p95, less the server's own, is what the generator and loopback add on their own;
- send lag: during the run, how late the generator sent each request after it meant to (recorder.py); its p95;
- CPU: each locust process's mean CPU over the run (a gevent process past ~80 % of a core delays its users).
Any witness over its limit makes the run invalid: reported, never passed or failed on its numbers.
"""
from __future__ import annotations

from typing import Any

from .figures import SideFigures
from .gates import Gates


def added_by_generator(calibration: SideFigures | None) -> float | None:
    """The calibration's client p95 less the trivial server's own p95 (ms)."""
    if calibration is None or calibration.overall.p95_ms is None:
        return None
    return max(0.0, calibration.overall.p95_ms - (calibration.overall.server_p95_ms or 0.0))


def problems(figures: SideFigures, calibration: SideFigures | None, gates: Gates) -> list[str]:
    """Why the run cannot be trusted (empty: it can)."""
    found = []
    limit = gates.generator_added_p95_ms
    added = added_by_generator(calibration)
    if added is not None and added > limit:
        found.append(f"calibration: the generator alone added {added:.1f} ms at p95 (limit {limit:g} ms)")
    lag = figures.overall.lag_p95_ms
    if lag is not None and lag > limit:
        found.append(f"send lag p95 {lag:.1f} ms: the generator sent requests late (limit {limit:g} ms)")
    for worker in figures.generator.get("workers", []):
        cpu = worker.get("cpu_percent_mean")
        if cpu is not None and cpu > gates.generator_cpu_percent:
            found.append(f"locust worker {worker.get('worker')} ran at {cpu:.0f} % CPU on average "
                         f"(limit {gates.generator_cpu_percent:g} %)")
    master = figures.generator.get("master_cpu_percent_mean")
    if master is None:  # a recorder that kept only the peak: judge the peak
        master = figures.generator.get("master_cpu_percent_max")
    if master is not None and master > gates.generator_cpu_percent:
        found.append(f"the locust master ran at {master:.0f} % CPU (limit {gates.generator_cpu_percent:g} %)")
    return found


def summary(figures: SideFigures, calibration: SideFigures | None) -> dict[str, Any]:
    """What the result records about the generator."""
    return {"calibration_p95_ms": None if calibration is None else calibration.overall.p95_ms,
            "calibration_added_p95_ms": added_by_generator(calibration),
            "calibration_requests": None if calibration is None else calibration.overall.requests,
            "send_lag_p95_ms": figures.overall.lag_p95_ms, **figures.generator}
