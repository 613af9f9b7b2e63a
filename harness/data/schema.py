"""`harness data schema`: reflect two databases and compare their schemas by definition, not by name.

    legacy = reflect("postgresql://.../legacy")
    candidate = reflect("postgresql://.../candidate")
    for difference in diff(legacy, candidate):
        print(difference.severity, difference.table, difference.name, difference.message)

Tables and columns are matched by name (they are the API of the data); constraints and indexes by what
they do: a foreign key by (columns, target table, target columns), a unique constraint by its column
set (a UNIQUE INDEX counts the same), a check by its canonical expression, an index by (keys with
order and operator class, uniqueness, predicate, method). Types, defaults and expressions are compared
in canonical form (see `types`, `sqltext`), so PostgreSQL and SQLite spellings of one definition agree.

Every difference carries a severity:
  breaking: the legacy app's reads or writes can fail or change meaning (missing table/column,
            narrowed type, NOT NULL added, default changed or dropped, FK action changed, unique lost);
  risky:    behaviour or performance may change (missing index or check, widened type, extra table);
  cosmetic: no effect on the legacy app (an extra plain index, Django's LIKE `_like` index, ...).
Framework bookkeeping tables (SCHEMA.md §0: django_*, auth_*, alembic_version) are never compared.
"""
from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from . import catalog
from .connect import DataInputError, open_engine
from .model import (
    KINDS,
    SEVERITIES,
    Check,
    Column,
    ForeignKey,
    Index,
    SchemaDifference,
    SchemaSnapshot,
    Sequence,
    Table,
    Unique,
)
from .sqltext import canonical_default, canonical_sql, sequence_of_default
from .types import compare_types, parse_type

__all__ = ["DEFAULT_IGNORED_TABLES", "KINDS", "SEVERITIES", "SchemaDifference", "SchemaSnapshot", "check_selection",
           "diff", "reflect", "reflect_engine"]

#: SCHEMA.md §0 "Framework tables": bookkeeping, never compared.
DEFAULT_IGNORED_TABLES = ("django_*", "auth_*", "alembic_version")



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
    framework = DEFAULT_IGNORED_TABLES if framework_ignored else ()

    def matching(pattern: str) -> list[str]:
        return [t for t in existing if fnmatch.fnmatchcase(t, pattern)]

    for what, patterns in ((option, tables or ()), ("--ignore-table", ignore_tables)):
        for pattern in patterns:
            if not matching(pattern):
                raise DataInputError(f"{what} {pattern!r} matches no table; the databases have: {_names(existing)}")
    ignored = (*framework, *ignore_tables)
    selected = sorted({t for s in snapshots for t in s.tables if not any(fnmatch.fnmatchcase(t, p) for p in ignored)})
    if not selected:
        if tables:
            raise DataInputError(f"{option} {','.join(tables)!r} selects no table that is compared (framework "
                                 f"tables {', '.join(DEFAULT_IGNORED_TABLES)} and --ignore-table ones are left out)")
        raise DataInputError(f"no table to compare: the databases have {_names(existing)}")
    return selected


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
            info = exact.get(col["name"], {})
            ctype = parse_type(info.get("type") or str(col["type"]))
            raw_default, identity = info.get("default"), info.get("identity")
            serial_of = sequence_of_default(raw_default)
            if serial_of and owned.get(serial_of) == f"{name}.{col['name']}":
                raw_default, identity = None, "serial"  # a serial column: its default is its sequence
            table.columns[col["name"]] = Column(col["name"], str(ctype), bool(col["nullable"]),
                                                canonical_default(raw_default, ctype.family), identity)
        table.primary_key = tuple(found["pk"].get(name, {}).get("constrained_columns") or ())
        for fk in fks.get(name, []):
            delete_rule, update_rule = actions.get((name, fk["name"]), ("NO ACTION", "NO ACTION"))
            table.foreign_keys.append(ForeignKey(fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                                                 tuple(fk["referred_columns"]), delete_rule, update_rule))
        _constraints(table, found, name)
        _fold_indexes(table, indexes.get(name, []))
        snapshot.tables[name] = table
    snapshot.sequences = {s.name: s for s in sequences}


