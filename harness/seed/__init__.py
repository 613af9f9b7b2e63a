"""Deterministic seed data for the shared schema, outside both apps (DESIGN.md "Boundaries").

    seed_database("sqlite:///reports/legacy.sqlite3", scale="small", seed=0)

The same (scale, seed) always yields the same rows, UUIDs and password hashes included.
"""
from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from . import accounts
from .builder import Graph, build
from .plan import SCALES, Scale
from .writer import (
    Progress,
    SeedError,
    SeedReport,
    database_url,
    is_empty,
    reflect,
    write,
)


class DatabaseUnreachable(SeedError):
    """The database server could not be reached (exit 3 at the command line); every other SeedError about a
    database URL means the URL itself is wrong (exit 2)."""


#: Server answers that mean the URL names something wrong (exit 2), not a server that is down (exit 3).
_URL_AT_FAULT = re.compile(r'database "[^"]*" does not exist|role "[^"]*" does not exist|'
                           r"password authentication failed|no password supplied|"
                           r"no pg_hba\.conf entry|invalid connection option|invalid dsn|"
                           r"invalid (?:integer )?value for", re.IGNORECASE)


def connection_error(where: str, exc: BaseException, backend: str) -> SeedError:
    """The one rule of the harness for a failed first connection: the URL's fault (a SQLite file that cannot be
    opened or is not a database, a PostgreSQL database or role that does not exist, a rejected password) is a
    SeedError (exit 2); a server that could not be reached is DatabaseUnreachable (exit 3)."""
    message = str(getattr(exc, "orig", None) or exc).strip()
    reason = message.splitlines()[0] if message else type(exc).__name__
    if backend == "sqlite":  # no server: whatever fails is the file's fault
        return SeedError(f"cannot open the database at {where}: {reason}")
    if _URL_AT_FAULT.search(message):
        if "FATAL:" in reason:  # libpq: `connection failed: connection to server at ... failed: FATAL:  ...`
            reason = re.sub(r"\s+", " ", reason.rsplit("FATAL:", 1)[-1]).strip()
        return SeedError(f"cannot use the database at {where}: {reason}")
    return DatabaseUnreachable(f"cannot reach the database at {where}: {reason}")


def open_database(url: str | sa.URL, *, must_exist: bool = True) -> sa.Engine:
    """An engine on `url` that is known to answer; SeedError (or DatabaseUnreachable) with a one-line reason
    otherwise.

    With `must_exist=False` a missing SQLite file is created (to receive a schema).
    """
    parsed = database_url(url) if isinstance(url, str) else url
    if must_exist and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).is_file():
        # Connecting would create an empty file and then fail on the missing schema: say what is wrong.
        raise SeedError(f"no SQLite database file at {parsed.database} (pass --create-schema to create one)")
    try:
        engine = sa.create_engine(parsed)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise SeedError(f"no database driver for {parsed.drivername!r} ({exc})") from None
    try:
        check_reachable(engine)
    except SeedError:
        engine.dispose()
        raise
    return engine


def check_reachable(engine: sa.Engine) -> None:
    """Connect once (and read the catalogue of a SQLite file: opening one reads nothing, so a file that is not
    SQLite fails only here)."""
    backend = engine.url.get_backend_name()
    try:
        with engine.connect() as conn:
            if backend == "sqlite":
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except sa.exc.DBAPIError as exc:
        raise connection_error(engine.url.render_as_string(hide_password=True), exc, backend) from None


def planned_rows(scale: str, seed: int = 0) -> dict[str, int]:
    """Rows per table a seed run will write, computed without building them."""
    if scale not in SCALES:
        raise SeedError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    return Graph(SCALES[scale], seed).row_counts()


def seed_database(url_or_engine: str | sa.Engine, *, scale: str = "small", seed: int = 0, reset: bool = False,
                  progress: Progress | None = None) -> SeedReport:
    """Seed a database that has the shared schema; raise SeedError when it cannot be done.

    The database must be empty unless `reset`, which first deletes every seeded table's rows.
    `progress(table, rows)` is called after each chunk is written.
    """
    if scale not in SCALES:
        raise SeedError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if seed < 0:
        raise SeedError(f"the seed must be a non-negative integer, not {seed}")
    engine = open_database(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    report = SeedReport(url=engine.url.render_as_string(hide_password=True), scale=scale, seed=seed)
    try:
        if not isinstance(url_or_engine, str):
            check_reachable(engine)
        return write(engine, build(SCALES[scale], seed), report, reset=reset, progress=progress)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


def holds_rows(url_or_engine: str | sa.Engine) -> bool:
    """Whether any seeded table of the (schema-bearing) database already has a row."""
    engine = open_database(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
    try:
        md = reflect(engine)
        with engine.connect() as conn:
            return not is_empty(conn, md)
    finally:
        if isinstance(url_or_engine, str):
            engine.dispose()


__all__ = [
    "SCALES",
    "Graph",
    "Scale",
    "SeedError",
    "SeedReport",
    "accounts",
    "build",
    "DatabaseUnreachable",
    "check_reachable",
    "connection_error",
    "database_url",
    "holds_rows",
    "open_database",
    "planned_rows",
    "seed_database",
]
