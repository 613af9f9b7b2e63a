"""The load area for `harness verify` (the `smoke` profile) and `harness load` (any profile).

Settings (`[tool.harness.load]` / harness.toml `[load]`), all optional:
    profile = "smoke"                      a profile of `profiles` (`harness load --profile NAME` overrides it)
    profiles = "scenarios/profiles.toml"   gates = "scenarios/gates.toml"   locustfile = "scenarios/locustfile.py"
    sides = ["legacy", "candidate"]        measured one after the other, never at the same time
    server_workers = 2   server_threads = 4   keep_alive = 75     gunicorn gthread, the same for both apps
    legacy_database_url = "postgresql://…/legacy_load"   candidate_database_url = "…"   (default: the target's
                                           own configured database, reset and re-seeded; else a SQLite file)
    allowed_hosts = []                     hosts besides loopback that load may go to (an external url target)
    master_bind_host = "127.0.0.1"  master_port = 0   where remote locust workers connect (README "Load")
    user_classes = []                      only these user classes of the locustfile (default: its whole mix)
Declared as `LOAD_SETTINGS`; relative paths are relative to the settings file's folder.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core import paths
from harness.core.areas import register_area
from harness.core.config import AreaKeys, Key, Settings
from harness.core.errors import TargetError
from harness.core.parsers import database_url, existing_file, integer, names_of, string, string_list
from harness.core.results import AreaResult, Finding, Metric, Severity, gate
from harness.core.runs import Interrupted, Run
from harness.core.serving import ServerSettings, served
from harness.core.targets import Target, Targets

from . import capacity, health
from .figures import SideFigures, figures_from
from .gates import Gates, judge, load_gates
from .profiles import Profile, pick
from .runner import (
    LocustOptions,
    calibration_settings,
    load_run,
    load_target_settings,
    require_allowed_host,
    require_serving,
    run_locust,
    write_accounts,
)

SIDES = ("legacy", "candidate")

LOAD_SETTINGS = AreaKeys("load", (
    Key("profile", string, "smoke"),
    Key("profiles", existing_file, paths.LOAD_PROFILES),
    Key("gates", existing_file, paths.LOAD_GATES),
    Key("locustfile", existing_file, paths.LOCUSTFILE),
    Key("sides", names_of(*SIDES), SIDES),
    Key("server_workers", integer(1, 64), 2),
    Key("server_threads", integer(1, 256), 4),
    Key("keep_alive", integer(1, 3600), 75),
    Key("legacy_database_url", database_url),
    Key("candidate_database_url", database_url),
    Key("allowed_hosts", string_list, ()),
    Key("master_bind_host", string, "127.0.0.1"),
    Key("master_port", integer(0, 65535), 0),
    Key("user_classes", string_list, ()),
))


@dataclass(frozen=True, slots=True)
class LoadOptions:
    profile: Profile
    gates: Gates
    locust: LocustOptions
    server: ServerSettings
    sides: tuple[str, ...]
    databases: Mapping[str, str | None]
    allowed_hosts: tuple[str, ...]


def options_from(settings: Settings) -> LoadOptions:
    values = settings.area_settings(LOAD_SETTINGS)
    bind = values["master_bind_host"]
    return LoadOptions(
        profile=pick(Path(values["profiles"]), values["profile"]), gates=load_gates(Path(values["gates"])),
        locust=LocustOptions(locustfile=Path(values["locustfile"]), master_bind_host=bind,
                             master_port=values["master_port"], user_classes=tuple(values["user_classes"])),
        server=ServerSettings(workers=values["server_workers"], threads=values["server_threads"],
                              keep_alive_s=values["keep_alive"]),
        sides=tuple(side for side in SIDES if side in values["sides"]),
        databases={side: values[f"{side}_database_url"] for side in SIDES},
        allowed_hosts=tuple(values["allowed_hosts"]))


@dataclass(slots=True)
class SideOutcome:
    figures: SideFigures | None = None
    calibration: SideFigures | None = None
    capacity: capacity.Capacity | None = None


@register_area("load", order=30, needs_targets=False)
def load(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    opts = options_from(settings)
    outcomes: dict[str, SideOutcome] = {}
    calibration = None
    try:
        if opts.profile.calibration_s > 0:  # the generator alone, once: it is the same for both apps
            run.progress("load: calibrating the generator against a trivial endpoint")
            with served(run, calibration_settings(opts.server)) as trivial:
                calibration = _calibrate(run.out_dir / "load", trivial, opts.profile, opts, run)
        for side in opts.sides:
            outcomes[side] = _measure_side(run, side, settings, opts, calibration)
    except Interrupted:
        # every server and locust process is stopped by now; what was measured is kept, and the run marks this
        # result as partial (areas.run_area)
        run.note(f"load: interrupted; the result holds the sides measured before ({', '.join(outcomes) or 'none'})")
    return _result(run, opts, outcomes)


def _measure_side(run: Run, side: str, settings: Settings, opts: LoadOptions,
                  calibration: SideFigures | None) -> SideOutcome:
    profile = opts.profile
    folder = run.out_dir / "load" / side
    folder.mkdir(parents=True, exist_ok=True)
    served_settings = load_target_settings(settings.target(side), opts.server, opts.databases[side])
    side_run = load_run(run, profile)
    outcome = SideOutcome(calibration=calibration)
    run.progress(f"load: {side}: serving it for load")
    with served(side_run, served_settings) as target:
        require_allowed_host(target.base_url or "", opts.allowed_hosts)
        locust = dataclasses.replace(opts.locust, accounts=write_accounts(folder / "accounts.json", side_run.scale))
        if profile.kind == "capacity":
            outcome.capacity, outcome.figures = _capacity(folder, target, profile, opts, locust, run, side,
                                                          outcome.calibration)
        else:
            outcome.figures = _one_run(folder / "run", target, profile, locust, run, side)
    if outcome.figures is not None:
        outcome.figures.invalid = health.problems(outcome.figures, outcome.calibration, opts.gates)
        outcome.figures.generator = health.summary(outcome.figures, outcome.calibration)
    return outcome


def _one_run(folder: Path, server: Target, profile: Profile, locust: LocustOptions, run: Run,
             label: str) -> SideFigures:
    done = run_locust(folder, server.base_url or "", profile, locust, run.progress, label)
    require_serving(server)
    if not done.samples.is_file():
        raise TargetError(f"load: {label}: locust wrote no samples (exit {done.exit_code}"
                          f"{', stopped at the deadline' if done.timed_out else ''}; log: {done.log})")
    figures = figures_from(done.samples, label)
    figures.evidence = str(done.samples.relative_to(run.out_dir))
    figures.users = profile.users
    return figures


def _calibrate(folder: Path, server: Target, profile: Profile, opts: LoadOptions, run: Run) -> SideFigures:
    users = min(profile.users or profile.start_users, 1000)
    calibration = dataclasses.replace(profile, kind="run", users=users, spawn_rate=max(profile.spawn_rate, users / 2),
                                      warmup_s=2.0, duration_s=2.0 + profile.calibration_s,
                                      max_requests=min(profile.max_requests, 200_000))
    locust = dataclasses.replace(opts.locust, locustfile=Path(__file__).with_name("calibration_locustfile.py"),
                                 user_classes=())
    return _one_run(folder / "calibration", server, calibration, locust, run, "calibration")


def _capacity(folder: Path, server: Target, profile: Profile, opts: LoadOptions, locust: LocustOptions, run: Run,
              side: str, calibration: SideFigures | None) -> tuple[capacity.Capacity, SideFigures | None]:
    measured: dict[int, SideFigures] = {}

    def measure(users: int) -> capacity.Step:
        figures = _one_run(folder / f"step-{len(measured) + 1:02d}-{users}u", server, profile.at(users), locust,
                           run, side)
        figures.invalid = health.problems(figures, calibration, opts.gates)
        measured[users] = figures
        return capacity.verdict(figures, opts.gates, users)

    found = capacity.search(profile, side, measure, run.progress)
    best = measured.get(found.largest_held or -1) or (measured[found.steps[-1].users] if found.steps else None)
    return found, best


# -- the result ------------------------------------------------------------------------------------------------------

def _result(run: Run, opts: LoadOptions, outcomes: dict[str, SideOutcome]) -> AreaResult:
    figures = {side: outcome.figures for side, outcome in outcomes.items() if outcome.figures is not None}
    metrics: list[Metric] = []
    findings: list[Finding] = []
    candidate, legacy = figures.get("candidate"), figures.get("legacy")
    if candidate is not None:
        metrics, findings = judge(opts.gates, candidate, legacy, opts.profile.judge, opts.profile.name)
    if legacy is not None:
        shown, _ = judge(opts.gates, legacy, None)
        metrics += [_as_baseline(metric, legacy) for metric in shown]
    for side_figures in figures.values():
        metrics += _side_metrics(side_figures)
        findings.append(_figures_finding(side_figures, opts.profile))
    metrics += _capacity_metrics(outcomes)
    findings += [_capacity_finding(outcome.capacity) for outcome in outcomes.values() if outcome.capacity is not None]
    passed = gate(metrics, findings) and candidate is not None
    return AreaResult(area="load", passed=passed, metrics=metrics, findings=findings)


def _capacity_metrics(outcomes: dict[str, SideOutcome]) -> list[Metric]:
    """Each side's capacity; the candidate's is judged against legacy's (it must hold at least as many users)."""
    found = {side: outcome.capacity for side, outcome in outcomes.items() if outcome.capacity is not None}
    legacy = found.get("legacy")
    metrics = []
    for side, capacity_found in found.items():
        held = capacity_found.largest_held
        judged = side == "candidate" and legacy is not None and legacy.largest_held is not None
        metrics.append(Metric("capacity_users", side, held, "users",
                              f"≥ {legacy.largest_held} (legacy)" if judged else None,
                              (held or 0) >= legacy.largest_held if judged else None, f"load/{side}"))
    return metrics


