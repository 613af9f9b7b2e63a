"""Load profiles: one reviewed TOML file (scenarios/profiles.toml), every profile bounded in users, time and
requests. A profile that leaves a bound out, or sets one past the hard ceilings below, is refused with one line
(exit 2): no load run may go on without an end.

    [profiles.smoke]
    description = "CI: seconds, both apps"
    users = 10            spawn_rate = 10       duration_s = 15      warmup_s = 3
    max_requests = 20000  think_scale = 0.2     processes = 1        calibration_s = 3
    scale = "small"       # optional: the seed scale of the load databases (default: the run's)

    [profiles.capacity]   # a capacity search instead of one run (capacity.py)
    kind = "capacity"
    start_users = 50      max_users = 20000     factor = 2           resolution = 0.1
    step_warmup_s = 10    step_duration_s = 30  max_steps = 12       max_requests = 2000000
    think_scale = 1.0     processes = 1         calibration_s = 5

`think_scale` multiplies every think time the scenarios declare (1.0: as written; smoke shortens them so a
few users send enough requests in seconds). `processes` is the number of local locust worker processes
beside the master; `remote_workers` (default 0) is how many more the master waits for from other machines.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError
from harness.core.reviewed import read_reviewed_toml as read_reviewed

#: Hard ceilings, whatever a profiles file says.
MAX_USERS = 200_000
MAX_DURATION_S = 24 * 3600
MAX_REQUESTS = 100_000_000
MAX_PROCESSES = 64
KINDS = ("run", "capacity")


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    kind: str = "run"
    description: str = ""
    users: int = 0
    spawn_rate: float = 0.0
    duration_s: float = 0.0
    warmup_s: float = 0.0
    max_requests: int = 0
    think_scale: float = 1.0
    processes: int = 1
    remote_workers: int = 0
    calibration_s: float = 3.0
    scale: str | None = None
    #: the gates (gates.CHECKS by name) whose verdict counts under this profile; the others are reported as
    #: information (None: all of them)
    judge: tuple[str, ...] | None = None
    # capacity search
    start_users: int = 0
    max_users: int = 0
    factor: float = 2.0
    resolution: float = 0.1
    step_warmup_s: float = 0.0
    step_duration_s: float = 0.0
    max_steps: int = 12

    @property
    def run_time_s(self) -> float:
        """What one run takes at most (a capacity search: every step)."""
        if self.kind == "capacity":
            return self.max_steps * (self.step_warmup_s + self.step_duration_s)
        return self.duration_s

    def at(self, users: int) -> Profile:
        """One step of a capacity search as a run: `users` users, ramped up within the warm-up."""
        return replace(self, kind="run", users=users, spawn_rate=max(1.0, users / max(1.0, self.step_warmup_s / 2)),
                        duration_s=self.step_warmup_s + self.step_duration_s, warmup_s=self.step_warmup_s,
                        calibration_s=0.0)


#: each key's kind, from Profile's own annotations (strings: `from __future__ import annotations`)
_INT = {f.name for f in fields(Profile) if f.type == "int"}
_FLOAT = {f.name for f in fields(Profile) if f.type == "float"}
_TEXT = {f.name for f in fields(Profile) if f.type in ("str", "str | None")} - {"name"}
CHECK_NAMES = ("latency_p95", "latency_regression", "error_rate", "queries", "cache_hit_ratio")
_REQUIRED = {"run": ("users", "spawn_rate", "duration_s", "max_requests"),
             "capacity": ("start_users", "max_users", "step_duration_s", "max_requests")}


def load_profiles(path: Path) -> dict[str, Profile]:
    """Every profile of the file, checked. ConfigError (exit 2, one line) on a file or value at fault."""
    document = read_reviewed(path, "load profiles")
    table = document.get("profiles")
    if not isinstance(table, dict) or not table:
        raise ConfigError(f"load profiles {path}: no [profiles.<name>] table")
    return {name: _profile(path, name, values) for name, values in table.items()}


def pick(path: Path, name: str) -> Profile:
    profiles = load_profiles(path)
    if name not in profiles:
        raise ConfigError(f"load profile {name!r} is not in {path} (it has {', '.join(sorted(profiles))})")
    return profiles[name]


def _profile(path: Path, name: str, values: Any) -> Profile:
    where = f"load profiles {path}: [profiles.{name}]"
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a table")
    known = {f.name for f in fields(Profile)} - {"name"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    parsed = {key: _value(where, key, value) for key, value in values.items()}
    profile = Profile(name=name, **parsed)
    _check_bounds(where, profile, values)
    return profile


def _value(where: str, key: str, value: Any) -> Any:
    if key == "judge":
        return _judged(where, value)
    if key in _TEXT:
        return _text(where, key, value)
    number_ok = isinstance(value, int | float) and not isinstance(value, bool)
    if key in _INT and not (number_ok and isinstance(value, int) and value >= 0):
        raise ConfigError(f"{where}: {key} = {value!r}: expected a whole number ≥ 0")
    if key in _FLOAT and not (number_ok and value >= 0 and math.isfinite(value)):
        raise ConfigError(f"{where}: {key} = {value!r}: expected a number ≥ 0")
    return float(value) if key in _FLOAT else value


def _judged(where: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(item in CHECK_NAMES for item in value):
        raise ConfigError(f"{where}: judge = {value!r}: expected a list of gates from {', '.join(CHECK_NAMES)}")
    return tuple(value)


def _text(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} = {value!r}: expected a string")
    if key == "kind" and value not in KINDS:
        raise ConfigError(f"{where}: kind = {value!r}: expected one of {', '.join(KINDS)}")
    return value


def _check_bounds(where: str, profile: Profile, given: Mapping[str, Any]) -> None:
    missing = [key for key in _REQUIRED[profile.kind] if not given.get(key)]
    if missing:
        raise ConfigError(f"{where}: every load run must be bounded: set {', '.join(missing)} (> 0)")
    capacity = profile.kind == "capacity"
    users = profile.max_users if capacity else profile.users
    run_time = "max_steps × (step_warmup_s + step_duration_s)" if capacity else "duration_s"
    ceilings = (("max_users" if capacity else "users", users, MAX_USERS),
                (run_time, profile.run_time_s, MAX_DURATION_S), ("max_requests", profile.max_requests, MAX_REQUESTS),
                ("processes", profile.processes + profile.remote_workers, MAX_PROCESSES))
    for label, value, ceiling in ceilings:
        if value > ceiling:
            raise ConfigError(f"{where}: {label} {value:g} is past the harness's ceiling of {ceiling:g}")
    if profile.processes < 1:
        raise ConfigError(f"{where}: processes must be at least 1 (the local locust workers)")
    if profile.warmup_s >= profile.duration_s and profile.kind == "run":
        raise ConfigError(f"{where}: warmup_s ({profile.warmup_s:g}) must be shorter than duration_s "
                          f"({profile.duration_s:g})")
    if profile.kind == "capacity" and (profile.factor <= 1 or profile.start_users > profile.max_users):
        raise ConfigError(f"{where}: a capacity search needs factor > 1 and start_users ≤ max_users")
