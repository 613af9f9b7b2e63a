"""What a row comparison covers, and how: its options, checked against the compared tables, and per table a
plan (key, compared and skipped columns, a normaliser per column) made into the two `sides.TableSide`s
that run it.

    check_options(options, names, legacy_schema, candidate_schema)     # DataInputError for a rule or key
    plan = plan_table("courses", legacy_table, candidate_table, options)
    legacy, candidate = open_sides(plan, legacy_engine, candidate_engine, in_sql=True)

A table is compared by the key `options.keys` names for it, else its primary key. Every other column
both sides have is compared unless a rule ignores it; a column one side lacks is skipped, with the reason.
A column's rule is the one named for exactly it, else the first fnmatch pattern that matches
"table.column"; a uuid column on either side compares as a UUID. Both sides must order key values alike
for their segments to hold the same rows: text keys are compared with COLLATE "C" on PostgreSQL unless
both sides already order them alike (`key_order`).
"""
from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa

from .connect import DataInputError
from .model import SchemaSnapshot, Table
from .normalise import ColumnRule, Normaliser
from .row_results import ColumnStats, TableRows
from .sides import PythonChecksums, SqlChecksums, TableSide, pg_collation_bytewise, pg_collations
from .types import CanonicalType, parse_type

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class RowsOptions:
    workers: int = 2  # concurrent queries per side
    bisection_factor: int = 16
    leaf_rows: int = 2048  # segments this small are resolved row by row
    max_seconds: float | None = None
    max_differences: int | None = 1000
    samples: int = 5  # per column, and per kind of row difference in messages
    rules: Mapping[str, ColumnRule] = field(default_factory=dict)  # "table.column" fnmatch pattern -> rule
    keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # table -> key columns (else its PK)
    checksum: str = "auto"  # auto (SQL when both sides are PostgreSQL) | sql | python
    progress: Progress | None = None

    def rule_for(self, table: str, column: str) -> ColumnRule:
        """The rule named for exactly this column, else the first pattern that matches it."""
        exact = self.rules.get(f"{table}.{column}")
        if exact is not None:
            return exact
        for pattern, rule in self.rules.items():
            if fnmatch.fnmatchcase(f"{table}.{column}", pattern):
                return rule
        return ColumnRule()


# -- the options checked against the compared tables ---------------------------------------------------------

#: The command-line option behind each part of a rule, and whether a rule uses it.
RULE_OPTIONS: tuple[tuple[str, Callable[[ColumnRule], bool]], ...] = (
    ("--tolerance", lambda rule: rule.tolerance is not None),
    ("--precision", lambda rule: rule.precision != "us"),
    ("--uuid-column", lambda rule: rule.uuid),
    ("--ignore-column", lambda rule: rule.ignore),
)
#: Parts of a rule that apply to some type families only: (option, families, what to say otherwise).
RULE_SCOPES = (
    ("--tolerance", {"integer", "numeric", "float", "timestamp"}, "a tolerance applies to numbers and timestamps"),
    ("--precision", {"timestamp"}, "a precision applies to timestamps"),
)


def check_options(options: RowsOptions, names: list[str], legacy: SchemaSnapshot, candidate: SchemaSnapshot) -> None:
    """DataInputError (exit 2) for a key or a column rule that names nothing among the compared tables, or a
    rule that cannot apply to any column it names: silently ignored, it would let a difference pass."""
    for name, columns in options.keys.items():
        _check_key(name, columns, names, legacy, candidate)
    for pattern, rule in options.rules.items():
        _check_rule(pattern, rule, names, legacy, candidate)


def _check_key(name: str, columns: tuple[str, ...], names: list[str], *snapshots: SchemaSnapshot) -> None:
    given = f"--key {name}={','.join(columns)}"
    found = next((s.tables[name] for s in snapshots if name in s.tables), None) if name in names else None
    if found is None:
        raise DataInputError(f"{given}: no table {name!r} among the compared tables ({', '.join(names)})")
    absent = [c for c in columns if c not in found.columns]
    if absent:
        raise DataInputError(f"{given}: {name} has no column {', '.join(absent)}; "
                             f"its columns: {', '.join(found.columns)}")


def _check_rule(pattern: str, rule: ColumnRule, names: list[str], *snapshots: SchemaSnapshot) -> None:
    matched = _matching_columns(pattern, names, snapshots)
    used = [option for option, uses in RULE_OPTIONS if uses(rule)]
    if not matched:
        given = "/".join(used) or "a column rule"
        raise DataInputError(f"{given} {pattern}: matches no column of the compared tables ({', '.join(names)})")
    families = {parse_type(type_).family for _, type_ in matched}
    for option, scope, why in RULE_SCOPES:
        if option in used and not families & scope:
            raise DataInputError(f"{option} {pattern}: {why}; {matched[0][0]} is {matched[0][1]}")


def _matching_columns(pattern: str, names: list[str], snapshots: tuple[SchemaSnapshot, ...]) -> list[tuple[str, str]]:
    """("table.column", declared type) of every column of the compared tables the pattern matches, per side."""
    columns = [(f"{t}.{c}", column.type) for t in names for snapshot in snapshots if t in snapshot.tables
               for c, column in snapshot.tables[t].columns.items()]
    return [(name, type_) for name, type_ in columns if fnmatch.fnmatchcase(name, pattern)]


# -- one table's plan ----------------------------------------------------------------------------------------

