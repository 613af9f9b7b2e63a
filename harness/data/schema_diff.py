"""Two canonical schemas compared by definition, each difference with a severity.

    for difference in diff(legacy_snapshot, candidate_snapshot):
        print(difference.severity, difference.table, difference.name, difference.message)

Tables and columns are matched by name (they are the API of the data); constraints and indexes by what
they do (`definition` in `model`). A table present on both sides goes through `TABLE_CHECKS`, each of
its columns through `COLUMN_CHECKS`: small functions, each returning the differences it finds.

Severities:
  breaking: the legacy app's reads or writes can fail or change meaning (missing table/column,
            narrowed type, NOT NULL added, default changed or dropped, FK action changed, unique lost);
  risky:    behaviour or performance may change (missing index or check, widened type, extra table);
  cosmetic: no effect on the legacy app (an extra plain index, Django's LIKE `_like` index, ...).
"""
from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .model import (
    DEFAULT_IGNORED_TABLES,
    KINDS,
    SEVERITIES,
    Column,
    ForeignKey,
    Index,
    SchemaDifference,
    SchemaSnapshot,
    Sequence,
    Table,
)
from .types import compare_types, parse_type

Differences = list[SchemaDifference]


def diff(legacy: SchemaSnapshot, candidate: SchemaSnapshot, *, ignore_tables: Iterable[str] = ()) -> Differences:
    """Every way `candidate` differs from `legacy`, breaking first, then by table and kind.

    `ignore_tables` are fnmatch patterns added to DEFAULT_IGNORED_TABLES."""
    patterns = (*DEFAULT_IGNORED_TABLES, *ignore_tables)

    def ignored(table: str) -> bool:
        return any(fnmatch.fnmatchcase(table, p) for p in patterns)

    same_engine = legacy.dialect == candidate.dialect
    out: Differences = []
    for name in sorted(set(legacy.tables) | set(candidate.tables)):
        if not ignored(name):
            out += _diff_table(name, legacy.tables.get(name), candidate.tables.get(name), same_engine)
    if same_engine:
        out += _diff_sequences(legacy, candidate, ignored)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda d: (rank[d.severity], d.table, KINDS.index(d.kind), d.name))
    return out


def _diff_table(name: str, old: Table | None, new: Table | None, same_engine: bool) -> Differences:
    if new is None:
        return [SchemaDifference("table_missing", name, "", "breaking", f"table {name} is missing from the candidate",
                                 f"{len(old.columns)} columns")]
    if old is None:
        return [SchemaDifference("table_extra", name, "", "risky", f"table {name} exists only in the candidate "
                                 f"(drift)", None, f"{len(new.columns)} columns")]
    return [d for check in TABLE_CHECKS for d in check(old, new, same_engine)]


# -- a table present on both sides -----------------------------------------------------------------------

def _columns(old: Table, new: Table, same_engine: bool) -> Differences:
    """Each legacy column: missing from the candidate, or through COLUMN_CHECKS."""
    out: Differences = []
    for name, col in old.columns.items():
        other = new.columns.get(name)
        if other is None:
            out.append(SchemaDifference("column_missing", old.name, name, "breaking",
                                        f"{old.name}.{name} is missing from the candidate", col.describe(), None))
        else:
            out += [d for check in COLUMN_CHECKS if (d := check(old.name, col, other, same_engine)) is not None]
    return out


def _extra_columns(old: Table, new: Table, same_engine: bool) -> Differences:
    """A column only the candidate has breaks legacy inserts when it needs a value they do not give."""
    out: Differences = []
    for name, col in new.columns.items():
        if name in old.columns:
            continue
        required = not col.nullable and col.default is None and col.identity is None
        why = " and is NOT NULL without a default: legacy inserts fail" if required else ""
        out.append(SchemaDifference("column_extra", old.name, name, "breaking" if required else "risky",
                                    f"{old.name}.{name} exists only in the candidate{why}", None, col.describe()))
    return out


def _primary_key(old: Table, new: Table, same_engine: bool) -> Differences:
    if old.primary_key == new.primary_key:
        return []
    before, after = ", ".join(old.primary_key), ", ".join(new.primary_key)
    return [SchemaDifference("primary_key", old.name, "", "breaking", f"{old.name}: primary key ({before}) became "
                             f"({after})", before or None, after or None)]


