"""Write seed rows into any database that has the shared schema, with SQLAlchemy Core only.

The target's tables are reflected, never imported from an app, so the same rows can be given to
the legacy database, the candidate's database, or any copy of the schema. PostgreSQL through
psycopg 3 is bulk-loaded the way pg_restore does it: COPY into the tables with their keys, indexes
and foreign keys set aside, then all of them re-created (and so re-validated) from their own
definitions, in the seed's one transaction. Every other database gets executemany INSERTs. Both
paths store the same values and leave the same schema.
"""
from __future__ import annotations

import json
import operator
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from psycopg.types.json import Jsonb

SEED_TABLES = ("roles", "permissions", "role_permissions", "users", "user_roles", "user_permissions",
               "courses", "course_sections", "media_files", "videos", "quizzes", "upload_sessions",
               "enrollments", "course_progress", "video_progress", "quiz_attempts", "reviews", "ai_chats",
               "course_recommendations", "user_sessions", "user_activities")

Rows = list[dict]
Progress = Callable[[str, int], None]


class SeedError(RuntimeError):
    """The seed cannot run against this database (bad URL, unreachable, no schema, not empty)."""


@dataclass(slots=True)
class SeedReport:
    url: str
    scale: str
    seed: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    method: str = "insert"  # "copy" on PostgreSQL with psycopg 3

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {"url": self.url, "scale": self.scale, "seed": self.seed, "method": self.method,
                "rows": dict(self.rows), "total": self.total, "seconds": round(self.seconds, 3),
                "rows_per_second": round(self.rows_per_second, 1)}