@dataclass(slots=True)
class TablePlan:
    """How one table is compared: `normalisers` hold one per key and compared column."""

    table: str
    legacy: Table
    candidate: Table
    key: tuple[str, ...]
    compared: tuple[str, ...]
    skipped: dict[str, str]  # column -> why it is not compared
    normalisers: dict[str, Normaliser]

    def types(self, table: Table) -> dict[str, CanonicalType]:
        """The key and compared columns' types on the side `table` comes from."""
        return {c: parse_type(table.columns[c].type) for c in (*self.key, *self.compared)}

    @property
    def text_keys(self) -> list[str]:
        """Key columns whose order depends on a collation (text, or a type unknown to the harness)."""
        return [k for k in self.key if parse_type(self.legacy.columns[k].type).family in ("text", "other")]

    def fill(self, result: TableRows) -> None:
        """Name the key and the columns in `result`, with empty stats for every compared column."""
        result.key = self.key
        result.skipped_columns.update(self.skipped)
        result.compared_columns = self.compared
        for column in self.compared:
            result.columns[column] = ColumnStats(column, self.legacy.columns[column].type,
                                                 self.candidate.columns[column].type)


def plan_table(name: str, legacy: Table, candidate: Table, options: RowsOptions) -> TablePlan:
    """The plan for a table both sides have; DataInputError when it has no usable key."""
    key = _key(name, legacy, candidate, options)
    compared, skipped = _columns(name, legacy, candidate, key, options)
    normalisers = {column: _normaliser(legacy.columns[column].type, candidate.columns[column].type,
                                       ColumnRule() if column in key else options.rule_for(name, column))
                   for column in (*key, *compared)}
    return TablePlan(name, legacy, candidate, key, compared, skipped, normalisers)


def _key(name: str, legacy: Table, candidate: Table, options: RowsOptions) -> tuple[str, ...]:
    key = tuple(options.keys.get(name) or legacy.primary_key)
    if not key:
        raise DataInputError(f"table {name} has no primary key: name its key columns (--key {name}=col1,col2)")
    for side, table in (("legacy", legacy), ("candidate", candidate)):
        absent = [k for k in key if k not in table.columns]
        if absent:
            raise DataInputError(f"key column(s) {', '.join(absent)} of {name} missing on the {side} side")
    return key


def _columns(name: str, legacy: Table, candidate: Table, key: tuple[str, ...],
             options: RowsOptions) -> tuple[tuple[str, ...], dict[str, str]]:
    """(the compared columns in the legacy table's order, the skipped ones with the reason)."""
    compared, skipped = [], {}
    for column in legacy.columns:
        if column in key:
            continue
        if column not in candidate.columns:
            skipped[column] = "only in the legacy table"
        elif options.rule_for(name, column).ignore:
            skipped[column] = "ignored by a rule"
        else:
            compared.append(column)
    skipped.update({column: "only in the candidate table" for column in candidate.columns
                    if column not in legacy.columns})
    return tuple(compared), skipped


def _normaliser(legacy_type: str, candidate_type: str, rule: ColumnRule) -> Normaliser:
    """The legacy type's normaliser (the candidate's where the legacy type is unknown); a uuid on either
    side compares as a UUID."""
    old, new = parse_type(legacy_type), parse_type(candidate_type)
    if "uuid" in (old.family, new.family) and not rule.uuid:
        rule = dataclasses.replace(rule, uuid=True)
    return Normaliser(new if old.family == "other" else old, rule)


# -- the plan on two databases -------------------------------------------------------------------------------

def checksum_in_sql(options: RowsOptions, legacy: sa.Engine, candidate: sa.Engine) -> bool:
    """Whether segments are checksummed in SQL: both sides PostgreSQL 11 or later (its typed hash functions),
    unless the options ask for Python; DataInputError when they ask for SQL and it is not possible."""
    both_pg = legacy.dialect.name == candidate.dialect.name == "postgresql" and \
        min(e.dialect.server_version_info[0] for e in (legacy, candidate)) >= 11
    if options.checksum == "sql" and not both_pg:
        raise DataInputError("checksums in SQL need PostgreSQL (11 or later) on both sides")
    return both_pg and options.checksum != "python"


def key_order(plan: TablePlan, engines: tuple[sa.Engine, sa.Engine]) -> tuple[list[bool], bool]:
    """(per side: whether PostgreSQL already orders the text keys by code point; whether text keys are
    compared with COLLATE "C" on PostgreSQL).

    SQLite orders text by code point; PostgreSQL by the column's collation. Unless both sides are
    PostgreSQL with the same collation, or every PostgreSQL side already orders by code point (C,
    C.UTF-8, POSIX), text keys are compared with COLLATE "C" there."""
    text_keys = plan.text_keys
    if not text_keys:
        return [False, False], False
    pg = [e for e in engines if e.dialect.name == "postgresql"]
    bytewise = [e in pg and pg_collation_bytewise(e, plan.table, text_keys) for e in engines]
    if all(b for e, b in zip(engines, bytewise, strict=True) if e in pg):
        return bytewise, False
    same = len(pg) == 2 and len({pg_collations(e, plan.table, text_keys) for e in pg}) == 1
    return bytewise, not same


def open_sides(plan: TablePlan, legacy: sa.Engine, candidate: sa.Engine, *,
               in_sql: bool) -> tuple[TableSide, TableSide]:
    """The plan's table on each database, checksummed in SQL or in Python."""
    engines = (legacy, candidate)
    bytewise, collate_c = key_order(plan, engines)
    kind = SqlChecksums if in_sql else PythonChecksums
    legacy_side, candidate_side = (
        kind(engine, plan.table, plan.key, plan.compared, plan.types(table), plan.normalisers,
             bytewise=fast, collate_c=collate_c and engine.dialect.name == "postgresql")
        for engine, table, fast in zip(engines, (plan.legacy, plan.candidate), bytewise, strict=True))
    return legacy_side, candidate_side
