"""The two systems under comparison, reached only through their configuration (DESIGN.md "Boundaries").

Three kinds of target, one interface (`Target`, target_base.py):
- `wsgi`: an app imported in-process from an import string (a factory is called with its settings): target_wsgi.py;
- `spawn`: a server command started by the harness on a free loopback port, health-waited, stopped by pid:
  target_spawn.py;
- `url`: a service someone else runs, on loopback unless the configuration says otherwise: target_http.py.

Every target has its own database (a SQLite file in its folder of the run unless configured) that is prepared
(`prepare` commands, then the target's own start-up) and then seeded from the same scale and seed as the other
target's, so both start identical. A `url` target is the exception: an external service is seeded by whoever runs
it, so the harness leaves it alone (unless `seed = true` is set for it explicitly, with its `database_url`) and
says so in the results; it may have no database at all, and areas that need one skip that side.

Every process a target starts (prepare steps, servers) leads its own process group, registered with the run
(runs.track_group) and stopped on every way out, a stop signal included. Every target offers the same two handles
to the areas: `wsgi_app` (the app itself, or a forwarder to the HTTP service) and `client()` (a werkzeug test
client on it); HTTP targets also have a `base_url`. `open_targets` is the one life cycle: prepare, start and seed
both, stop both whatever happens.
"""
from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings, TargetSettings
from .errors import TargetError
from .runs import Run
from .target_base import PREPARE_TIMEOUT_S, Target, WSGIApp, first_line
from .target_http import POLL_INTERVAL_S, HttpTarget, UrlTarget, http_forwarder, probe
from .target_spawn import SpawnedTarget, free_port, require_free_port
from .target_wsgi import WsgiTarget, looks_like_factory, patched_environ

__all__ = [
    "KINDS", "POLL_INTERVAL_S", "PREPARE_TIMEOUT_S", "HttpTarget", "SpawnedTarget", "Target", "Targets", "UrlTarget",
    "WSGIApp", "WsgiTarget", "first_line", "free_port", "http_forwarder", "looks_like_factory", "make_target",
    "open_targets", "patched_environ", "probe", "require_free_port",
]

KINDS: dict[str, type[Target]] = {"wsgi": WsgiTarget, "spawn": SpawnedTarget, "url": UrlTarget}


@dataclass(frozen=True, slots=True)
class Targets:
    """Both started targets, as areas receive them."""

    legacy: Target
    candidate: Target

    def __iter__(self) -> Iterator[Target]:
        yield self.legacy
        yield self.candidate

    def __getitem__(self, name: str) -> Target:
        return {"legacy": self.legacy, "candidate": self.candidate}[name]

    def describe(self) -> dict[str, dict[str, Any]]:
        return {target.name: target.describe() for target in self}


def make_target(settings: TargetSettings, run: Run) -> Target:
    return KINDS[settings.kind](settings, run)


#: Called with each target before it is prepared (cross-write adopts the shared database there).
BeforePrepare = Callable[["Target"], None]


@contextlib.contextmanager
def open_targets(run: Run, settings: Settings, *, before_prepare: BeforePrepare | None = None) -> Iterator[Targets]:
    """Prepare, start and seed both targets; stop them on the way out, whatever happens.

    TargetError (exit code 3) when one cannot be prepared, started, reached or seeded.
    """
    with contextlib.ExitStack() as stack:
        legacy = stack.enter_context(started_target(make_target(settings.legacy, run), before_prepare))
        candidate = stack.enter_context(started_target(make_target(settings.candidate, run), before_prepare))
        if legacy.kind == "wsgi" and candidate.kind == "wsgi" and legacy.wsgi_app is candidate.wsgi_app:
            raise TargetError("legacy and candidate are the same in-process app object; compare two apps")
        yield Targets(legacy=legacy, candidate=candidate)


@contextlib.contextmanager
def configured_targets(run: Run, settings: Settings) -> Iterator[Targets]:
    """Both targets as configured, never prepared or started: for a run whose areas serve the apps themselves."""
    yield Targets(legacy=make_target(settings.legacy, run), candidate=make_target(settings.candidate, run))


@contextlib.contextmanager
def started_target(target: Target, before_prepare: BeforePrepare | None = None) -> Iterator[Target]:
    """The one life cycle of a target: its database checked, prepared, started and seeded; stopped on the way
    out, whatever happens (its stop is registered before it starts)."""
    progress = target.run.progress
    progress(f"{target.name}: preparing")
    target.check_database()
    if before_prepare is not None:
        before_prepare(target)
    target.prepare()
    progress(f"{target.name}: starting")
    try:
        target.start()
        progress(f"{target.name}: seeding (scale {target.run.scale}, seed {target.run.seed})")
        target.seed()
        yield target
    finally:
        target.stop()


def app_source(target: TargetSettings) -> Path | None:
    """The folder of the package a target's app comes from (None for a url target, or one not importable): the
    source the security area scans and the scorecard measures."""
    if not target.app or target.kind == "url":
        return None
    package = target.app.split(":", 1)[0].split(".", 1)[0]
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None
