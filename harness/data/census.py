"""A database's census: its schema, and per table the rows, the soft-deleted rows and the orphaned FK rows.

    census = take_census("postgresql://.../legacy")
    census.tables["courses"].soft_deleted, [o.describe() for o in census.orphans]

What `harness data migrate-check` compares before and after a migration path. An orphan is a child row
whose foreign key (every column of it non-NULL, as MATCH SIMPLE reads it) names no parent row: a
legacy SQLite database with foreign keys off can hold them, and a copy that skips a parent table makes
them. Framework tables (django_*, auth_*, alembic_version) are left out.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .connect import DatabaseUnreachable, first_line, open_engine, shown
from .model import ForeignKey, SchemaSnapshot
from .normalise import display
from .schema import DEFAULT_IGNORED_TABLES, reflect_engine

SOFT_DELETE_COLUMN = "is_deleted"
ORPHAN_SAMPLES = 5


@dataclass(slots=True)
class TableCount:
    rows: int
    soft_deleted: int | None = None  # None: the table has no is_deleted column


@dataclass(slots=True)
class Orphans:
    """Rows of `table` whose `foreign_key` points at no row of its target table."""

    table: str
    foreign_key: ForeignKey
    count: int
    samples: list[dict[str, Any]] = field(default_factory=list)  # key and FK values of a few orphans

    def describe(self) -> str:
        fk = self.foreign_key
        return (f"{self.count} row(s) of {self.table} have ({', '.join(fk.columns)}) pointing at no "
                f"{fk.target_table}({', '.join(fk.target_columns)}) row")

    def as_dict(self) -> dict[str, Any]:
        fk = self.foreign_key
        return {"table": self.table, "columns": list(fk.columns), "target_table": fk.target_table,
                "target_columns": list(fk.target_columns), "constraint": fk.name, "count": self.count,
                "samples": self.samples}


@dataclass(slots=True)
class Census:
    url: str  # password hidden
    schema: SchemaSnapshot
    tables: dict[str, TableCount] = field(default_factory=dict)
    orphans: list[Orphans] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())

    @property
    def soft_deleted(self) -> int:
        return sum(t.soft_deleted or 0 for t in self.tables.values())


def take_census(url: str, *, tables: Iterable[str] | None = None) -> Census:
    """The census of the database at `url`: `tables` (names or fnmatch patterns; default every table
    but the framework ones). DataInputError / DatabaseUnreachable as `connect.open_engine` raises them."""
    engine = open_engine(url)
    try:
        try:
            snapshot = reflect_engine(engine, tables=list(tables) if tables is not None else None)
            census = Census(shown(engine), snapshot)
            names = sorted(n for n in snapshot.tables
                           if not any(fnmatch.fnmatchcase(n, p) for p in DEFAULT_IGNORED_TABLES))
            with engine.connect() as conn:
                for name in names:
                    census.tables[name] = _count(conn, snapshot, name)
                for name in names:
                    for fk in snapshot.tables[name].foreign_keys:
                        found = _orphans(conn, snapshot, name, fk)
                        if found is not None:
                            census.orphans.append(found)
        except sa.exc.OperationalError as exc:
            raise DatabaseUnreachable(f"{shown(engine)}: {first_line(exc)}") from None
        return census
    finally:
        engine.dispose()


def _quote(conn: sa.Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _count(conn: sa.Connection, snapshot: SchemaSnapshot, name: str) -> TableCount:
    q = _quote(conn, name)
    if SOFT_DELETE_COLUMN not in snapshot.tables[name].columns:
        return TableCount(conn.execute(sa.text(f"SELECT count(*) FROM {q}")).scalar_one())
    flag = _quote(conn, SOFT_DELETE_COLUMN)
    rows, deleted = conn.execute(sa.text(
        f"SELECT count(*), coalesce(sum(CASE WHEN {flag} THEN 1 ELSE 0 END), 0) FROM {q}")).one()
    return TableCount(rows, int(deleted))


def _orphans(conn: sa.Connection, snapshot: SchemaSnapshot, name: str, fk: ForeignKey) -> Orphans | None:
    """The orphans of one FK, or None when there are none (or its target table is not in the snapshot)."""
    if fk.target_table not in snapshot.tables:
        return None
    child, parent = _quote(conn, name), _quote(conn, fk.target_table)
    present = " AND ".join(f"c.{_quote(conn, c)} IS NOT NULL" for c in fk.columns)
    matches = " AND ".join(f"p.{_quote(conn, t)} = c.{_quote(conn, c)}"
                           for c, t in zip(fk.columns, fk.target_columns, strict=False))
    where = f"{present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {matches})"
    count = conn.execute(sa.text(f"SELECT count(*) FROM {child} c WHERE {where}")).scalar_one()
    if not count:
        return None
    shown_columns = list(dict.fromkeys((*snapshot.tables[name].primary_key, *fk.columns)))
    select = ", ".join(f"c.{_quote(conn, c)}" for c in shown_columns)
    rows = conn.execute(sa.text(f"SELECT {select} FROM {child} c WHERE {where} LIMIT {ORPHAN_SAMPLES}")).all()
    return Orphans(name, fk, count, [{c: display(v) for c, v in zip(shown_columns, row, strict=True)} for row in rows])
