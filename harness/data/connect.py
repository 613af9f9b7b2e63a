"""Opening the two databases, with the two ways that can fail told apart (exit 2 vs exit 3).

The rule (DESIGN.md "The command"): what the user wrote is wrong -> exit 2 (a malformed URL, an unsupported
engine, a missing SQLite file or one that is not a SQLite database, a PostgreSQL database or role that does
not exist, a rejected password); the server could not be reached -> exit 3 (connection refused, time-out).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from harness.core.errors import ConfigError, TargetError

SUPPORTED = ("postgresql", "sqlite")


class DataInputError(ConfigError, ValueError):
    """Bad input (exit 2): a malformed URL, an unsupported engine, a missing SQLite file, a bad option."""


class DatabaseUnreachable(TargetError):
    """A database server could not be reached or refused the connection (exit 3)."""


def open_engine(url: str | sa.URL, **engine_options: Any) -> sa.Engine:
    """An engine on `url` that has answered once. SQLite files must exist: connecting to a missing
    one would create it empty, and an empty schema would compare as "everything missing"."""
    from harness.seed import SeedError, database_url

    try:
        parsed = database_url(url) if isinstance(url, str) else url
    except SeedError as exc:
        raise DataInputError(str(exc)) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        raise DataInputError(f"unsupported database engine {backend!r}: PostgreSQL and SQLite are supported")
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not parsed.database.startswith("file:") and not Path(parsed.database).is_file():
        raise DataInputError(f"no SQLite database file at {parsed.database}")
    if backend != "postgresql":
        engine_options = {k: v for k, v in engine_options.items() if k not in ("pool_size", "max_overflow")}
    try:
        engine = sa.create_engine(parsed, **engine_options)
    except (sa.exc.NoSuchModuleError, ImportError) as exc:
        raise DataInputError(f"no database driver for {parsed.drivername!r} ({exc})") from None
    try:
        with engine.connect() as conn:
            if backend == "sqlite":  # opening a file reads nothing: a file that is not SQLite fails here
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar()
    except sa.exc.DBAPIError as exc:
        engine.dispose()
        raise connect_error(shown(engine), exc, backend) from None
    return engine


def connect_error(where: str, exc: BaseException, backend: str) -> DataInputError | DatabaseUnreachable:
    """A failed first connection by the harness's one rule (harness.seed.connection_error): DataInputError
    (exit 2) when the URL is at fault, DatabaseUnreachable (exit 3) when the server could not be reached."""
    from harness.seed import DatabaseUnreachable as ServerDown
    from harness.seed import connection_error

    error = connection_error(where, exc, backend)
    return DatabaseUnreachable(str(error)) if isinstance(error, ServerDown) else DataInputError(str(error))


def shown(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def first_line(exc: BaseException) -> str:
    message = str(getattr(exc, "orig", None) or exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__
