"""The harness core: settings, targets, runs and results, which every area depends on and which knows no area.

    settings = load_settings()                       # harness.toml / [tool.harness] / HARNESS_* / options
    run, results = run_areas(settings, select_areas(settings))

An area is `(run, settings, targets) -> AreaResult`, registered with `@register_area(name, order=...)` in
`harness/<area>/area.py`; see areas.py.
"""
from __future__ import annotations

from . import smoke  # noqa: F401 - registers the built-in `targets` area
from .areas import (
    Area,
    AreaFunction,
    discover_areas,
    register_area,
    registered_areas,
    run_area,
    run_areas,
    select_areas,
)
from .config import Settings, TargetSettings, load_settings
from .errors import ConfigError, HarnessError, TargetError
from .results import AreaResult, Finding, Metric, Severity, gate, latest_run, read_area, write_area
from .runs import Run, new_run
from .targets import Target, Targets, open_targets

__all__ = [
    "Area",
    "AreaFunction",
    "AreaResult",
    "ConfigError",
    "Finding",
    "HarnessError",
    "Metric",
    "Run",
    "Settings",
    "Severity",
    "Target",
    "TargetError",
    "TargetSettings",
    "Targets",
    "discover_areas",
    "gate",
    "latest_run",
    "load_settings",
    "new_run",
    "open_targets",
    "read_area",
    "register_area",
    "registered_areas",
    "run_area",
    "run_areas",
    "select_areas",
    "write_area",
]
