"""The databases the migration paths run on: the copy path's empty target, and the in-place path's clone.

    require_empty_target(legacy_url, candidate_url, tables)      # DataInputError unless it holds no rows
    with in_place_database(legacy_url, given_url) as (url, cloned): ...

The legacy database itself is only read. Unless a database is named for it, the in-place path runs on a
clone of the legacy one (SQLite: a backup copy; PostgreSQL: CREATE DATABASE ... TEMPLATE, which needs the
legacy database idle), removed afterwards.
"""
from __future__ import annotations

import contextlib
import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import sqlalchemy as sa

from harness.seed import SeedError, database_url

from .connect import DatabaseUnreachable, DataInputError, first_line, open_engine, shown
from .migrate_commands import hidden


def require_empty_target(legacy_url: str, candidate_url: str, tables: Iterable[str]) -> None:
    """The copy path starts from an empty database: a missing SQLite file is fine (migrate creates it),
    tables without rows are fine (a migrated database), rows in any of `tables` are not."""
    if same_database(candidate_url, legacy_url):
        raise DataInputError("the candidate database is the legacy database: the copy path needs an empty one")
    parsed = parsed_url(candidate_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        if not Path(parsed.database).parent.is_dir():
            raise DataInputError(f"no folder {Path(parsed.database).parent} for the candidate SQLite database")
        return
    holding = _tables_holding_rows(candidate_url, tables)
    if holding:
        raise DataInputError(f"the candidate database {hidden(candidate_url)} must be empty for the copy path; "
                             f"it holds rows in {', '.join(holding)}")


def _tables_holding_rows(url: str, tables: Iterable[str]) -> list[str]:
    engine = open_engine(url)
    try:
        present = set(sa.inspect(engine).get_table_names()) & set(tables)
        with engine.connect() as conn:
            quote = conn.dialect.identifier_preparer.quote
            return [t for t in sorted(present) if conn.execute(sa.text(f"SELECT 1 FROM {quote(t)} LIMIT 1")).first()]
    except sa.exc.OperationalError as exc:
        raise DatabaseUnreachable(f"{shown(engine)}: {first_line(exc)}") from None
    finally:
        engine.dispose()


@contextlib.contextmanager
def in_place_database(legacy_url: str, given: str | None) -> Iterator[tuple[str, bool]]:
    """(url, cloned): the named database, or a clone of the legacy one that is removed afterwards."""
    if given is not None:
        if same_database(given, legacy_url):
            raise DataInputError("the in-place database is the legacy database: name a copy of it, or leave it "
                                 "out and the harness clones the legacy database")
        open_engine(given).dispose()  # reachable, and an existing SQLite file
        yield given, False
        return
    with clone_database(legacy_url) as url:
        yield url, True


@contextlib.contextmanager
def clone_database(url: str) -> Iterator[str]:
    """A temporary copy of the database at `url`: SQLite through the backup API (safe while others read),
    PostgreSQL as CREATE DATABASE ... TEMPLATE on the same server (dropped afterwards)."""
    parsed = parsed_url(url)
    cloner = _clone_sqlite if parsed.get_backend_name() == "sqlite" else _clone_postgresql
    with cloner(parsed) as clone:
        yield clone


@contextlib.contextmanager
def _clone_sqlite(parsed: sa.URL) -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="harness-in-place-") as folder:
        target = Path(folder) / "in-place.sqlite3"
        source = sqlite3.connect(f"file:{Path(parsed.database).resolve()}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        yield f"sqlite:///{target}"


@contextlib.contextmanager
def _clone_postgresql(parsed: sa.URL) -> Iterator[str]:
    name = f"{parsed.database}_inplace_{uuid.uuid4().hex[:8]}"[-63:]
    admin = open_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    try:
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(parsed.database)}"))
        except sa.exc.DBAPIError as exc:
            raise DataInputError(f"cannot clone the legacy database for the in-place path ({first_line(exc)}); "
                                 f"name a copy of it with --in-place-db") from None
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))
    finally:
        admin.dispose()


def same_database(a: str, b: str) -> bool:
    """Whether two URLs name one database (driver spellings and relative SQLite paths aside)."""
    x, y = parsed_url(a), parsed_url(b)
    if x.get_backend_name() != y.get_backend_name():
        return False
    if x.get_backend_name() == "sqlite":
        return Path(x.database or "").resolve() == Path(y.database or "").resolve()
    return (x.host or "localhost", x.port or 5432, x.database) == (y.host or "localhost", y.port or 5432, y.database)


def parsed_url(url: str) -> sa.URL:
    try:
        return database_url(url)
    except SeedError as exc:
        raise DataInputError(str(exc)) from None
