"""Deterministic seed data for the shared schema, outside both apps (DESIGN.md "Boundaries").

    seed_database("sqlite:///reports/legacy.sqlite3", scale="small", seed=0)

The same (scale, seed) always yields the same rows, UUIDs and password hashes included.
"""
from __future__ import annotations

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


def open_database(url: str, *, must_exist: bool = True) -> sa.Engine:
    """An engine on `url` that is known to answer; SeedError with a one-line reason otherwise.

    With `must_exist=False` a missing SQLite file is created (to receive a schema).
    """
    parsed = database_url(url)
    if must_exist and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).is_file():
        # Connecting would create an empty file and then fail on the missing schema: say what is wrong.
        raise SeedError(f"no SQLite database file at {parsed.database} (pass --create-schema to create one)")
    try:
        engine = sa.create_engine(parsed)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise SeedError(f"no database driver for {parsed.drivername!r} ({exc})") from None
    check_reachable(engine)
    return engine


def check_reachable(engine: sa.Engine) -> None:
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as exc:
        message = str(exc.orig or exc).strip()
        reason = message.splitlines()[0] if message else type(exc).__name__
        raise SeedError(f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
                        f"{reason}") from None


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
    "check_reachable",
    "database_url",
    "holds_rows",
    "open_database",
    "planned_rows",
    "seed_database",
]
