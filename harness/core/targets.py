"""The two systems under comparison, reached only through their configuration (DESIGN.md "Boundaries").

Three kinds of target, one interface (`Target`):
- `wsgi`: an app imported in-process from an import string (a factory is called with its settings);
- `spawn`: a server command started by the harness on a free loopback port, health-waited, stopped by pid;
- `url`: a service someone else runs, on loopback unless the configuration says otherwise.

Every target has its own database (a SQLite file in its folder of the run unless configured) that is prepared
(`prepare` commands, then the target's own start-up) and then seeded from the same scale and seed as the other
target's, so both start identical. A `url` target is the exception: an external service is seeded by whoever runs
it, so the harness leaves it alone (unless `seed = true` is set for it explicitly, with its `database_url`) and
says so in the results; it may have no database at all, and areas that need one skip that side.

Every process a target starts (prepare steps, servers) leads its own process group, registered with the run
(runs.track_group) and stopped on every way out, a stop signal included. Every target offers the same two handles to the areas: `wsgi_app` (the app
itself, or a forwarder to the HTTP service) and `client()` (a werkzeug test client on it); HTTP targets also
have a `base_url`.
"""
from __future__ import annotations

import contextlib
import http.client
import importlib
import inspect
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import Client

from harness.seed import DatabaseUnreachable, SeedError, open_database, seed_database
from harness.seed import database_url as parse_database_url
from harness.seed.writer import SEED_TABLES

from .config import Settings, TargetSettings, ensure_importable_from_cwd, render
from .errors import ConfigError, TargetError
from .runs import Run, deferred_signals, stop_group, track_group

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PREPARE_TIMEOUT_S = 900.0
POLL_INTERVAL_S = 0.1

#: Module-level apps this process has imported, with the database they were configured for: such an app is
#: configured once per process (at import), so it cannot serve a second database.
_IMPORTED_APPS: dict[str, str] = {}