def _reflect_sqlite(conn, inspector, names: list[str], snapshot: SchemaSnapshot) -> None:
    found = _common(inspector, names)
    for name in names:
        table = Table(name)
        declared = catalog.sqlite_columns(conn, name)
        for col in found["columns"].get(name, []):
            info = declared.get(col["name"], {})
            ctype = parse_type(info.get("type") or str(col["type"]))
            table.columns[col["name"]] = Column(col["name"], str(ctype), bool(col["nullable"]) and not col.get("primary_key"),
                                                canonical_default(col.get("default"), ctype.family),
                                                info.get("identity"))
        table.primary_key = tuple(found["pk"].get(name, {}).get("constrained_columns") or ())
        for fk in catalog.sqlite_foreign_keys(conn, name):
            if not fk.target_columns:  # REFERENCES t: the target's primary key
                target_pk = inspector.get_pk_constraint(fk.target_table).get("constrained_columns") or ()
                fk = ForeignKey(fk.name, fk.columns, fk.target_table, tuple(target_pk), fk.on_delete, fk.on_update)
            table.foreign_keys.append(fk)
        _constraints(table, found, name)
        _fold_indexes(table, catalog.sqlite_indexes(conn, name))
        snapshot.tables[name] = table


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


# -- comparison -----------------------------------------------------------------------------------------

def diff(legacy: SchemaSnapshot, candidate: SchemaSnapshot, *, ignore_tables: Iterable[str] = ()) -> list[SchemaDifference]:
    """Every way `candidate` differs from `legacy`, breaking first, then by table and kind.

    `ignore_tables` are fnmatch patterns added to DEFAULT_IGNORED_TABLES."""
    patterns = (*DEFAULT_IGNORED_TABLES, *ignore_tables)

    def ignored(table: str) -> bool:
        return any(fnmatch.fnmatchcase(table, p) for p in patterns)

    same_engine = legacy.dialect == candidate.dialect
    out: list[SchemaDifference] = []
    for name in sorted(set(legacy.tables) | set(candidate.tables)):
        if ignored(name):
            continue
        old, new = legacy.tables.get(name), candidate.tables.get(name)
        if new is None:
            out.append(SchemaDifference("table_missing", name, "", "breaking",
                                        f"table {name} is missing from the candidate", f"{len(old.columns)} columns"))
        elif old is None:
            out.append(SchemaDifference("table_extra", name, "", "risky",
                                        f"table {name} exists only in the candidate (drift)", None,
                                        f"{len(new.columns)} columns"))
        else:
            out.extend(_diff_table(old, new, same_engine))
    if same_engine:
        out.extend(_diff_sequences(legacy, candidate, ignored))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda d: (rank[d.severity], d.table, KINDS.index(d.kind), d.name))
    return out


def _diff_table(old: Table, new: Table, same_engine: bool) -> list[SchemaDifference]:
    out: list[SchemaDifference] = []
    t = old.name

    def add(kind: str, name: str, severity: str, message: str, legacy: str | None, candidate: str | None) -> None:
        out.append(SchemaDifference(kind, t, name, severity, message, legacy, candidate))

    for name, col in old.columns.items():
        other = new.columns.get(name)
        if other is None:
            add("column_missing", name, "breaking", f"{t}.{name} is missing from the candidate", col.describe(), None)
        else:
            out.extend(_diff_column(t, col, other, same_engine))
    for name, col in new.columns.items():
        if name not in old.columns:
            required = not col.nullable and col.default is None and col.identity is None
            add("column_extra", name, "breaking" if required else "risky",
                f"{t}.{name} exists only in the candidate" +
                (" and is NOT NULL without a default: legacy inserts fail" if required else ""), None, col.describe())
    if old.primary_key != new.primary_key:
        add("primary_key", "", "breaking", f"{t}: primary key ({', '.join(old.primary_key)}) became "
            f"({', '.join(new.primary_key)})", ", ".join(old.primary_key) or None, ", ".join(new.primary_key) or None)
    out.extend(_diff_foreign_keys(t, old.foreign_keys, new.foreign_keys))
    out.extend(_diff_by_definition(t, "unique", old.uniques, new.uniques, missing="breaking", extra="risky"))
    out.extend(_diff_by_definition(t, "check", old.checks, new.checks, missing="risky", extra="risky"))
    out.extend(_diff_indexes(t, old.indexes, new.indexes))
    return out


