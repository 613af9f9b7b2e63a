"""The registry of verification areas and the loop that runs them (DESIGN.md "How data flows").

An area is a function `(run, settings, targets) -> AreaResult`, registered by name:

    @register_area("contract", order=10)
    def contract(run: Run, settings: Settings, targets: Targets) -> AreaResult: ...

The core knows no area: `discover_areas()` imports every `harness/<package>/area.py` that exists, and each
registers itself. `order` places it in `harness verify` (targets 0, data 5, contract 10, load 30,
security 40, the advanced parity areas 50, scorecard 90: the scorecard reads what the others wrote).

An area that reads the targets' databases registers with `needs_database=True`: when a target has none (an
external `url` target without `database_url`) the area is skipped with an info finding naming that side, rather
than failing the run. An area can also skip itself: `raise AreaSkipped("why")`.

A stop signal (SIGINT, SIGTERM, SIGHUP) during `run_areas` stops the targets, writes the area that was running
(or the first that had not run) as a partial result (`interrupted`, passed false, a critical finding of check
`interrupted`), writes `run.json` with status `interrupted`, moves `latest` to the run and raises `Interrupted`
(runs.py), whose `exit_code` is 128 + the signal's number.
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
import pkgutil
import signal
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .config import Settings
from .errors import HarnessError
from .results import AreaResult, Finding, ReportsError, Severity
from .runs import Interrupted, Run, handle_signals, new_run, raise_if_interrupted, received_signal, utc_now_iso
from .targets import Targets, configured_targets, open_targets

AreaFunction = Callable[[Run, Settings, Targets], AreaResult]
DEFAULT_ORDER = 50


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    check: AreaFunction
    order: int = DEFAULT_ORDER
    #: The area reads both targets' databases: skipped (not failed) when a target has none.
    needs_database: bool = False
    #: The area talks to the run's started targets; one that serves the configured apps itself (load, security)
    #: says False, and a run of only such areas does not start, seed and stop two targets for nothing.
    needs_targets: bool = True


class AreaSkipped(Exception):
    """Raised by an area that cannot apply to these targets; `str(exc)` says why. The area is written as skipped
    (passed, `skipped` set, an info finding), not failed."""


_AREAS: dict[str, Area] = {}


def register_area(name: str, *, order: int = DEFAULT_ORDER, needs_database: bool = False,
                  needs_targets: bool = True) -> Callable[[AreaFunction], AreaFunction]:
    def register(check: AreaFunction) -> AreaFunction:
        _AREAS[name] = Area(name=name, check=check, order=order, needs_database=needs_database,
                            needs_targets=needs_targets)
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
    area with a critical finding, so the other areas still run and the evidence is kept. A stop signal writes the
    area as interrupted (partial) and goes on up as `Interrupted`, with the written result as `exc.partial`.
    """
    run.progress(f"{area.name}: running")
    started, clock = utc_now_iso(), time.perf_counter()
    try:
        _require_databases(area, targets)
        result = area.check(run, settings, targets)
    except AreaSkipped as exc:
        result = _skipped(area, exc)
    except Interrupted as exc:
        result = AreaResult(area=area.name, passed=False)
        mark_interrupted(result, exc.name, round(time.perf_counter() - clock, 1), exc.during or f"{area.name}")
        _complete(result, started, clock, targets)
        with contextlib.suppress(ReportsError):
            run.write(result)
        exc.partial = result
        raise
    except HarnessError:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded as the area's failure
        result = _crashed(area, run, exc)
    _complete(result, started, clock, targets)
    signum = received_signal()
    if signum is not None:  # the area caught the interrupt and returned what it had: keep it, marked partial
        mark_interrupted(result, signal.Signals(signum).name, result.duration_s, area.name)
    run.write(result)
    if signum is not None:
        try:
            raise_if_interrupted(area.name, always=True)
        except Interrupted as exc:
            exc.partial = result
            raise
    return result