def _foreign_keys(old: Table, new: Table, same_engine: bool) -> Differences:
    """Foreign keys matched by (columns, target table, target columns); then their ON DELETE / ON UPDATE."""
    t = old.name
    by_definition = {fk.definition: fk for fk in new.foreign_keys}
    out: Differences = []
    for fk in old.foreign_keys:
        other = by_definition.get(fk.definition)
        if other is None:
            out.append(SchemaDifference("foreign_key_missing", t, _fk_label(fk), "breaking",
                                        f"{t}: foreign key {fk.describe()} is missing from the candidate",
                                        fk.describe(), None))
        else:
            out += _fk_actions(t, fk, other)
    matched = {fk.definition for fk in old.foreign_keys}
    out += [SchemaDifference("foreign_key_extra", t, _fk_label(fk), "risky",
                             f"{t}: foreign key {fk.describe()} exists only in the candidate", None, fk.describe())
            for fk in new.foreign_keys if fk.definition not in matched]
    return out


def _fk_label(fk: ForeignKey, other: ForeignKey | None = None) -> str:
    return fk.name or other and other.name or f"fk({', '.join(fk.columns)})"


def _fk_actions(t: str, fk: ForeignKey, other: ForeignKey) -> Differences:
    """NO ACTION and RESTRICT differ in timing only; an ON UPDATE rarely fires (keys seldom change)."""
    out: Differences = []
    for action, before, after in (("ON DELETE", fk.on_delete, other.on_delete),
                                  ("ON UPDATE", fk.on_update, other.on_update)):
        if before == after:
            continue
        similar = {before, after} <= {"NO ACTION", "RESTRICT"}
        out.append(SchemaDifference("foreign_key_action", t, _fk_label(fk, other),
                                    "risky" if similar or action == "ON UPDATE" else "breaking",
                                    f"{t}({', '.join(fk.columns)}) -> {fk.target_table}: {action} {before} "
                                    f"became {after}", fk.describe(), other.describe()))
    return out


def _uniques(old: Table, new: Table, same_engine: bool) -> Differences:
    missing, extra = unmatched(old.uniques, new.uniques)
    return _by_definition(old.name, "unique", missing, extra, missing_severity="breaking")


def _checks(old: Table, new: Table, same_engine: bool) -> Differences:
    missing, extra = unmatched(old.checks, new.checks)
    return _by_definition(old.name, "check", missing, extra, missing_severity="risky")


def _by_definition(t: str, what: str, missing: list, extra: list, *, missing_severity: str) -> Differences:
    """Constraints on one side only (an extra one is risky: legacy writes may break it)."""
    return [*(SchemaDifference(f"{what}_missing", t, item.name or item.describe(), missing_severity,
                               f"{t}: {item.describe()} is missing from the candidate", item.describe(), None)
              for item in missing),
            *(SchemaDifference(f"{what}_extra", t, item.name or item.describe(), "risky",
                               f"{t}: {item.describe()} exists only in the candidate", None, item.describe())
              for item in extra)]


def _indexes(old: Table, new: Table, same_engine: bool) -> Differences:
    """A missing index costs speed (or, unique, a guarantee); an extra one rarely matters."""
    t = old.name
    missing, extra = unmatched(old.indexes, new.indexes)
    out: Differences = []
    for index in missing:
        near = [n.describe() for n in new.indexes if set(_bare(n.columns)) == set(_bare(index.columns))]
        hint = f" (the candidate has {'; '.join(near)} on those columns)" if near else ""
        out.append(SchemaDifference("index_missing", t, index.name or index.describe(),
                                    "breaking" if index.unique else "risky",
                                    f"{t}: {index.describe()} is missing from the candidate{hint}",
                                    index.describe(), "; ".join(near) or None))
    for index in extra:
        severity, why = _extra_index(index)
        out.append(SchemaDifference("index_extra", t, index.name or index.describe(), severity,
                                    f"{t}: {index.describe()} exists only in the candidate{why}",
                                    None, index.describe()))
    return out


def _extra_index(index: Index) -> tuple[str, str]:
    """(severity, why) of an index only the candidate has."""
    if index.pattern_ops:
        return "cosmetic", " (Django's LIKE pattern-ops `_like` index)"
    if index.unique:
        return "risky", " (a new uniqueness rule: legacy writes may fail)"
    return "cosmetic", ""


def unmatched(old: list, new: list) -> tuple[list, list]:
    """(the items of `old` with no item of the same definition left in `new`, and the other way round),
    each in its list's order: two identical definitions on one side need two on the other."""
    left, right = Counter(x.definition for x in old), Counter(x.definition for x in new)
    return _take(old, right), _take(new, left)


def _take(items: list, available: Counter) -> list:
    out = []
    for item in items:
        if available[item.definition] > 0:
            available[item.definition] -= 1
        else:
            out.append(item)
    return out


