"""The canonical schema model: what a table *is*, whichever engine or name it came with.

Every part holds canonical text (types from `types`, expressions from `sqltext`), so two snapshots
compare with `==`. Names are carried for messages only; `definition` is what the differ matches on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: SCHEMA.md §0 "Framework tables": bookkeeping, never compared.
DEFAULT_IGNORED_TABLES = ("django_*", "auth_*", "alembic_version")
SEVERITIES = ("breaking", "risky", "cosmetic")
#: every kind of schema difference `schema.diff` reports (allow-list entries name them)
KINDS = ("table_missing", "table_extra", "column_missing", "column_extra", "column_type", "column_nullable",
         "column_default", "column_identity", "primary_key", "foreign_key_missing", "foreign_key_extra",
         "foreign_key_action", "unique_missing", "unique_extra", "check_missing", "check_extra",
         "index_missing", "index_extra", "sequence_missing", "sequence_extra", "sequence_changed")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # canonical, e.g. varchar(36), numeric(10,2), timestamptz
    nullable: bool
    default: str | None = None  # canonical (sqltext.canonical_default)
    identity: str | None = None  # always | by default | serial | rowid | autoincrement

    def describe(self) -> str:
        parts = [self.type, "NULL" if self.nullable else "NOT NULL"]
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.identity:
            parts.append(f"IDENTITY {self.identity}")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    target_table: str
    target_columns: tuple[str, ...]
    on_delete: str = "NO ACTION"
    on_update: str = "NO ACTION"

    @property
    def definition(self) -> tuple:
        return self.columns, self.target_table, self.target_columns

    def describe(self) -> str:
        return (f"({', '.join(self.columns)}) -> {self.target_table}({', '.join(self.target_columns)}) "
                f"ON DELETE {self.on_delete} ON UPDATE {self.on_update}")


@dataclass(frozen=True, slots=True)
class Unique:
    name: str | None
    columns: tuple[str, ...]
    via_index: bool = False  # a UNIQUE INDEX rather than a constraint: the same guarantee

    @property
    def definition(self) -> tuple[str, ...]:
        return tuple(sorted(self.columns))  # uniqueness of a set of columns does not depend on their order

    def describe(self) -> str:
        return f"UNIQUE ({', '.join(self.columns)})"


@dataclass(frozen=True, slots=True)
class Check:
    name: str | None
    expression: str  # canonical

    @property
    def definition(self) -> str:
        return self.expression

    def describe(self) -> str:
        return f"CHECK ({self.expression})"


@dataclass(frozen=True, slots=True)
class Index:
    name: str | None
    columns: tuple[str, ...]  # canonical keys: "email", "rating DESC", "lower(email)", "slug varchar_pattern_ops"
    unique: bool = False
    predicate: str | None = None  # canonical WHERE of a partial index
    method: str = "btree"
    include: tuple[str, ...] = ()

    @property
    def definition(self) -> tuple:
        return self.columns, self.unique, self.predicate, self.method, self.include

    @property
    def pattern_ops(self) -> bool:
        """Django's `<name>_like` companion index: LIKE-friendly operator classes on (var)char columns."""
        return any(c.endswith(("varchar_pattern_ops", "text_pattern_ops", "bpchar_pattern_ops")) for c in self.columns)

    def describe(self) -> str:
        text = f"{'UNIQUE ' if self.unique else ''}INDEX ({', '.join(self.columns)})"
        if self.method != "btree":
            text += f" USING {self.method}"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.predicate:
            text += f" WHERE {self.predicate}"
        return text


@dataclass(frozen=True, slots=True)
class Sequence:
    name: str
    data_type: str
    start: int
    increment: int
    owned_by: str | None = None  # "table.column" for serial and identity sequences

    def describe(self) -> str:
        owner = f" OWNED BY {self.owned_by}" if self.owned_by else ""
        return f"SEQUENCE {self.data_type} START {self.start} INCREMENT {self.increment}{owner}"


@dataclass(slots=True)
class Table:
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    primary_key: tuple[str, ...] = ()
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    uniques: list[Unique] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)


@dataclass(slots=True)
class SchemaSnapshot:
    """One database's schema (or one subset of its tables), canonical."""

    dialect: str  # postgresql | sqlite
    url: str  # password hidden
    server_version: str
    tables: dict[str, Table] = field(default_factory=dict)
    sequences: dict[str, Sequence] = field(default_factory=dict)
    #: every table the database has, before a `tables` filter (what a filter can select from)
    available: tuple[str, ...] = ()


@dataclass(slots=True)
class SchemaDifference:
    """One way the candidate's schema differs from the legacy one.

    kind: table_missing, column_type, index_missing, foreign_key_action, ... (see schema.KINDS);
    name: the column, constraint or index concerned ("" for a whole table);
    legacy / candidate: the definition on each side, None where it is absent.
    """

    kind: str
    table: str
    name: str
    severity: str  # breaking | risky | cosmetic
    message: str
    legacy: str | None = None
    candidate: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "table": self.table, "name": self.name, "severity": self.severity,
                "message": self.message, "legacy": self.legacy, "candidate": self.candidate}
