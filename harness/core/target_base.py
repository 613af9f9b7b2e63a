"""What every kind of target shares (`Target`): its folder in the run, its database (checked, prepared, seeded),
its `prepare` steps, its environment and placeholders, and the handles areas use (`wsgi_app`, `client()`).

The kinds themselves are in target_wsgi.py (in-process), target_http.py (a running service) and
target_spawn.py (a server the harness starts); targets.py opens both targets of a run.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from werkzeug.test import Client

from harness.seed import DatabaseUnreachable, SeedError, open_database, seed_database
from harness.seed import database_url as parse_database_url
from harness.seed.writer import SEED_TABLES

from .config import TargetSettings, render
from .errors import ConfigError, TargetError
from .runs import Run, deferred_signals, stop_group, track_group

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PREPARE_TIMEOUT_S = 900.0


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
        described: dict[str, Any] = {"kind": self.kind, "app": self.settings.app if self.kind != "url" else None,
                                     "base_url": self.base_url, "database": self.shown_database()}
        if self.not_seeded:
            described["not_seeded"] = self.not_seeded
        return described

    def shown_database(self) -> str | None:
        """The database URL with its password hidden (None: no database)."""
        if not self.database_url:
            return None
        return parse_database_url(self.database_url).render_as_string(hide_password=True)

    def reproduce(self, method: str, path: str, *, headers: Mapping[str, str] | None = None,
                  body: str | None = None) -> str:
        """A curl command for one request (harness/http's one curl builder); an in-process target's is addressed
        to `harness serve`'s default port."""
        from harness.http import Sent, curl

        sent = Sent(method.upper(), path, list((headers or {}).items()), (body or "").encode())
        command = curl(sent, self.base_url or "http://127.0.0.1:5000")
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
            if _sqlite_file(parsed) and not Path(parsed.database).exists():
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
                                      f"{returncode}: {last_line(log)} (log: {log})")

    def _prepare_step(self, argv: list[str], out: Any) -> int:
        """One prepare step in its own process group; on every way out (done, timed out, interrupted) nothing
        the step started outlives it."""
        with deferred_signals():  # started and registered, or not started at all
            try:
                process = subprocess.Popen(argv, env=self.process_env(), stdout=out, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL, start_new_session=True)
            except OSError as exc:
                raise TargetError(f"{self.name}: prepare step `{shlex.join(argv)}` could not run: "
                                  f"{one_line(exc)}") from None
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
        missing = missing_schema(self.database_url)
        if missing:
            raise ConfigError(
                f"{self.name}: its database {self.shown_database()} has no schema to seed ({missing}); the app did "
                f"not create one when it started. Give it one with {self.name}.prepare, a command run before the app "
                f"starts (e.g. prepare = [\"{{python}} -m yourapp.manage migrate --noinput\"], with {{database_url}} "
                f"or the DATABASE_URL variable), or set {self.name}.seed = false to run without the seed data")
        try:
            seed_database(self.database_url, scale=self.run.scale, seed=self.run.seed, reset=self.settings.reset)
        except SeedError as exc:
            hint = f" (set {self.name}.reset = true to replace them)" if "already holds rows" in str(exc) else ""
            raise TargetError(f"{self.name}: cannot seed its database: {exc}{hint}") from None

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


# -- the database's schema -------------------------------------------------------------------------------------------

def _sqlite_file(parsed: Any) -> bool:
    """Whether a parsed database URL names a SQLite file (not memory)."""
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def missing_schema(database_url: str) -> str | None:
    """What the database lacks of the shared schema (None: it has it, or seeding will say what is wrong)."""
    try:
        parsed = parse_database_url(database_url)
    except SeedError:
        return None
    if _sqlite_file(parsed) and not Path(parsed.database).is_file():
        return f"no SQLite file at {parsed.database}"
    present = _table_names(database_url)
    if present is None:
        return None
    absent = [table for table in SEED_TABLES if table not in present]
    if len(absent) == len(SEED_TABLES):
        return "none of the shared schema's tables"
    return f"no {', '.join(absent)} table(s)" if absent else None


def _table_names(database_url: str) -> set[str] | None:
    """The database's tables (None: it cannot be read, which seeding then reports)."""
    try:
        engine = open_database(database_url)
    except SeedError:
        return None
    try:
        import sqlalchemy as sa

        return set(sa.inspect(engine).get_table_names())
    except Exception:  # noqa: BLE001 - seeding reports the database's own error
        return None
    finally:
        engine.dispose()


# -- one line of text ----------------------------------------------------------------------------------------------

def first_line(text: str, limit: int = 200) -> str:
    """The first non-blank line of `text`, stripped and cut to `limit` characters."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= limit else line[:limit - 1] + "…"
    return ""


def one_line(exc: object) -> str:
    """An error as one line: its type and the first line of its message."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if isinstance(exc, BaseException) and first else first or type(exc).__name__


def last_line(path: Path) -> str:
    """The last non-blank line of a log file (what a failed step said last)."""
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1].strip()[:300] if lines else "(empty log)"