class Target:
    """One side of the comparison. Use `open_targets`; areas only read these objects."""

    kind = ""

    def __init__(self, settings: TargetSettings, run: Run) -> None:
        self.settings = settings
        self.name = settings.name
        self.run = run
        self.directory = run.out_dir / "targets" / settings.name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.database_url: str | None = self._database_url()
        self.base_url: str | None = None  # HTTP base URL; None for an in-process app
        self.not_seeded: str | None = None  # why the harness left the database as it found it, when it did

    # -- what areas use -----------------------------------------------------------------------------------------

    @property
    def wsgi_app(self) -> WSGIApp:
        raise NotImplementedError

    def client(self) -> Client:
        """A werkzeug test client: in-process for a wsgi target, over HTTP (a forwarder) for the others."""
        return Client(self.wsgi_app)

    def describe(self) -> dict[str, Any]:
        """How the target was reached, for `AreaResult.targets` (passwords hidden)."""
        database = parse_database_url(self.database_url).render_as_string(hide_password=True) \
            if self.database_url else None
        described: dict[str, Any] = {"kind": self.kind, "app": self.settings.app if self.kind != "url" else None,
                                     "base_url": self.base_url, "database": database}
        if self.not_seeded:
            described["not_seeded"] = self.not_seeded
        return described

    def reproduce(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                  body: str | None = None) -> str:
        """A curl command for one request; an in-process target's is addressed to `harness serve`'s default port."""
        argv = ["curl", "-i", "-X", method.upper()]
        for name, value in (headers or {}).items():
            argv += ["-H", f"{name}: {value}"]
        if body is not None:
            argv += ["--data-raw", body]
        argv.append(f"{self.base_url or 'http://127.0.0.1:5000'}{path}")
        command = shlex.join(argv)
        if self.base_url is None:
            command += f"  # {self.name} runs in-process ({self.settings.app}); serve it on 127.0.0.1:5000 first"
        return command

    # -- life cycle (open_targets drives it) ---------------------------------------------------------------------

    def check_database(self) -> None:
        """A configured database is reached once before anything uses it, by the harness's one rule: a URL at
        fault (malformed, a missing database or role, a file that is not SQLite) is ConfigError (exit 2), a server
        that cannot be reached TargetError (exit 3). A SQLite file that does not exist yet is for `prepare` or the
        app to create; the run's own SQLite files are made by the harness."""
        if self.settings.database_url is None or self.database_url is None:
            return
        try:
            parsed = parse_database_url(self.database_url)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                    and not Path(parsed.database).exists():
                return
            open_database(parsed).dispose()
        except DatabaseUnreachable as exc:
            raise TargetError(f"{self.name}.database_url: {exc}") from None
        except SeedError as exc:
            raise ConfigError(f"{self.name}.database_url: {exc}") from None

    def prepare(self) -> None:
        """Run the configured `prepare` commands with the target's environment, logging to prepare.log."""
        if not self.settings.prepare:
            return
        log = self.directory / "prepare.log"
        with log.open("ab") as out:
            for step in self.settings.prepare:
                argv = [render(part, self.placeholders()) for part in step]
                out.write(f"$ {shlex.join(argv)}\n".encode())
                out.flush()
                returncode = self._prepare_step(argv, out)
                if returncode != 0:
                    raise TargetError(f"{self.name}: prepare step `{shlex.join(argv)}` exited with "
                                      f"{returncode}: {_last_line(log)} (log: {log})")

    def _prepare_step(self, argv: list[str], out: Any) -> int:
        """One prepare step in its own process group; on every way out (done, timed out, interrupted) nothing
        the step started outlives it."""
        with deferred_signals():  # started and registered, or not started at all
            try:
                process = subprocess.Popen(argv, env=self.process_env(), stdout=out, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as exc:
                raise TargetError(f"{self.name}: prepare step `{shlex.join(argv)}` could not run: "
                                  f"{_one_line(exc)}") from None
            track_group(process.pid, f"{self.name}: prepare step {shlex.join(argv)}")
        try:
            return process.wait(timeout=PREPARE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise TargetError(f"{self.name}: prepare step `{shlex.join(argv)}` could not run: it did not finish "
                              f"within {PREPARE_TIMEOUT_S:g} s") from None
        finally:
            with deferred_signals():
                stop_group(process, process.pid, self.settings.stop_timeout)

    def start(self) -> None:
        raise NotImplementedError

    def seed(self) -> None:
        """Fill the target's database with the run's seed data, the same rows on both sides.

        ConfigError (exit 2) when the database has no schema to seed: the app did not create one at start and
        no `prepare` step did."""
        if not self.settings.seed or self.database_url is None:
            return
        missing = self._missing_schema()
        if missing:
            shown = parse_database_url(self.database_url).render_as_string(hide_password=True)
            raise ConfigError(
                f"{self.name}: its database {shown} has no schema to seed ({missing}); the app did not create one "
                f"when it started. Give it one with {self.name}.prepare, a command run before the app starts (e.g. "
                f"prepare = [\"{{python}} -m yourapp.manage migrate --noinput\"], with {{database_url}} or the "
                f"DATABASE_URL variable), or set {self.name}.seed = false to run without the seed data")
        try:
            seed_database(self.database_url, scale=self.run.scale, seed=self.run.seed, reset=self.settings.reset)
        except SeedError as exc:
            hint = f" (set {self.name}.reset = true to replace them)" if "already holds rows" in str(exc) else ""
            raise TargetError(f"{self.name}: cannot seed its database: {exc}{hint}") from None

    def _missing_schema(self) -> str | None:
        """What the database lacks of the shared schema (None: it has it, or seeding will say what is wrong)."""
        assert self.database_url is not None
        try:
            parsed = parse_database_url(self.database_url)
        except SeedError:
            return None
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and not Path(parsed.database).is_file():
            return f"no SQLite file at {parsed.database}"
        try:
            engine = open_database(self.database_url)
        except SeedError:
            return None
        try:
            import sqlalchemy as sa

            present = set(sa.inspect(engine).get_table_names())
        except Exception:  # noqa: BLE001 - seeding reports the database's own error
            return None
        finally:
            engine.dispose()
        absent = [table for table in SEED_TABLES if table not in present]
        if len(absent) == len(SEED_TABLES):
            return "none of the shared schema's tables"
        return f"no {', '.join(absent)} table(s)" if absent else None

    def stop(self) -> None:
        """Release what start() took; safe to call more than once."""

    # -- helpers ------------------------------------------------------------------------------------------------

    def _database_url(self) -> str | None:
        if self.settings.database_url is not None:
            return render(self.settings.database_url, self._folders())
        if self.kind == "url":
            return None  # an external service's database is only known when configured
        return f"sqlite:///{self.directory / 'database.sqlite3'}"

    def _folders(self) -> dict[str, str]:
        return {"target_dir": str(self.directory), "run_dir": str(self.run.out_dir)}

    def placeholders(self) -> dict[str, str]:
        return {**self._folders(), "python": sys.executable, "app": self.settings.app or "",
                "database_url": self.database_url or "", "url": self.settings.url or ""}

    def target_env(self) -> dict[str, str]:
        """The variables this target adds to the environment: its `env`, then DATABASE_URL."""
        env = {name: render(value, self.placeholders()) for name, value in self.settings.env.items()}
        if self.database_url is not None:
            env["DATABASE_URL"] = self.database_url
        return env

    def process_env(self) -> dict[str, str]:
        return {**os.environ, **self.target_env()}


class WsgiTarget(Target):
    """An app imported into this process."""

    kind = "wsgi"

    def __init__(self, settings: TargetSettings, run: Run) -> None:
        super().__init__(settings, run)
        self._app: WSGIApp | None = None

    @property
    def wsgi_app(self) -> WSGIApp:
        if self._app is None:
            raise TargetError(f"{self.name}: not started")
        return self._app

    def start(self) -> None:
        module_name, _, attribute = (self.settings.app or "").partition(":")
        called = attribute.endswith("()")
        attribute = attribute.removesuffix("()")
        ensure_importable_from_cwd()
        # The environment is the app's configuration channel at import and factory time (Django reads its
        # settings on import); it is put back afterwards so the other target can be configured differently.
        with patched_environ(self.target_env()):
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:  # noqa: BLE001 - any import failure means the target cannot start
                raise TargetError(f"{self.name}: cannot import {module_name}: {_one_line(exc)}") from None
            if not hasattr(module, attribute):
                raise self.settings.bad("app", f"an attribute of module {module_name} (it has no {attribute!r})")
            found = getattr(module, attribute)
            factory = self.settings.factory
            if factory is None:
                factory = called or looks_like_factory(found)
            self._app = self._call_factory(found, called) if factory else self._module_app(found)
        if not callable(self._app):
            raise self.settings.bad("app", "a WSGI application or a factory returning one")

    def _call_factory(self, factory: Callable[..., Any], called: bool) -> WSGIApp:
        config = {name: render(value, self.placeholders()) if isinstance(value, str) else value
                  for name, value in self.settings.app_config.items()}
        try:
            if called and not config:
                return factory()  # gunicorn's `module:factory()` spelling: no arguments
            return factory({**config, "DATABASE_URL": self.database_url})
        except Exception as exc:  # noqa: BLE001 - the app's own start-up failed
            raise TargetError(f"{self.name}: {self.settings.app} failed to create the app: {_one_line(exc)}") from None

    def _module_app(self, app: WSGIApp) -> WSGIApp:
        spec = self.settings.app or ""
        previous = _IMPORTED_APPS.setdefault(spec, self.database_url or "")
        if previous != (self.database_url or ""):
            raise TargetError(f"{self.name}: {spec} is a module-level app this process already configured for "
                              f"{previous}; it cannot serve a second database in the same process (use "
                              f"kind = \"spawn\" for it)")
        return app


class HttpTarget(Target):
    """A target reached over HTTP: `wsgi_app` forwards each request to `base_url`."""

    def __init__(self, settings: TargetSettings, run: Run) -> None:
        super().__init__(settings, run)
        self._forwarder: WSGIApp | None = None

    @property
    def wsgi_app(self) -> WSGIApp:
        if self.base_url is None:
            raise TargetError(f"{self.name}: not started")
        if self._forwarder is None:
            self._forwarder = http_forwarder(self.base_url, timeout=self.settings.request_timeout)
        return self._forwarder

    def wait_healthy(self, alive: Callable[[], str | None] = lambda: None) -> None:
        """Poll GET <health_path> until it answers 200; `alive()` returns why the target is gone, if it is."""
        assert self.base_url is not None
        url = self.base_url + self.settings.health_path
        deadline = time.monotonic() + self.settings.startup_timeout
        last = "no answer yet"
        while True:
            gone = alive()
            if gone:
                raise TargetError(f"{self.name}: {gone} before answering {url}")
            status, last = probe(url, timeout=min(2.0, self.settings.startup_timeout))
            if status == 200:
                return
            if time.monotonic() >= deadline:
                raise TargetError(f"{self.name}: no 200 from {url} within {self.settings.startup_timeout:g} s "
                                  f"(last: {last})")
            time.sleep(POLL_INTERVAL_S)


class UrlTarget(HttpTarget):
    """A service already running at a configured base URL."""

    kind = "url"

    def start(self) -> None:
        self.base_url = self.settings.url
        self.wait_healthy()

    def seed(self) -> None:
        """An external service is seeded by whoever runs it: seeded here only when `seed = true` is set for it
        explicitly (and it has a `database_url`)."""
        if "seed" in self.settings.sources and self.settings.seed and self.database_url is not None:
            super().seed()
            return
        self.not_seeded = "an external service: seeded by whoever runs it, not by the harness"
        database = " (its database: " + parse_database_url(self.database_url).render_as_string(
            hide_password=True) + ")" if self.database_url else " (no database_url configured)"
        self.run.note(f"{self.name} is an external service at {self.base_url}{database}: the harness did not seed "
                      f"it; seed it as the other side is (harness seed --db URL --scale {self.run.scale} --seed "
                      f"{self.run.seed}), or set {self.name}.seed = true with its database_url to have it seeded")


class SpawnedTarget(HttpTarget):
    """A server the harness starts on 127.0.0.1, in its own process group, and stops by pid."""

    kind = "spawn"

    def __init__(self, settings: TargetSettings, run: Run) -> None:
        super().__init__(settings, run)
        self.port = settings.port
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.directory / "server.log"
        self._log: Any = None

    def placeholders(self) -> dict[str, str]:
        return {**super().placeholders(), "host": self.settings.host, "port": str(self.port),
                "workers": str(self.settings.workers)}

    def start(self) -> None:
        host = self.settings.host
        self.port = self.settings.port or free_port(host)
        if self.settings.port:
            require_free_port(host, self.port, self.name)
        argv = [render(part, self.placeholders()) for part in self.settings.command]
        self._log = self.log_path.open("ab")
        self._log.write(f"$ {shlex.join(argv)}\n".encode())
        self._log.flush()
        with deferred_signals():  # started and registered, or not started at all
            try:
                # A new session makes the server the leader of its own process group, so stop() reaches its
                # workers (and a Ctrl-C on the terminal reaches the harness only, which stops them).
                self.process = subprocess.Popen(argv, env=self.process_env(), stdin=subprocess.DEVNULL,
                                                stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as exc:
                self._log.close()
                raise TargetError(f"{self.name}: cannot run `{shlex.join(argv)}`: {_one_line(exc)}") from None
            track_group(self.process.pid, f"{self.name}: server {shlex.join(argv)}")
        self.base_url = f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"
        try:
            self.wait_healthy(self._exited)
        except TargetError as exc:
            self.stop()
            raise TargetError(f"{exc} (log: {self.log_path}: {_last_line(self.log_path)})") from None

    def _exited(self) -> str | None:
        code = self.process.poll() if self.process else None
        return None if code is None else f"the server exited with code {code}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after `stop_timeout`; no process of the group outlives it."""
        if self.process is None:
            return
        with deferred_signals():  # a stop signal now is raised once the server is gone
            stop_group(self.process, self.process.pid, self.settings.stop_timeout)
            self.process = None
            if self._log is not None:
                self._log.close()
                self._log = None


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


@contextlib.contextmanager
def open_targets(run: Run, settings: Settings) -> Iterator[Targets]:
    """Prepare, start and seed both targets; stop them on the way out, whatever happens.

    TargetError (exit code 3) when one cannot be prepared, started, reached or seeded.
    """
    with contextlib.ExitStack() as stack:
        started = []
        for target_settings in (settings.legacy, settings.candidate):
            target = make_target(target_settings, run)
            run.progress(f"{target.name}: preparing")
            target.check_database()
            target.prepare()
            run.progress(f"{target.name}: starting")
            stack.callback(target.stop)
            target.start()
            run.progress(f"{target.name}: seeding (scale {run.scale}, seed {run.seed})")
            target.seed()
            started.append(target)
        legacy, candidate = started
        if legacy.kind == "wsgi" and candidate.kind == "wsgi" and legacy.wsgi_app is candidate.wsgi_app:
            raise TargetError("legacy and candidate are the same in-process app object; compare two apps")
        yield Targets(legacy=legacy, candidate=candidate)


# -- small pieces -------------------------------------------------------------------------------------------------

def looks_like_factory(obj: Any) -> bool:
    """A plain function that cannot take WSGI's (environ, start_response) is an app factory; an app object
    (Flask, Django's WSGIHandler) or a two-argument function is the app itself."""
    if not inspect.isfunction(obj):
        return False
    required = [p for p in inspect.signature(obj).parameters.values()
                if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(required) < 2


@contextlib.contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def http_forwarder(base_url: str, *, timeout: float = 30.0) -> WSGIApp:
    """A WSGI app that sends every request on to `base_url` (werkzeug's proxy, minus its path routing), so an
    HTTP target is driven with the same test client as an in-process one."""
    from werkzeug.middleware.http_proxy import ProxyMiddleware

    proxy = ProxyMiddleware(lambda environ, start_response: [], {}, timeout=int(max(1, timeout)))
    options = {"target": base_url, "remove_prefix": True, "host": urlsplit(base_url).netloc, "headers": {},
               "ssl_context": None}

    def forward(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        return proxy.proxy_to(options, environ.get("PATH_INFO", "/"), "/")(environ, start_response)

    return forward


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback never goes via a proxy


def probe(url: str, *, timeout: float = 2.0) -> tuple[int | None, str]:
    """(status, reason) of one GET; status None when nothing answered."""
    try:
        with _NO_PROXY.open(url, timeout=timeout) as response:
            return response.status, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}{_first_body_line(exc)}"
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        return None, _one_line(reason) if isinstance(reason, BaseException) else str(reason)


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def require_free_port(host: str, port: int, name: str) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise TargetError(f"{name}: cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _first_body_line(response: Any) -> str:
    """`: <the body's first non-blank line>` of an error answer (what a failed health check said), or ''."""
    try:
        body = response.read(4096).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - the status alone is still worth reporting
        return ""
    line = first_line(body)
    return f": {line}" if line else ""


def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of `text`, stripped and cut to `limit` characters."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[:limit - 1] + "…"
    return ""


def _one_line(exc: object) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if isinstance(exc, BaseException) and first else first or type(exc).__name__


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1].strip()[:300] if lines else "(empty log)"
