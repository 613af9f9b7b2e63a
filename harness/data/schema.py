"""`harness data schema`: reflect two databases into canonical schemas, and compare them by definition.

    legacy = reflect("postgresql://.../legacy")
    candidate = reflect("postgresql://.../candidate")
    for difference in diff(legacy, candidate):
        print(difference.severity, difference.table, difference.name, difference.message)

Reflection reads what SQLAlchemy's inspector gives and what the engine's catalog adds (`catalog`), and
keeps it in canonical form (`model`; types from `types`, defaults and expressions from `sqltext`), so
PostgreSQL and SQLite spellings of one definition agree. A plain UNIQUE INDEX counts as a unique
constraint. `check_selection` says which tables a comparison covers. The comparison itself, with the
severity of each difference, is `schema_diff.diff`. Framework bookkeeping tables (SCHEMA.md §0:
django_*, auth_*, alembic_version) are never compared.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from . import catalog
from .connect import DataInputError, open_engine
from .model import (
    DEFAULT_IGNORED_TABLES,
    KINDS,
    SEVERITIES,
    Check,
    Column,
    ForeignKey,
    Index,
    SchemaDifference,
    SchemaSnapshot,
    Table,
    Unique,
)
from .schema_diff import diff
from .sqltext import canonical_default, canonical_sql, sequence_of_default
from .types import parse_type

__all__ = ["DEFAULT_IGNORED_TABLES", "KINDS", "SEVERITIES", "SchemaDifference", "SchemaSnapshot", "check_selection",
           "diff", "reflect", "reflect_engine"]


# -- reflection -----------------------------------------------------------------------------------------

def reflect(url: str, *, tables: Iterable[str] | None = None) -> SchemaSnapshot:
    """The canonical schema of the database at `url` (PostgreSQL: its current schema; SQLite: main).

    `tables` limits the snapshot to those tables (fnmatch patterns allowed). Raises DataInputError for a
    bad URL or a missing SQLite file, DatabaseUnreachable when the server does not answer."""
    engine = open_engine(url)
    try:
        return reflect_engine(engine, tables=tables)
    finally:
        engine.dispose()


def reflect_engine(engine: sa.Engine, *, tables: Iterable[str] | None = None) -> SchemaSnapshot:
    dialect = engine.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise DataInputError(f"unsupported database engine {dialect!r}: PostgreSQL and SQLite are supported")
    patterns = list(tables) if tables is not None else None
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        every = inspector.get_table_names()
        names = [t for t in every if patterns is None or any(fnmatch.fnmatchcase(t, p) for p in patterns)]
        version = ".".join(map(str, engine.dialect.server_version_info or ()))
        snapshot = SchemaSnapshot(dialect, engine.url.render_as_string(hide_password=True), version,
                                  available=tuple(sorted(every)))
        reflector = _reflect_postgresql if dialect == "postgresql" else _reflect_sqlite
        reflector(conn, inspector, names, snapshot)
    return snapshot


def check_selection(snapshots: Iterable[SchemaSnapshot], *, tables: Iterable[str] | None = None,
                    ignore_tables: Iterable[str] = (), framework_ignored: bool = True,
                    option: str = "--tables") -> list[str]:
    """The tables a comparison will cover, or DataInputError (exit 2) when a filter selects nothing: every
    pattern of `tables` and of `ignore_tables` must match a table of one of the databases, and at least one
    table must be left to compare. A filter that selects nothing would otherwise compare nothing and pass."""
    snapshots = list(snapshots)
    existing = sorted(set().union(*(s.available for s in snapshots)))
    for what, patterns in ((option, tables or ()), ("--ignore-table", ignore_tables)):
        _check_patterns(what, patterns, existing)
    ignored = (*(DEFAULT_IGNORED_TABLES if framework_ignored else ()), *ignore_tables)
    selected = sorted({t for s in snapshots for t in s.tables if not any(fnmatch.fnmatchcase(t, p) for p in ignored)})
    if selected:
        return selected
    if tables:
        raise DataInputError(f"{option} {','.join(tables)!r} selects no table that is compared (framework "
                             f"tables {', '.join(DEFAULT_IGNORED_TABLES)} and --ignore-table ones are left out)")
    raise DataInputError(f"no table to compare: the databases have {_names(existing)}")


def _check_patterns(what: str, patterns: Iterable[str], existing: list[str]) -> None:
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(t, pattern) for t in existing):
            raise DataInputError(f"{what} {pattern!r} matches no table; the databases have: {_names(existing)}")


def _names(names: list[str], most: int = 30) -> str:
    if not names:
        return "no tables at all"
    shown = ", ".join(names[:most])
    return shown + (f", ... ({len(names) - most} more)" if len(names) > most else "")


def _multi(getter, names: list[str]) -> dict[str, Any]:
    """{table: value} from one of the inspector's get_multi_* calls (one query for all tables)."""
    return {key[1]: value for key, value in getter(filter_names=names).items()} if names else {}