def _bare(keys: tuple[str, ...]) -> list[str]:
    return [k.split(" ")[0] for k in keys]


#: What is compared on a table both sides have, in this order.
TABLE_CHECKS: tuple[Callable[[Table, Table, bool], Differences], ...] = (
    _columns, _extra_columns, _primary_key, _foreign_keys, _uniques, _checks, _indexes)


# -- a column present on both sides ----------------------------------------------------------------------

def _column_difference(kind: str, t: str, col: Column, severity: str, message: str, legacy: Any,
                       candidate: Any) -> SchemaDifference:
    return SchemaDifference(kind, t, col.name, severity, message, None if legacy is None else str(legacy),
                            None if candidate is None else str(candidate))


def _column_type(t: str, old: Column, new: Column, same_engine: bool) -> SchemaDifference | None:
    change = compare_types(parse_type(old.type), parse_type(new.type), same_engine=same_engine)
    if change is None:
        return None
    return _column_difference("column_type", t, old, "risky" if change.direction == "widened" else "breaking",
                              f"{t}.{old.name}: {change.reason}", old.type, new.type)


def _column_nullable(t: str, old: Column, new: Column, same_engine: bool) -> SchemaDifference | None:
    name = f"{t}.{old.name}"
    if old.nullable == new.nullable:
        return None
    if new.nullable:
        return _column_difference("column_nullable", t, old, "risky",
                                  f"{name} became nullable (legacy never stores NULL there)", "NOT NULL", "NULL")
    return _column_difference("column_nullable", t, old, "breaking",
                              f"{name} became NOT NULL: legacy writes of NULL fail", "NULL", "NOT NULL")


def _column_default(t: str, old: Column, new: Column, same_engine: bool) -> SchemaDifference | None:
    name = f"{t}.{old.name}"
    if old.default == new.default:
        return None
    if new.default is None:
        severity = "breaking" if not new.nullable else "risky"
        message = f"{name} lost its default {old.default}" + (
            ": inserts that omit it fail" if not new.nullable else ": inserts that omit it store NULL")
    elif old.default is None:
        severity, message = "risky", f"{name} gained the default {new.default}"
    else:
        severity, message = "breaking", f"{name}: default {old.default} became {new.default}"
    return _column_difference("column_default", t, old, severity, message, old.default, new.default)


def _column_identity(t: str, old: Column, new: Column, same_engine: bool) -> SchemaDifference | None:
    """Generated values (identity, serial, rowid) compare within one engine only."""
    name = f"{t}.{old.name}"
    if old.identity == new.identity or not same_engine:
        return None
    if new.identity is None:
        severity, message = "breaking", f"{name} is no longer generated ({old.identity}): inserts without it fail"
    elif old.identity is None:
        severity, message = "risky", f"{name} became generated ({new.identity})"
    elif {old.identity, new.identity} <= {"serial", "by default"}:
        severity, message = "cosmetic", f"{name}: {old.identity} became {new.identity} (both accept explicit values)"
    else:
        severity, message = "risky", f"{name}: generated {old.identity} became {new.identity}"
    return _column_difference("column_identity", t, old, severity, message, old.identity, new.identity)


#: What is compared on a column both sides have, in this order.
COLUMN_CHECKS: tuple[Callable[[str, Column, Column, bool], SchemaDifference | None], ...] = (
    _column_type, _column_nullable, _column_default, _column_identity)


# -- sequences -------------------------------------------------------------------------------------------

def _diff_sequences(legacy: SchemaSnapshot, candidate: SchemaSnapshot, ignored: Callable[[str], bool]) -> Differences:
    """Standalone sequences by name; those owned by a column are compared through its identity."""
    def standalone(snapshot: SchemaSnapshot) -> dict[str, Sequence]:
        return {n: s for n, s in snapshot.sequences.items() if not s.owned_by and not ignored(n)}

    old, new = standalone(legacy), standalone(candidate)
    out: Differences = []
    for name, seq in old.items():
        other = new.get(name)
        if other is None:
            out.append(SchemaDifference("sequence_missing", "", name, "risky",
                                        f"sequence {name} is missing from the candidate", seq.describe(), None))
        elif (seq.data_type, seq.increment) != (other.data_type, other.increment):
            out.append(SchemaDifference("sequence_changed", "", name, "risky",
                                        f"sequence {name}: {seq.describe()} became {other.describe()}",
                                        seq.describe(), other.describe()))
    out += [SchemaDifference("sequence_extra", "", name, "cosmetic", f"sequence {name} exists only in the candidate",
                             None, seq.describe()) for name, seq in new.items() if name not in old]
    return out
