"""The registry of verification areas and the loop that runs them (DESIGN.md "How data flows").

An area is a function `(run, settings, targets) -> AreaResult`, registered by name:

    @register_area("contract", order=10)
    def contract(run: Run, settings: Settings, targets: Targets) -> AreaResult: ...

The core knows no area: `discover_areas()` imports every `harness/<package>/area.py` that exists, and each
registers itself. `order` places it in `harness verify` (targets 0, contract 10, data 20, load 30,
security 40, the advanced parity areas 50, scorecard 90: the scorecard reads what the others wrote).
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .config import Settings
from .errors import HarnessError
from .results import AreaResult, Finding, Severity
from .runs import Run, new_run, utc_now_iso
from .targets import Targets, open_targets

AreaFunction = Callable[[Run, Settings, Targets], AreaResult]
DEFAULT_ORDER = 50


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    check: AreaFunction
    order: int = DEFAULT_ORDER


_AREAS: dict[str, Area] = {}


def register_area(name: str, *, order: int = DEFAULT_ORDER) -> Callable[[AreaFunction], AreaFunction]:
    def register(check: AreaFunction) -> AreaFunction:
        _AREAS[name] = Area(name=name, check=check, order=order)
        return check
    return register


def registered_areas() -> list[Area]:
    return sorted(_AREAS.values(), key=lambda area: (area.order, area.name))


def discover_areas(package: str = "harness") -> None:
    """Import each `<package>.<sub>.area` module that exists. One that fails to import is still registered,
    under its package's name, as an area that fails with the import error: a broken area must not pass."""
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__):
        if not info.ispkg:
            continue
        module = f"{package}.{info.name}.area"
        try:
            if importlib.util.find_spec(module) is None:
                continue
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - reported as that area's failure
            if info.name not in _AREAS:
                _AREAS[info.name] = Area(name=info.name, check=_broken(module, exc))


def _broken(module: str, error: Exception) -> AreaFunction:
    def check(run: Run, settings: Settings, targets: Targets) -> AreaResult:
        raise ImportError(f"{module} cannot be imported: {type(error).__name__}: {error}") from error
    return check


def select_areas(settings: Settings, available: Iterable[Area] | None = None) -> list[Area]:
    """The areas `settings.areas` names (all of them when unset), in run order."""
    areas = list(registered_areas() if available is None else available)
    if settings.areas is None:
        return areas
    known = {area.name for area in areas}
    unknown = [name for name in settings.areas if name not in known]
    if unknown:
        raise settings.bad_setting("areas", list(settings.areas),
                                   f"names of registered areas ({', '.join(sorted(known))}); "
                                   f"{', '.join(unknown)} is not one")
    return [area for area in areas if area.name in settings.areas]


def run_area(area: Area, run: Run, settings: Settings, targets: Targets) -> AreaResult:
    """Run one area, time it, complete its result (started, duration, targets) and write it to the run.

    A harness error (bad setting, target gone) ends the run with its exit code; any other exception is a failed
    area with a critical finding, so the other areas still run and the evidence is kept.
    """
    run.progress(f"{area.name}: running")
    started, clock = utc_now_iso(), time.perf_counter()
    try:
        result = area.check(run, settings, targets)
    except HarnessError:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded as the area's failure
        result = AreaResult(area=area.name, passed=False, findings=[Finding(
            id=f"{area.name}.crashed", check="area_completed", severity=Severity.CRITICAL,
            message=f"the {area.name} area stopped with {type(exc).__name__}: {exc}",
            evidence={"traceback": traceback.format_exc()},
            reproduce=f"harness verify  # areas = [\"{area.name}\"], seed {run.seed}, scale {run.scale}")])
    result.started = result.started or started
    result.duration_s = result.duration_s or round(time.perf_counter() - clock, 3)
    result.targets = result.targets or targets.describe()
    run.write(result)
    return result


def run_areas(settings: Settings, areas: list[Area], *,
              progress: Callable[[str], None] = lambda message: None) -> tuple[Run, list[AreaResult]]:
    """A new run: start both targets, run `areas` in order against them, write each result; stop the targets."""
    run = new_run(settings.out, seed=settings.seed, scale=settings.scale, progress=progress)
    with open_targets(run, settings) as targets:
        results = [run_area(area, run, settings, targets) for area in areas]
    return run, results