def _common(inspector, names: list[str]) -> dict[str, dict[str, Any]]:
    return {"columns": _multi(inspector.get_multi_columns, names),
            "pk": _multi(inspector.get_multi_pk_constraint, names),
            "uniques": _multi(inspector.get_multi_unique_constraints, names),
            "checks": _multi(inspector.get_multi_check_constraints, names)}


def _reflect_postgresql(conn, inspector, names: list[str], snapshot: SchemaSnapshot) -> None:
    found = _common(inspector, names)
    fks = _multi(inspector.get_multi_foreign_keys, names)
    exact_columns = catalog.pg_columns(conn)
    indexes = catalog.pg_indexes(conn)
    actions = catalog.pg_fk_actions(conn)
    sequences = catalog.pg_sequences(conn)
    owned = {s.name: s.owned_by for s in sequences if s.owned_by}
    for name in names:
        table = Table(name)
        exact = exact_columns.get(name, {})
        for col in found["columns"].get(name, []):
            table.columns[col["name"]] = _pg_column(name, col, exact.get(col["name"], {}), owned)
        table.primary_key = tuple(found["pk"].get(name, {}).get("constrained_columns") or ())
        for fk in fks.get(name, []):
            delete_rule, update_rule = actions.get((name, fk["name"]), ("NO ACTION", "NO ACTION"))
            table.foreign_keys.append(ForeignKey(fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                                                 tuple(fk["referred_columns"]), delete_rule, update_rule))
        _constraints(table, found, name)
        _fold_indexes(table, indexes.get(name, []))
        snapshot.tables[name] = table
    snapshot.sequences = {s.name: s for s in sequences}


def _pg_column(table: str, col: dict[str, Any], info: dict[str, Any], owned: dict[str, str]) -> Column:
    """One column from the inspector's view and the catalog's exact one (`info`); `owned`: sequence -> the
    "table.column" that owns it."""
    ctype = parse_type(info.get("type") or str(col["type"]))
    raw_default, identity = info.get("default"), info.get("identity")
    serial_of = sequence_of_default(raw_default)
    if serial_of and owned.get(serial_of) == f"{table}.{col['name']}":
        raw_default, identity = None, "serial"  # a serial column: its default is its sequence
    return Column(col["name"], str(ctype), bool(col["nullable"]), canonical_default(raw_default, ctype.family),
                  identity)


def _reflect_sqlite(conn, inspector, names: list[str], snapshot: SchemaSnapshot) -> None:
    found = _common(inspector, names)
    for name in names:
        table = Table(name)
        declared = catalog.sqlite_columns(conn, name)
        for col in found["columns"].get(name, []):
            table.columns[col["name"]] = _sqlite_column(col, declared.get(col["name"], {}))
        table.primary_key = tuple(found["pk"].get(name, {}).get("constrained_columns") or ())
        for fk in catalog.sqlite_foreign_keys(conn, name):
            if not fk.target_columns:  # REFERENCES t: the target's primary key
                target_pk = inspector.get_pk_constraint(fk.target_table).get("constrained_columns") or ()
                fk = ForeignKey(fk.name, fk.columns, fk.target_table, tuple(target_pk), fk.on_delete, fk.on_update)
            table.foreign_keys.append(fk)
        _constraints(table, found, name)
        _fold_indexes(table, catalog.sqlite_indexes(conn, name))
        snapshot.tables[name] = table


def _sqlite_column(col: dict[str, Any], info: dict[str, Any]) -> Column:
    """One column from the inspector's view and its declared type and identity (`info`). A primary key
    column counts as NOT NULL (SQLite reports it nullable unless it is declared NOT NULL)."""
    ctype = parse_type(info.get("type") or str(col["type"]))
    return Column(col["name"], str(ctype), bool(col["nullable"]) and not col.get("primary_key"),
                  canonical_default(col.get("default"), ctype.family), info.get("identity"))


def _constraints(table: Table, found: dict, name: str) -> None:
    table.uniques = [Unique(u.get("name"), tuple(u["column_names"])) for u in found["uniques"].get(name, [])]
    table.checks = [Check(c.get("name"), canonical_sql(c["sqltext"]) or "") for c in found["checks"].get(name, [])]


def _fold_indexes(table: Table, indexes: list[Index]) -> None:
    """A plain UNIQUE INDEX on columns is the same guarantee as a UNIQUE constraint: count it there."""
    plain_columns = set(table.columns)
    for index in indexes:
        if index.unique and index.predicate is None and index.method == "btree" and not index.include \
                and all(k in plain_columns for k in index.columns):
            table.uniques.append(Unique(index.name, index.columns, via_index=True))
        else:
            table.indexes.append(index)
