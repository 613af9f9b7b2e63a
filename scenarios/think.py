"""Think times: how long a person pauses between two actions, jittered so that users never fire in phase.

Every pause is scaled by HARNESS_LOAD_THINK_SCALE (default 1.0): a profile that wants the same journeys at a
higher request rate per user (or a test that must cover whole journeys in seconds) shrinks the pauses without
changing what the users do. 0 removes them altogether.
"""
from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

THINK_SCALE_ENV = "HARNESS_LOAD_THINK_SCALE"
#: A video player reports progress about every 10 s of playback (API.md P25's rate limit, 500/min, leaves room
#: for that); the jitter keeps thousands of players from reporting on the same tick.
HEARTBEAT_SECONDS = (9.5, 10.5)


def think_scale(environ: dict[str, str] | os._Environ = os.environ) -> float:
    raw = environ.get(THINK_SCALE_ENV, "").strip()
    try:
        scale = float(raw) if raw else 1.0
    except ValueError:
        raise ValueError(f"{THINK_SCALE_ENV}={raw!r} is not a number") from None
    if scale < 0:
        raise ValueError(f"{THINK_SCALE_ENV}={raw!r} must be 0 or more")
    return scale


def between(low: float, high: float, scale: float | None = None) -> Callable[[Any], float]:
    """locust's `between`, scaled: a `wait_time` drawing uniformly from [low, high] seconds times the scale."""
    factor = think_scale() if scale is None else scale

    def wait_time(_user: Any = None) -> float:
        return random.uniform(low, high) * factor

    return wait_time


heartbeat_interval = between(*HEARTBEAT_SECONDS)
