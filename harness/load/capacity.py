"""Capacity search: the largest user count an app sustains within the SLO on this machine (DESIGN.md's
"concurrent users" row). Double from `start_users` until a step breaks, then bisect between the last step that
held and the first that broke, until they are within `resolution` of each other (or `max_steps` is spent). Each
step is a bounded run with its own warm-up and steady state (Profile.at).

A step holds when its steady-state p95 is under the SLO, under 1 % of its requests failed and the generator was
healthy. A step the generator could not drive honestly ends the search: the answer is then "at least" the last
step that held, limited by the generator, not by the app.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from .figures import SideFigures
from .gates import Gates
from .profiles import Profile

SERVER_LATENCY, ERRORS, GENERATOR = "server latency", "errors", "generator"
#: The search ran out of steps before any step broke: the capacity is at least what held, not known beyond.
STEP_BUDGET = "the step budget (max_steps) ran out before a step broke"


@dataclass(frozen=True, slots=True)
class Step:
    users: int
    held: bool
    limited_by: str | None  # what broke it (None: it held)
    p95_ms: float | None
    error_rate: float | None
    rps: float | None
    requests: int
    why: str = ""


@dataclass(slots=True)
class Capacity:
    side: str
    largest_held: int | None = None
    limited_by: str | None = None  # what broke the first step past it (None: max_users held)
    steps: list[Step] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"side": self.side, "largest_held": self.largest_held, "limited_by": self.limited_by,
                "steps": [asdict(step) for step in self.steps]}


def verdict(figures: SideFigures, gates: Gates, users: int) -> Step:
    """Whether one step held, and if not, what broke it."""
    overall = figures.overall
    limit = gates.overall.p95_ms
    if figures.invalid:
        broke, why = GENERATOR, "; ".join(figures.invalid)
    elif overall.requests == 0:
        broke, why = ERRORS, "no request was measured"
    elif (overall.error_rate or 0) >= gates.overall.error_rate:
        broke, why = ERRORS, f"{overall.error_rate:.1%} of requests failed"
    elif overall.p95_ms is not None and overall.p95_ms >= limit:
        broke, why = SERVER_LATENCY, f"p95 {overall.p95_ms:.1f} ms ≥ {limit:g} ms"
    else:
        broke, why = None, ""
    return Step(users=users, held=broke is None, limited_by=broke, p95_ms=overall.p95_ms,
                error_rate=overall.error_rate, rps=overall.rps, requests=overall.requests, why=why)


def search(profile: Profile, side: str, measure: Callable[[int], Step],
           progress: Callable[[str], None] = lambda message: None) -> Capacity:
    """Double, then bisect; `measure(users)` runs one step."""
    result = Capacity(side=side)
    low: int | None = None   # the most users that held
    high: int | None = None  # the fewest users that broke
    users = profile.start_users
    while len(result.steps) < profile.max_steps:
        progress(f"load: {side}: capacity step {len(result.steps) + 1}: {users} users")
        step = measure(users)
        result.steps.append(step)
        if step.held:
            low = users if low is None else max(low, users)
        else:
            high = users if high is None else min(high, users)
            result.limited_by = step.limited_by if users == high else result.limited_by
        if step.limited_by == GENERATOR:
            break
        following = _next(profile, low, high, users)
        if following is None:
            break
        users = following
    result.largest_held = low
    if high is None:
        reached_ceiling = bool(result.steps) and result.steps[-1].users >= profile.max_users
        result.limited_by = None if reached_ceiling else STEP_BUDGET
    return result


def _next(profile: Profile, low: int | None, high: int | None, users: int) -> int | None:
    if high is None:  # nothing broke yet: double, up to the ceiling
        return None if users >= profile.max_users else min(profile.max_users, math.ceil(users * profile.factor))
    if low is None:  # even the first step broke: halve
        return None if users <= 1 else max(1, math.floor(users / profile.factor))
    if high - low <= max(1, profile.resolution * low):
        return None
    return (low + high) // 2
