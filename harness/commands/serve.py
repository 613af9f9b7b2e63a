"""`harness serve legacy|candidate`: a configured target on loopback, seeded, for trying the API by hand.

    harness serve legacy|candidate [--config FILE] [--host 127.0.0.1] [--port 5000] [--db URL]
                                   [--scale small] [--seed N] [--rate-limits]

The target comes from the settings (the embedded default: legacy_flask or reference_django in-process), as
`harness verify` would start it: its prepare steps run, it starts on `--db` (default: a SQLite file in a run
folder of its own), and an empty database is seeded. An in-process (wsgi) target is served with werkzeug's
threaded development server, its Socket.IO middleware included; a spawn target runs its own server command on
`--host`/`--port`; an external URL target is already served. Until Ctrl-C; every process it started is
stopped on the way out. Exit 2 on a bad setting, host or URL, 3 when the port is taken or the database cannot
be reached.
"""
from __future__ import annotations

import dataclasses
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import click

from harness.core.command import harness_errors, new_command_run
from harness.core.config import Settings, TargetSettings, load_settings
from harness.core.errors import ConfigError, TargetError
from harness.core.urlguard import UnsafeUrl, require_loopback_host
from harness.seed import SCALES, accounts, holds_rows

from .seed import check_database, database_errors, describe


@click.command()
@click.argument("name", metavar="legacy|candidate", type=click.Choice(["legacy", "candidate"]))
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Settings file naming the targets (default: ./harness.toml, else [tool.harness]).")
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address; nothing else is allowed.")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--db", "db_url", envvar="DATABASE_URL", metavar="URL",
              help="Database to serve (env DATABASE_URL; default: the target's configured database, else a SQLite "
                   "file in the run folder under reports/).")
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="Seed scale when the database is empty.")
@click.option("--seed", "seed_value", type=click.IntRange(min=0), default=0, show_default=True, metavar="N")
@click.option("--rate-limits/--no-rate-limits", default=False, show_default=True,
              help="Enforce the API's rate limits (API.md §1.9), where the target's settings switch them.")
def serve(name: str, config: Path | None, host: str, port: int, db_url: str | None, scale: str, seed_value: int,
          rate_limits: bool) -> None:
    """Serve a configured target (HTTP and Socket.IO) on loopback, seeded when empty, until Ctrl-C.

    An in-process target gets werkzeug's threaded development server: for trying the API by hand and for tests,
    not for load work. One line per request on stderr, coloured only on a terminal."""
    with harness_errors():
        require_loopback(host)
        require_free_port(host, port)
        settings = dataclasses.replace(load_settings(config), scale=scale, seed=seed_value)
        served = _served_settings(settings.target(name), db_url, host, port, rate_limits)
        if db_url is not None:
            check_database(db_url)
        _run(settings, served, host, port, rate_limits)


def _served_settings(target: TargetSettings, db_url: str | None, host: str, port: int,
                     rate_limits: bool) -> TargetSettings:
    if target.kind == "url":
        raise ConfigError(f"{target.name} is an external service ({target.url}): it is served already")
    switched = {"app_config": {**target.app_config, **({"RATELIMIT_ENABLED": rate_limits}
                                                        if "RATELIMIT_ENABLED" in target.app_config else {})},
                "env": {**target.env, **({"RATELIMIT_ENABLED": "1" if rate_limits else "0"}
                                         if "RATELIMIT_ENABLED" in target.env else {})}}
    if target.kind == "spawn":
        switched.update(host=host, port=port)
    return dataclasses.replace(target, database_url=db_url or target.database_url, seed=False, **switched)


def _run(settings: Settings, served: TargetSettings, host: str, port: int, rate_limits: bool) -> None:
    """The target through the one life cycle (core's `started_target`: checked, prepared, started, stopped on
    the way out); seeded here only when empty, so a database with rows is served as it is."""
    from harness.core.targets import make_target, started_target

    with started_target(make_target(served, new_command_run(settings))) as target:
        _seed_if_empty(target, settings)
        click.echo(welcome(served, host, port, rate_limits))
        if target.kind == "wsgi":
            serve_wsgi(target.wsgi_app, host, port)
        else:
            _wait_for_interrupt(target)


def _seed_if_empty(target: Any, settings: Settings) -> None:
    from harness.seed import seed_database

    with database_errors(target.database_url):
        if holds_rows(target.database_url):
            click.echo(f"Database {target.describe()['database']} already holds rows; serving it as is.")
        else:
            click.echo(describe(seed_database(target.database_url, scale=settings.scale, seed=settings.seed)))


def _wait_for_interrupt(target: Any) -> None:
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        click.echo(f"Stopping {target.name}.", err=True)


def serve_wsgi(app: Any, host: str, port: int) -> None:
    """Serve `app` (its Socket.IO middleware included) with werkzeug's threaded server until Ctrl-C, with no
    banner, no development-server warning and no `.env` files; the request log is plain text unless stderr is a
    terminal."""
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True, request_handler=_request_log_handler())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _request_log_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler
    from werkzeug.urls import uri_to_iri

    colour = sys.stderr.isatty() and not os.environ.get("NO_COLOR")

    class RequestLog(WSGIRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if colour:
                return super().log_request(code, size)
            try:
                line = f"{self.command} {uri_to_iri(self.path)} {self.request_version}"
            except AttributeError:  # a request line that did not parse
                line = self.requestline
            self.log("info", '"%s" %s %s', line.translate(self._control_char_table), code, size)

    return RequestLog


def require_loopback(host: str) -> None:
    try:
        require_loopback_host(host)
    except UnsafeUrl:
        raise ConfigError(f"refusing to listen on {host!r}: the harness works on loopback only (e.g. 127.0.0.1)") \
            from None


def require_free_port(host: str, port: int) -> None:
    """A taken port in one line with exit 3 (werkzeug would print its own advice and exit 1)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server's own socket does
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise TargetError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def welcome(target: TargetSettings, host: str, port: int, rate_limits: bool) -> str:
    base = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    width = max(len(a.email) for a in accounts.DOCUMENTED)
    lines = [f"The {target.name} target ({target.app or ' '.join(target.command)}) on {base}/api/v1 "
             f"(health: {base}/health, Socket.IO: {base}/socket.io/)", "Accounts:"]
    lines += [f"  {a.email:<{width}}  {a.password:<15} {', '.join(a.roles)}" for a in accounts.DOCUMENTED]
    lines.append(f"  {'generated users':<{width}}  {accounts.GENERATED_PASSWORD:<15} "
                 f"(student<N>@seed.unpuzzle.test, instructor<N>@seed.unpuzzle.test)")
    lines.append(f"Rate limits {'on' if rate_limits else 'off (--rate-limits to enforce them)'}.")
    return "\n".join(lines)
