"""Serving an app the way production would: gunicorn, gthread workers, for the areas that need a real server
(load measures it, security grades its TLS answers).

    ServerSettings(workers, threads, keep_alive_s, certfile=None, keyfile=None).command(app)   gunicorn's argv
    served_target_settings(configured, server, database_url, suffix=..., env=...)   the target, served
    served(run, settings, target=None)   prepared, started, seeded; stopped on every way out

An in-process (wsgi) target is served through served.py (its app built in gunicorn's own process from the
configured factory and app_config, which `write_served_spec` puts beside the server's log), on its own database
seeded like the run's (a fresh SQLite file in its folder unless a database URL is given, which is then reset and
re-seeded); a spawn target keeps its own command; a url target is reached where it runs.
"""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from .config import TargetSettings, render
from .runs import Run
from .targets import Target, make_target, started_target

SERVED_APP = "harness.core.served:application"
SPEC_VARIABLE = "HARNESS_SERVED_SPEC"


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """How an app is served: the same for both apps, so a comparison is fair. With a certificate and key, gunicorn
    speaks TLS itself (the app sees https, as behind a TLS listener in production)."""

    workers: int = 2
    threads: int = 4
    keep_alive_s: int = 75  # longer than any think time, so a user keeps its connection between requests
    timeout_s: int = 60
    certfile: str | None = None
    keyfile: str | None = None

    def command(self, app: str) -> tuple[str, ...]:
        tls = ("--certfile", self.certfile, "--keyfile", self.keyfile) if self.certfile and self.keyfile else ()
        return ("{python}", "-m", "gunicorn", "--bind", "{host}:{port}", "--workers", str(self.workers),
                "--worker-class", "gthread", "--threads", str(self.threads), "--keep-alive", str(self.keep_alive_s),
                "--timeout", str(self.timeout_s), "--graceful-timeout", "5", "--backlog", "2048",
                "--worker-connections", "20000", *tls, app)


def served_target_settings(configured: TargetSettings, server: ServerSettings, database_url: str | None, *,
                           suffix: str, env: Mapping[str, str] | None = None) -> TargetSettings:
    """The settings of `configured` served under `server` (its name gets `-<suffix>`: a folder of its own)."""
    extra = {**configured.env, **(env or {})}
    name = f"{configured.name}-{suffix}"
    if configured.kind == "url":
        return dataclasses.replace(configured, name=name)
    reset = database_url is not None or configured.database_url is not None
    common = {"name": name, "env": extra, "database_url": database_url or configured.database_url, "reset": reset,
              "seed": configured.seed, "port": 0}
    if configured.kind == "spawn":
        return dataclasses.replace(configured, **common)
    extra[SPEC_VARIABLE] = "{target_dir}/served-app.json"
    build_once = ("{python}", "-m", SERVED_APP.partition(":")[0])
    return dataclasses.replace(configured, kind="spawn", command=server.command(SERVED_APP),
                               workers=server.workers, prepare=(*configured.prepare, build_once), **common)


def write_served_spec(target: Target) -> None:
    """The app served.py builds in gunicorn's process: the configured factory and its rendered app_config."""
    settings = target.settings
    config = {key: render(value, target.placeholders()) if isinstance(value, str) else value
              for key, value in settings.app_config.items()}
    spec = {"app": settings.app, "factory": settings.factory, "config": config}
    (target.directory / "served-app.json").write_text(json.dumps(spec, indent=2), encoding="utf-8")


@contextmanager
def served(run: Run, settings: TargetSettings, target: Target | None = None) -> Iterator[Target]:
    """The app prepared, started under its server, seeded; stopped on the way out. `target` is a Target made
    from `settings` by the caller (a kind of its own), else `make_target`'s."""
    target = target or make_target(settings, run)
    if SPEC_VARIABLE in settings.env:
        write_served_spec(target)
    with started_target(target) as started:
        yield started