def _diff_column(t: str, old: Column, new: Column, same_engine: bool) -> list[SchemaDifference]:
    out = []
    name = f"{t}.{old.name}"

    def add(kind: str, severity: str, message: str, legacy: Any, candidate: Any) -> None:
        out.append(SchemaDifference(kind, t, old.name, severity, message,
                                    None if legacy is None else str(legacy), None if candidate is None else str(candidate)))

    change = compare_types(parse_type(old.type), parse_type(new.type), same_engine=same_engine)
    if change is not None:
        add("column_type", "risky" if change.direction == "widened" else "breaking", f"{name}: {change.reason}",
            old.type, new.type)
    if old.nullable != new.nullable:
        if new.nullable:
            add("column_nullable", "risky", f"{name} became nullable (legacy never stores NULL there)", "NOT NULL", "NULL")
        else:
            add("column_nullable", "breaking", f"{name} became NOT NULL: legacy writes of NULL fail", "NULL", "NOT NULL")
    if old.default != new.default:
        if new.default is None:
            severity = "breaking" if not new.nullable else "risky"
            message = f"{name} lost its default {old.default}" + (
                ": inserts that omit it fail" if not new.nullable else ": inserts that omit it store NULL")
        elif old.default is None:
            severity, message = "risky", f"{name} gained the default {new.default}"
        else:
            severity, message = "breaking", f"{name}: default {old.default} became {new.default}"
        add("column_default", severity, message, old.default, new.default)
    if old.identity != new.identity and same_engine:
        if new.identity is None:
            severity, message = "breaking", f"{name} is no longer generated ({old.identity}): inserts without it fail"
        elif old.identity is None:
            severity, message = "risky", f"{name} became generated ({new.identity})"
        elif {old.identity, new.identity} <= {"serial", "by default"}:
            severity, message = "cosmetic", f"{name}: {old.identity} became {new.identity} (both accept explicit values)"
        else:
            severity, message = "risky", f"{name}: generated {old.identity} became {new.identity}"
        add("column_identity", severity, message, old.identity, new.identity)
    return out


def _diff_foreign_keys(t: str, old: list[ForeignKey], new: list[ForeignKey]) -> list[SchemaDifference]:
    out = []
    by_definition = {fk.definition: fk for fk in new}
    seen = set()
    for fk in old:
        other = by_definition.get(fk.definition)
        label = fk.name or other and other.name or f"fk({', '.join(fk.columns)})"
        if other is None:
            out.append(SchemaDifference("foreign_key_missing", t, label, "breaking",
                                        f"{t}: foreign key {fk.describe()} is missing from the candidate",
                                        fk.describe(), None))
            continue
        seen.add(fk.definition)
        for action, before, after in (("ON DELETE", fk.on_delete, other.on_delete),
                                      ("ON UPDATE", fk.on_update, other.on_update)):
            if before != after:
                similar = {before, after} <= {"NO ACTION", "RESTRICT"}
                severity = "risky" if similar or action == "ON UPDATE" else "breaking"
                out.append(SchemaDifference("foreign_key_action", t, label, severity,
                                            f"{t}({', '.join(fk.columns)}) -> {fk.target_table}: {action} {before} "
                                            f"became {after}", fk.describe(), other.describe()))
    for fk in new:
        if fk.definition not in seen:
            out.append(SchemaDifference("foreign_key_extra", t, fk.name or f"fk({', '.join(fk.columns)})", "risky",
                                        f"{t}: foreign key {fk.describe()} exists only in the candidate",
                                        None, fk.describe()))
    return out


