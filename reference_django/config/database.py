"""DATABASE_URL (the same URL the legacy app reads) as a Django DATABASES entry.

Accepted: `sqlite:///relative/or/absolute/path`, `postgresql://`, `postgres://` and
`postgresql+psycopg://` (SQLAlchemy's spelling, so one URL serves both apps in the blue-green window).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TRUE = frozenset({"1", "true", "yes", "on"})


class DatabaseUrlError(ValueError):
    pass


def database_from_url(url: str, *, conn_max_age: int = 0) -> dict[str, Any]:
    scheme, _, rest = url.partition("://")
    engine = scheme.split("+", 1)[0].lower()
    if engine == "sqlite":
        path = rest[1:] if rest.startswith("/") else rest  # sqlite:///x -> "x", sqlite:////abs -> "/abs"
        if not path or path == ":memory:":
            raise DatabaseUrlError("DATABASE_URL: an in-memory SQLite database cannot be shared; give a file path")
        # Django turns FK enforcement on for SQLite itself; WAL and a busy timeout let the
        # threaded dev server and a second app (the blue-green window) share the file. IMMEDIATE
        # transactions take the write lock when they begin, so concurrent writers wait their turn
        # (the busy timeout) instead of failing at once with "database is locked" when a deferred
        # transaction that has already read tries to write.
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path,
                "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 5,
                            "transaction_mode": "IMMEDIATE"}}
    if engine in {"postgresql", "postgres", "pgsql"}:
        parts = urlsplit("postgresql://" + rest)
        options: dict[str, Any] = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        # Parameters bound by the server, not spliced into the SQL text, and psycopg's prepared statements: a
        # statement a connection has run five times is prepared, and PostgreSQL plans it once instead of every
        # time (the learning context's query: 1.4 ms of planning, 0.4 ms of execution). Legacy's SQLAlchemy +
        # psycopg does the same. Django turns both off by default, for transaction-mode poolers (PgBouncer before
        # 1.21): `?server_side_binding=false` or `?prepare_threshold=` on the URL does too.
        options["server_side_binding"] = str(options.get("server_side_binding", "true")).lower() in TRUE
        threshold = str(options.get("prepare_threshold", "5") if options["server_side_binding"] else "")
        options["prepare_threshold"] = int(threshold) if threshold.isdigit() else None
        return {"ENGINE": "django.db.backends.postgresql", "NAME": unquote(parts.path.lstrip("/")),
                "USER": unquote(parts.username or ""), "PASSWORD": unquote(parts.password or ""),
                "HOST": parts.hostname or "", "PORT": str(parts.port or ""), "CONN_MAX_AGE": conn_max_age,
                "OPTIONS": options}
    raise DatabaseUrlError(f"DATABASE_URL: unsupported scheme {scheme!r} (use sqlite:/// or postgresql://)")
