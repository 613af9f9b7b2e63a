"""The contract area for `harness verify` and `harness contract`: the gate of gate.py on the run's targets.

Settings (`[tool.harness.contract]` / harness.toml `[contract]`), all optional:
    sources = ["postman", "probes", "schemathesis", "roundtrip", "personas", "states", "edges"]
    phases = ["examples", "coverage", "fuzzing", "stateful"]
    max_examples = 5    stateful_steps = 8    stateful_examples = 20    candidate_conformance = true
    relative_threshold = 20.0    absolute_threshold = 0.03   (Diffy's noise thresholds, percent)
    noise = true        noise_database_url = "postgresql://...legacy2"   (the second legacy instance's database
                        when legacy's is configured; the embedded default gives it a SQLite file of its own)
    contract = "contracts/openapi.yaml"
    postman = "../shared/legacy-api/unpuzzle-postman-collection.json"
Declared as `CONTRACT_SETTINGS` (core's parsers); a relative path is relative to the settings file's folder.
"""
from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from typing import Any

from harness.core.areas import register_area
from harness.core.config import AreaKeys, Key, Settings
from harness.core.parsers import boolean, database_url, existing_file, integer, names_of, number
from harness.core.results import AreaResult, Finding, Severity
from harness.core.runs import Run
from harness.core.targets import Target, Targets, make_target, started_target

from . import gate
from .conformance import PHASES

_GATE = gate.GateOptions()  # the gate's own defaults, for the keys left out

CONTRACT_SETTINGS = AreaKeys("contract", (
    Key("sources", names_of(*gate.SOURCES), _GATE.sources),
    Key("phases", names_of(*PHASES), _GATE.phases),
    Key("max_examples", integer(1), _GATE.max_examples),
    Key("stateful_steps", integer(1), _GATE.stateful_steps),
    Key("stateful_examples", integer(1), _GATE.stateful_examples),
    Key("candidate_conformance", boolean, _GATE.candidate_conformance),
    Key("relative_threshold", number(0), _GATE.relative),
    Key("absolute_threshold", number(0), _GATE.absolute),
    Key("noise", boolean, True),
    Key("noise_database_url", database_url),
    Key("contract", existing_file, _GATE.contract),
    Key("postman", existing_file, _GATE.postman),
))
#: keys whose value is the GateOptions field of the same name
_GATE_KEYS = ("sources", "phases", "max_examples", "stateful_steps", "stateful_examples", "candidate_conformance",
              "contract", "postman")


def options_from(settings: Settings) -> tuple[gate.GateOptions, Mapping[str, Any]]:
    values = settings.area_settings(CONTRACT_SETTINGS)
    opts = gate.GateOptions(seed=settings.seed, accepted=settings.accepted, relative=values["relative_threshold"],
                            absolute=values["absolute_threshold"], **{key: values[key] for key in _GATE_KEYS})
    return opts, values


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
    # each side's database, for the rows the traffic leaves (a side reached by URL may have none)
    databases = {gate.PRIMARY: targets.legacy.database_url, gate.CANDIDATE: targets.candidate.database_url}
    with contextlib.ExitStack() as stack:
        if noise is not None:
            run.progress(f"{noise.name}: preparing the noise baseline")
            sides[gate.NOISE] = _side(stack.enter_context(started_target(noise)))
            databases[gate.NOISE] = noise.database_url
        result_run = gate.run_gate(sides, opts, progress=run.progress,
                                   databases={side: url for side, url in databases.items() if url})
    base_urls = {name: t.base_url for name, t in ((gate.PRIMARY, targets.legacy), (gate.CANDIDATE, targets.candidate))
                 if t.base_url}
    result = gate.to_result(result_run, opts, base_urls)
    if why_not:
        result.findings.append(Finding(id="contract.noise", check="noise_baseline", severity=Severity.INFO,
                                       message=f"no legacy-vs-legacy baseline: {why_not}; every difference counts"))
    return result