def database_url(url: str) -> sa.URL:
    """Parse a database URL; plain postgres:// and postgresql:// mean psycopg 3, as in both apps."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise SeedError(f"not a database URL: {url!r} (expected e.g. sqlite:///path.sqlite3 or "
                        f"postgresql://user@host/db)") from None
    if parsed.drivername in {"postgres", "postgresql"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def reflect(engine: sa.Engine) -> sa.MetaData:
    md = sa.MetaData()
    present = set(sa.inspect(engine).get_table_names())
    missing = [t for t in SEED_TABLES if t not in present]
    if missing:
        what = "no tables of the shared schema" if len(missing) == len(SEED_TABLES) else \
            f"no {', '.join(missing)} table(s)"
        raise SeedError(f"the database has {what}: create the schema first "
                        f"(--create-schema, start the app once, or run its migrations)")
    md.reflect(engine, only=list(SEED_TABLES))
    return md


def is_empty(conn: sa.Connection, md: sa.MetaData) -> bool:
    return all(conn.execute(sa.select(sa.literal(1)).select_from(md.tables[t]).limit(1)).first() is None
               for t in SEED_TABLES)


def clear(conn: sa.Connection, md: sa.MetaData) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in SEED_TABLES) + " CASCADE"))
        return
    for table in reversed(md.sorted_tables):
        conn.execute(table.delete())


def uses_copy(conn: sa.Connection) -> bool:
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


#: Column types whose binary COPY dumpers accept what the builder yields (str, int, float, bool,
#: aware datetime, Decimal, JSON-able values). A table with any other type is copied as text,
#: where the server parses every value itself.
_BINARY_TYPES = {"varchar", "text", "bpchar", "int2", "int4", "int8", "float4", "float8", "bool", "timestamptz",
                 "numeric", "json", "jsonb"}


def _as_numeric(value):
    return value if value is None or isinstance(value, Decimal) else Decimal(str(value))


def _as_binary_json(value):
    # The JSON dumper serialises any value; a bare None would be SQL NULL, the INSERT path stores JSON null.
    if isinstance(value, sa.sql.elements.Null):  # sa.null(): SQL NULL, as the INSERT path stores it
        return None
    return Jsonb(None) if value is None else value


def _as_text_json(value):
    return None if isinstance(value, sa.sql.elements.Null) else json.dumps(value)


class _CopyLoader:
    """COPY each chunk through psycopg 3 on the SQLAlchemy connection's own transaction.

    COPY bypasses SQLAlchemy's type processing, so values are prepared here the way an executemany
    INSERT would store them: JSON None is JSON null, not SQL NULL (`sa.null()` is). Binary format where every column
    allows it (three times cheaper per row than text), text otherwise.
    """

    def __init__(self, conn: sa.Connection, md: sa.MetaData) -> None:
        self.conn = conn
        self.md = md
        self.raw = conn.connection.driver_connection
        self.quote = conn.dialect.identifier_preparer.quote
        self._plans: dict[tuple[str, tuple[str, ...]], tuple[str, list[str] | None, list]] = {}

    def _plan(self, table: str, columns: tuple[str, ...]) -> tuple[str, list[str] | None, list]:
        key = (table, columns)
        if key not in self._plans:
            unknown = [c for c in columns if c not in self.md.tables[table].c]
            if unknown:
                raise SeedError(f"table {table} has no column(s) {', '.join(unknown)}")
            found = dict(self.conn.execute(sa.text(
                "SELECT a.attname, t.typname FROM pg_attribute AS a JOIN pg_type AS t ON t.oid = a.atttypid "
                "WHERE a.attrelid = to_regclass(:table) AND a.attnum > 0 AND NOT a.attisdropped"),
                {"table": table}).all())
            types = [found[c] for c in columns]
            binary = all(t in _BINARY_TYPES for t in types)
            fixes = []
            for i, t in enumerate(types):
                if t in ("json", "jsonb"):
                    fixes.append((i, _as_binary_json if binary else _as_text_json))
                elif t == "numeric" and binary:
                    fixes.append((i, _as_numeric))
            statement = (f"COPY {self.quote(table)} ({', '.join(self.quote(c) for c in columns)}) FROM STDIN"
                         + (" (FORMAT BINARY)" if binary else ""))
            self._plans[key] = (statement, types if binary else None, fixes)
        return self._plans[key]

    def __call__(self, table: str, rows: Rows) -> None:
        columns = tuple(rows[0])
        statement, types, fixes = self._plan(table, columns)
        values = operator.itemgetter(*columns)
        with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
            if types:
                copy.set_types(types)
            for row in rows:
                record = values(row)
                if fixes:
                    record = list(record)
                    for i, fix in fixes:
                        record[i] = fix(record[i])
                copy.write_row(record)


_SEEDED = "(SELECT to_regclass(t) FROM unnest(CAST(:tables AS text[])) AS t)"


@contextmanager
def _bulk_load(conn: sa.Connection) -> Iterator[None]:
    """Set aside the seeded tables' constraints and indexes; re-create them verbatim on exit.

    This is pg_restore's order: data first, then primary keys, unique constraints and indexes
    (built by sorting), then foreign keys (validated by one join each). Maintaining them row by
    row makes `large` several times slower. A key that a foreign key of some other table depends
    on stays in place. Everything runs in the caller's transaction, so a failure anywhere rolls the
    schema back with the data; other sessions wait on the tables' locks until the seed commits.
    """
    tables = {"tables": list(SEED_TABLES)}
    foreign_keys = conn.execute(sa.text(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE contype = 'f' AND conrelid IN {_SEEDED} ORDER BY oid"), tables).all()
    keys = conn.execute(sa.text(
        "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint AS k "
        f"WHERE contype IN ('p', 'u') AND conrelid IN {_SEEDED} AND NOT EXISTS ("
        f"  SELECT 1 FROM pg_constraint AS f WHERE f.contype = 'f' AND f.conindid = k.conindid "
        f"  AND f.conrelid NOT IN {_SEEDED}) ORDER BY oid"), tables).all()
    indexes = conn.execute(sa.text(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index AS i "
        f"WHERE indrelid IN {_SEEDED} "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid) ORDER BY indexrelid"),
        tables).all()
    for table, name, _definition in foreign_keys + keys:
        conn.execute(sa.text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
    for name, _definition in indexes:
        conn.execute(sa.text(f"DROP INDEX {name}"))
    yield
    conn.execute(sa.text("SET LOCAL maintenance_work_mem = '256MB'"))
    for table, name, definition in keys:
        conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
    for _name, definition in indexes:
        conn.execute(sa.text(definition))
    for table, name, definition in foreign_keys:
        conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
    # Fresh planner statistics, so whatever runs on the seed next (a load test) gets good plans.
    conn.execute(sa.text("ANALYZE " + ", ".join(f'"{t}"' for t in SEED_TABLES)))


def write(engine: sa.Engine, chunks: Iterable[tuple[str, Rows]], report: SeedReport, *,
          reset: bool = False, progress: Progress | None = None) -> SeedReport:
    """Write every chunk in one transaction: a failed seed leaves the database as it was."""
    md = reflect(engine)
    started = time.perf_counter()
    with engine.begin() as conn:
        if reset:
            clear(conn, md)
        elif not is_empty(conn, md):
            raise SeedError("the database already holds rows; pass --reset to replace them")
        copy = uses_copy(conn)
        report.method = "copy" if copy else "insert"
        load = _CopyLoader(conn, md) if copy else (lambda table, rows: conn.execute(md.tables[table].insert(), rows))
        with _bulk_load(conn) if copy else nullcontext():
            for table, rows in chunks:
                load(table, rows)
                report.rows[table] = report.rows.get(table, 0) + len(rows)
                if progress:
                    progress(table, len(rows))
    report.seconds = time.perf_counter() - started
    return report