def _require_databases(area: Area, targets: Targets) -> None:
    without = [target.name for target in targets if target.database_url is None] if area.needs_database else []
    if without:
        raise AreaSkipped(f"{' and '.join(without)} {'has' if len(without) == 1 else 'have'} no database (an "
                          f"external service without database_url); set "
                          f"{' and '.join(name + '.database_url' for name in without)} for the {area.name} "
                          f"area to read it")


def _skipped(area: Area, exc: AreaSkipped) -> AreaResult:
    return AreaResult(area=area.name, passed=True, skipped=str(exc), findings=[Finding(
        id=f"{area.name}.skipped", check="area_applies", severity=Severity.INFO,
        message=f"the {area.name} area did not run: {exc}")])


def _crashed(area: Area, run: Run, exc: Exception) -> AreaResult:
    return AreaResult(area=area.name, passed=False, findings=[Finding(
        id=f"{area.name}.crashed", check="area_completed", severity=Severity.CRITICAL,
        message=f"the {area.name} area stopped with {type(exc).__name__}: {exc}",
        evidence={"traceback": traceback.format_exc()},
        reproduce=f"harness verify  # areas = [\"{area.name}\"], seed {run.seed}, scale {run.scale}")])


def _complete(result: AreaResult, started: str, clock: float, targets: Targets) -> None:
    result.started = result.started or started
    result.duration_s = result.duration_s or round(time.perf_counter() - clock, 3)
    result.targets = result.targets or targets.describe()


def mark_interrupted(result: AreaResult, signal_name: str, seconds: float, during: str) -> None:
    """Make `result` the partial result of an area a stop signal cut short."""
    result.interrupted = signal_name
    result.passed = False
    result.findings.append(Finding(
        id=f"{result.area}.interrupted", check="interrupted", severity=Severity.CRITICAL,
        message=f"the {result.area} area was interrupted by {signal_name} after {seconds:g} s (while {during}); "
                f"this result holds only what was done before",
        evidence={"signal": signal_name, "during": during}))


def run_areas(settings: Settings, areas: list[Area], *,
              progress: Callable[[str], None] = lambda message: None) -> tuple[Run, list[AreaResult]]:
    """A new run: start both targets, run `areas` in order against them, write each result and `run.json`; stop
    the targets, whatever happens (a stop signal included: see the module docstring)."""
    doing = ["creating the run"]

    def report(message: str) -> None:
        doing[0] = message
        progress(message)

    run = new_run(settings.out, seed=settings.seed, scale=settings.scale, progress=report)
    results: list[AreaResult] = []
    described: dict[str, dict] = {}
    clock = time.perf_counter()
    with handle_signals():
        try:
            opened = open_targets if any(area.needs_targets for area in areas) else configured_targets
            with opened(run, settings) as targets:
                described = targets.describe()
                for area in areas:
                    results.append(run_area(area, run, settings, targets))
                report("stopping the targets")
        except Interrupted as exc:
            exc.during = exc.during or doing[0]
            partial = getattr(exc, "partial", None)
            if partial is not None and partial not in results:
                results.append(partial)
            done = {result.area for result in results}
            waiting = [area for area in areas if area.name not in done]
            if partial is None and waiting:  # no area was running: the next one (targets, at start-up) says so
                result = AreaResult(area=waiting[0].name, passed=False, started=utc_now_iso(),
                                    targets=described)
                mark_interrupted(result, exc.name, round(time.perf_counter() - clock, 1), exc.during)
                result.findings[-1].message = (f"the run was interrupted by {exc.name} after "
                                               f"{time.perf_counter() - clock:.1f} s (while {exc.during}), before "
                                               f"the {result.area} area started")
                with contextlib.suppress(ReportsError):
                    run.write(result)
                results.append(result)
            with contextlib.suppress(ReportsError):
                run.write_record("interrupted", results, interrupted=exc, move_latest=True)
            exc.run, exc.results = run, results
            raise
        except HarnessError as exc:
            with contextlib.suppress(ReportsError):
                run.write_record("error", results, error=str(exc))
            raise
    run.write_record("completed", results)
    return run, results