def _as_baseline(metric: Metric, legacy: SideFigures) -> Metric:
    """A gate's metric measured on legacy: shown beside the candidate's, never a verdict. An app that never looked
    a cache up has no cache hit ratio (not 0 %)."""
    no_cache = metric.id == "cache_hit_ratio" and not any(op.cache_hits or op.cache_misses
                                                          for op in legacy.operations.values())
    return dataclasses.replace(metric, passed=None, value=None if no_cache else metric.value)


def _side_metrics(figures: SideFigures) -> list[Metric]:
    overall, side = figures.overall, figures.side
    shown = (("p50_ms", overall.p50_ms, "ms"), ("p99_ms", overall.p99_ms, "ms"),
             ("server_p95_ms", overall.server_p95_ms, "ms"), ("intended_p95_ms", overall.intended_p95_ms, "ms"),
             ("send_lag_p95_ms", overall.lag_p95_ms, "ms"), ("requests_per_s", overall.rps, "req/s"),
             ("requests", overall.requests, "requests"), ("users", figures.users, "users"))
    return [Metric(metric_id, side, None if value is None else round(value, 3), unit, None, None, figures.evidence)
            for metric_id, value, unit in shown]


def _figures_finding(figures: SideFigures, profile: Profile) -> Finding:
    """The per-operation figures of one side, for the report files (load.csv) and the scorecard."""
    overall = figures.overall
    state = "INVALID (generator): " + "; ".join(figures.invalid) if figures.invalid else "valid"
    return Finding(
        id=f"load.figures.{figures.side}", check="load_figures", severity=Severity.INFO,
        message=(f"{figures.side}: profile {profile.name}, {figures.users} users, {overall.requests} requests in "
                 f"{figures.measured_s:.0f} s ({overall.rps or 0:.1f} req/s), p95 "
                 f"{_fmt(overall.p95_ms)} (server {_fmt(overall.server_p95_ms)}), {overall.failures} failed; "
                 f"run {state}"),
        evidence={"side": figures.side, "profile": profile.name, "users": figures.users,
                  "measured_s": figures.measured_s, "stopped_by": figures.stopped_by,
                  "warmup_requests": figures.warmup_requests, "samples": figures.evidence,
                  "generator": figures.generator, "invalid": figures.invalid,
                  "overall": overall.evidence(),
                  "operations": {op.operation: op.evidence() for op in figures.top(1000)},
                  "timeline": figures.timeline})


def _capacity_finding(found: capacity.Capacity) -> Finding:
    if found.largest_held is None:
        held = "no step held"
    elif found.limited_by is None:
        held = f"{found.largest_held} users held (the profile's ceiling)"
    else:
        held = f"{found.largest_held} users held; beyond, limited by {found.limited_by}"
    return Finding(id=f"load.capacity.{found.side}", check="capacity", severity=Severity.INFO,
                   message=f"{found.side}: capacity {held} ({len(found.steps)} steps)", evidence=found.to_dict())


def _fmt(value: Any) -> str:
    return "—" if value is None else f"{value:.1f} ms"