def _diff_by_definition(t: str, what: str, old: list, new: list, *, missing: str, extra: str) -> list[SchemaDifference]:
    out = []
    left, right = Counter(x.definition for x in old), Counter(x.definition for x in new)
    for item in old:
        if right[item.definition] > 0:
            right[item.definition] -= 1
            continue
        out.append(SchemaDifference(f"{what}_missing", t, item.name or item.describe(), missing,
                                    f"{t}: {item.describe()} is missing from the candidate", item.describe(), None))
    for item in new:
        if left[item.definition] > 0:
            left[item.definition] -= 1
            continue
        out.append(SchemaDifference(f"{what}_extra", t, item.name or item.describe(), extra,
                                    f"{t}: {item.describe()} exists only in the candidate", None, item.describe()))
    return out


def _diff_indexes(t: str, old: list[Index], new: list[Index]) -> list[SchemaDifference]:
    out = []
    left, right = Counter(x.definition for x in old), Counter(x.definition for x in new)
    for index in old:
        if right[index.definition] > 0:
            right[index.definition] -= 1
            continue
        near = [n.describe() for n in new if set(_bare(n.columns)) == set(_bare(index.columns))]
        hint = f" (the candidate has {'; '.join(near)} on those columns)" if near else ""
        out.append(SchemaDifference("index_missing", t, index.name or index.describe(),
                                    "breaking" if index.unique else "risky",
                                    f"{t}: {index.describe()} is missing from the candidate{hint}",
                                    index.describe(), "; ".join(near) or None))
    for index in new:
        if left[index.definition] > 0:
            left[index.definition] -= 1
            continue
        if index.pattern_ops:
            severity, why = "cosmetic", " (Django's LIKE pattern-ops `_like` index)"
        elif index.unique:
            severity, why = "risky", " (a new uniqueness rule: legacy writes may fail)"
        else:
            severity, why = "cosmetic", ""
        out.append(SchemaDifference("index_extra", t, index.name or index.describe(), severity,
                                    f"{t}: {index.describe()} exists only in the candidate{why}",
                                    None, index.describe()))
    return out


def _bare(keys: tuple[str, ...]) -> list[str]:
    return [k.split(" ")[0] for k in keys]


def _diff_sequences(legacy: SchemaSnapshot, candidate: SchemaSnapshot, ignored) -> list[SchemaDifference]:
    """Standalone sequences by name; those owned by a column are compared through its identity."""
    out = []

    def standalone(snapshot: SchemaSnapshot) -> dict[str, Sequence]:
        return {n: s for n, s in snapshot.sequences.items()
                if not s.owned_by and not ignored(n)}

    old, new = standalone(legacy), standalone(candidate)
    for name, seq in old.items():
        other = new.get(name)
        if other is None:
            out.append(SchemaDifference("sequence_missing", "", name, "risky",
                                        f"sequence {name} is missing from the candidate", seq.describe(), None))
        elif (seq.data_type, seq.increment) != (other.data_type, other.increment):
            out.append(SchemaDifference("sequence_changed", "", name, "risky",
                                        f"sequence {name}: {seq.describe()} became {other.describe()}",
                                        seq.describe(), other.describe()))
    for name, seq in new.items():
        if name not in old:
            out.append(SchemaDifference("sequence_extra", "", name, "cosmetic",
                                        f"sequence {name} exists only in the candidate", None, seq.describe()))
    return out
