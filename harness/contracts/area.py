"""The contract area for `harness verify` and `harness contract`: the gate of gate.py on the run's targets.

Settings (`[tool.harness.contract]` / harness.toml `[contract]`), all optional:
    sources = ["postman", "probes", "schemathesis", "states", "edges"]    phases = ["examples", "coverage", "fuzzing", "stateful"]
    max_examples = 5    stateful_steps = 8    stateful_examples = 20    candidate_conformance = true
    relative_threshold = 20.0    absolute_threshold = 0.03   (Diffy's noise thresholds, percent)
    noise = true        noise_database_url = "postgresql://...legacy2"   (the second legacy instance's database
                        when legacy's is configured; the embedded default gives it a SQLite file of its own)
    accepted = "contracts/accepted-differences.yaml"    contract = "contracts/openapi.yaml"
    postman = "../shared/legacy-api/unpuzzle-postman-collection.json"
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from harness.core.areas import register_area
from harness.core.config import Settings
from harness.core.results import AreaResult, Finding, Severity
from harness.core.runs import Run
from harness.core.targets import Target, Targets, make_target

from . import gate
from .conformance import PHASES

_KEYS = {"sources", "phases", "max_examples", "stateful_steps", "stateful_examples", "candidate_conformance",
         "relative_threshold", "absolute_threshold", "noise", "noise_database_url", "accepted", "contract", "postman"}


def options_from(settings: Settings) -> tuple[gate.GateOptions, dict[str, Any]]:
    raw = dict(settings.section("contract"))
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise settings.bad_setting(f"contract.{unknown[0]}", raw[unknown[0]], f"one of {', '.join(sorted(_KEYS))}")
    opts = gate.GateOptions(seed=settings.seed)

    def number(key: str, low: float, cast=int):
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low:
            raise settings.bad_setting(f"contract.{key}", value, f"a number >= {low}")
        return cast(value)

    def names(key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        value = raw[key]
        if not isinstance(value, list) or not value or any(v not in allowed for v in value):
            raise settings.bad_setting(f"contract.{key}", value, f"a non-empty list of {', '.join(allowed)}")
        return tuple(value)

    def path(key: str) -> Path:
        value = raw[key]
        if not isinstance(value, str) or not Path(value).exists():
            raise settings.bad_setting(f"contract.{key}", value, "the path of an existing file")
        return Path(value)

    if "sources" in raw:
        opts.sources = names("sources", ("postman", "probes", "schemathesis", "states", "edges"))
    if "phases" in raw:
        opts.phases = names("phases", PHASES)
    for key in ("max_examples", "stateful_steps", "stateful_examples"):
        if key in raw:
            setattr(opts, key, number(key, 1))
    if "relative_threshold" in raw:
        opts.relative = number("relative_threshold", 0, float)
    if "absolute_threshold" in raw:
        opts.absolute = number("absolute_threshold", 0, float)
    for key in ("candidate_conformance", "noise"):
        if key in raw and not isinstance(raw[key], bool):
            raise settings.bad_setting(f"contract.{key}", raw[key], "true or false")
    opts.candidate_conformance = raw.get("candidate_conformance", True)
    for key in ("accepted", "contract", "postman"):
        if key in raw:
            setattr(opts, key, path(key))
    return opts, raw


def _side(target: Target) -> Any:
    return target.base_url if target.base_url else target.wsgi_app


def _noise_target(run: Run, settings: Settings, raw: dict[str, Any]) -> tuple[Target | None, str | None]:
    """Legacy again, on its own copy of the seed: the Diffy noise baseline."""
    if raw.get("noise") is False:
        return None, "noise cancellation switched off (contract.noise = false)"
    legacy = settings.legacy
    if legacy.kind == "url":
        return None, "legacy is an external URL: the harness cannot start a second instance for the noise baseline"
    database = raw.get("noise_database_url")
    if legacy.database_url is not None and database is None:
        return None, ("legacy's database is configured, so the noise baseline needs its own: set "
                      "contract.noise_database_url")
    twin = dataclasses.replace(legacy, name=gate.NOISE, database_url=database, port=0)
    return make_target(twin, run), None


@register_area("contract", order=10)
def contract(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    opts, raw = options_from(settings)
    noise, why_not = _noise_target(run, settings, raw)
    sides: dict[str, Any] = {gate.PRIMARY: _side(targets.legacy), gate.CANDIDATE: _side(targets.candidate)}
    try:
        if noise is not None:
            run.progress(f"{noise.name}: preparing the noise baseline")
            noise.prepare()
            noise.start()
            noise.seed()
            sides[gate.NOISE] = _side(noise)
        result_run = gate.run_gate(sides, opts, progress=run.progress)
    finally:
        if noise is not None:
            noise.stop()
    base_urls = {name: t.base_url for name, t in ((gate.PRIMARY, targets.legacy), (gate.CANDIDATE, targets.candidate))
                 if t.base_url}
    result = gate.to_result(result_run, opts, base_urls)
    if why_not:
        result.findings.append(Finding(id="contract.noise", check="noise_baseline", severity=Severity.INFO,
                                       message=f"no legacy-vs-legacy baseline: {why_not}; every difference counts"))
    _write_reports(run, result, result_run)
    return result


def _write_reports(run: Run, result: AreaResult, gate_run: gate.GateRun) -> None:
    """JUnit XML (a test case per operation per check) and a Markdown summary beside contract.json."""
    from .report import junit, markdown

    run.out_dir.mkdir(parents=True, exist_ok=True)
    (run.out_dir / "contract.junit.xml").write_text(junit(result), encoding="utf-8")
    (run.out_dir / "contract.md").write_text(markdown(result, gate.summary_lines(gate_run, result)), encoding="utf-8")
    (run.out_dir / "contract.summary.json").write_text(json.dumps({
        "sources": dict(gate_run.sources), **gate_run.analyzer.summary(),
        "wall_time_s": round(gate_run.wall_time, 2)}, indent=2), encoding="utf-8")
