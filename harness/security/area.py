"""The security area for `harness verify` and `harness security`: is the candidate at least as safe as legacy, and
as safe as the plan promises ("Security score: A+", security by default)?

For each side, in order (each a check of `[security] checks`):
    static    bandit over the app's own source, judged against a count-aware baseline (static.py)
    audit     the app's installed requirements against an OSV directory offline, or pip-audit (audit.py)
    passive   the app served over TLS on 127.0.0.1 (tls.py), its traffic recorded (crawl.py: the real client's
              collection replayed, every documented GET as each role), ZAP's passive rules over every answer
              (passive.py), judged by ZAP's baseline rules file (zap.py); a real ZAP drives instead when
              ZAP_API_URL is set, and `--zap-report FILE` judges a report from a ZAP run elsewhere
    grade     the Mozilla Observatory algorithm over the graded path's answer and the plain-HTTP redirection
    probes    active probes (probes_auth.py, probes_data.py); the candidate must refuse everything legacy refuses

Settings (`[tool.harness.security]` / harness.toml `[security]`), all optional:
    gates = "scenarios/security.toml"        the reviewed gates (gates.py)
    sides = ["legacy", "candidate"]   checks = ["static", "audit", "passive", "grade", "probes"]
    legacy_source = "legacy_flask"   candidate_source = "reference_django"    (default: the app's package)
    legacy_requirements = [...]   candidate_requirements = [...]   the distributions each app runs on
    legacy_env / candidate_env, legacy_app_config / candidate_app_config   the app as production runs it, over
                                             the target's own settings (defaults below: production settings,
                                             Secure cookies, rate limits on, a secret made for this run)
    ratelimit_switch = "RATELIMIT_ENABLED"  the setting (env and app_config) that turns the app's rate limits on:
                                             off where the harness crawls and probes, on in a second instance
                                             the login brute-force probe gets to itself
    server_workers = 1   server_threads = 4  (one worker: the rate limits' in-memory counters are exact)
    zap_report = "zap.json"                  judge this report instead of scanning
Declared as `SECURITY_SETTINGS`; relative paths are relative to the settings file's folder.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.core import paths
from harness.core.areas import register_area
from harness.core.config import AreaKeys, Key, Settings, TargetSettings
from harness.core.parsers import (
    app_config,
    env_table,
    existing_dir,
    existing_file,
    integer,
    names_of,
    string,
    string_list,
)
from harness.core.results import AreaResult
from harness.core.reviewed import MatchKeys, declare_match_keys
from harness.core.runs import Interrupted, Run
from harness.core.serving import ServerSettings, served_target_settings
from harness.core.targets import Targets, app_source

from . import audit as audit_mod
from . import findings as judged
from .gates import SecurityGates, load_gates
from .sides import SideOutcome, scan_served, scan_source

SIDES = ("legacy", "candidate")
CHECKS = ("static", "audit", "passive", "grade", "probes")
AREA = "security"
declare_match_keys(AREA, MatchKeys(required=("check", "side"), optional=("rule", "operation", "package"),
                                   choices={"side": SIDES}))

#: Made once per harness process: the served apps sign their tokens with it, and no file holds it.
_RUN_SECRET = secrets.token_urlsafe(48)
#: The apps as production runs them, over the target's own settings (the embedded default serves them as in
#: development: no TLS settings, rate limits off).
LEGACY_APP_CONFIG = {"COOKIE_SECURE": True, "JWT_SECRET": _RUN_SECRET}
CANDIDATE_ENV = {"DJANGO_SETTINGS_MODULE": "reference_django.config.settings.production",
                 "DJANGO_SECRET_KEY": _RUN_SECRET, "JWT_SECRET": _RUN_SECRET}

SECURITY_SETTINGS = AreaKeys(AREA, (
    Key("gates", existing_file, paths.SECURITY_GATES),
    Key("sides", names_of(*SIDES), SIDES),
    Key("checks", names_of(*CHECKS), CHECKS),
    Key("legacy_source", existing_dir),
    Key("candidate_source", existing_dir),
    Key("legacy_requirements", string_list, tuple(audit_mod.LEGACY_ROOTS)),
    Key("candidate_requirements", string_list, tuple(audit_mod.CANDIDATE_ROOTS)),
    Key("legacy_env", env_table, {}),
    Key("candidate_env", env_table, CANDIDATE_ENV),
    Key("legacy_app_config", app_config, LEGACY_APP_CONFIG),
    Key("candidate_app_config", app_config, {}),
    Key("ratelimit_switch", string, "RATELIMIT_ENABLED"),
    Key("server_workers", integer(1, 16), 1),
    Key("server_threads", integer(1, 64), 4),
    Key("zap_report", existing_file),
))


@dataclass(frozen=True, slots=True)
class SecurityOptions:
    gates: SecurityGates
    sides: tuple[str, ...]
    checks: frozenset[str]
    sources: Mapping[str, Path | None]
    requirements: Mapping[str, tuple[str, ...]]
    server: ServerSettings
    zap_report: Path | None
    zap_api_url: str | None = None
    zap_api_key: str | None = None
    overlays: Mapping[str, tuple[Mapping[str, str], Mapping[str, Any]]] = field(default_factory=dict)
    secret: str | None = None  # the key the served apps sign tokens with, when the overlays set it (probes)
    ratelimit_switch: str = "RATELIMIT_ENABLED"

    def wants(self, check: str) -> bool:
        return check in self.checks


def options_from(settings: Settings) -> SecurityOptions:
    values = settings.area_settings(SECURITY_SETTINGS)
    if values["zap_report"] is not None:
        from .zap import read_zap_report

        read_zap_report(values["zap_report"])  # a report that cannot be read is refused before anything starts
    return SecurityOptions(
        gates=load_gates(Path(values["gates"])),
        sides=tuple(side for side in SIDES if side in values["sides"]),
        checks=frozenset(values["checks"]),
        sources={side: values[f"{side}_source"] or app_source(settings.target(side)) for side in SIDES},
        requirements={side: tuple(values[f"{side}_requirements"]) for side in SIDES},
        server=ServerSettings(workers=values["server_workers"], threads=values["server_threads"], keep_alive_s=5),
        zap_report=values["zap_report"],
        zap_api_url=os.environ.get("ZAP_API_URL") or None, zap_api_key=os.environ.get("ZAP_API_KEY") or None,
        overlays={side: (values[f"{side}_env"], values[f"{side}_app_config"]) for side in SIDES},
        secret=_signing_secret(values), ratelimit_switch=values["ratelimit_switch"])


def _signing_secret(values: Mapping[str, Any]) -> str | None:
    """JWT_SECRET as the overlays give it, when both sides sign with the same one (else the probes that need it
    are not run)."""
    found = {values[f"{side}_env"].get("JWT_SECRET") or values[f"{side}_app_config"].get("JWT_SECRET")
             for side in SIDES}
    return found.pop() if len(found) == 1 else None


def served_settings(configured: TargetSettings, opts: SecurityOptions, side: str, *,
                   rate_limited: bool = False) -> TargetSettings:
    """The side as production serves it (its overlay over the target's own env and app_config) under gunicorn,
    with its rate limits off, or on (`rate_limited`: the brute-force probe's own instance)."""
    env, config = opts.overlays.get(side, ({}, {}))
    if configured.kind == "wsgi":
        switch, app_config = opts.ratelimit_switch, {**configured.app_config, **config}
        if app_config:  # a factory that takes its settings as a mapping: the switch goes there too
            app_config[switch] = rate_limited
        configured = replace(configured, env={**configured.env, **env, switch: "1" if rate_limited else "0"},
                             app_config=app_config)
    suffix = "security-limited" if rate_limited else "security"
    return served_target_settings(configured, opts.server, None, suffix=suffix)


@register_area(AREA, order=40, needs_targets=False)
def security(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    opts = options_from(settings)
    outcomes: dict[str, SideOutcome] = {}
    try:
        for side in opts.sides:
            outcome = outcomes.setdefault(side, SideOutcome(side))
            scan_source(run, opts, side, outcome)
        if opts.checks & {"passive", "grade", "probes"}:
            for side in opts.sides:
                configured = settings.target(side)
                scan_served(run, opts, side, served_settings(configured, opts, side), outcomes[side],
                            limited=served_settings(configured, opts, side, rate_limited=True))
    except Interrupted:
        done = "; ".join(f"{side}: {', '.join(outcome.done) or 'nothing'}" for side, outcome in outcomes.items())
        run.note(f"security: interrupted; the result holds what was checked before ({done or 'nothing'})")
    return judged.result(opts, outcomes, settings.accepted)
