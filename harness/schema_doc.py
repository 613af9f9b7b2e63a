"""SCHEMA.md as data: the expected columns (type, nullability, DB default), foreign keys and named
constraints/indexes of the 21 legacy tables, parsed from the document itself so that a test of any
implementation's DDL is a test against the document, not against a second hand-written copy."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.core import paths

DEFAULT_PATH = paths.SCHEMA_MD


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    # canonical: VARCHAR(36), TEXT, TIMESTAMPTZ, BOOLEAN, INTEGER, BIGINT, DOUBLE PRECISION, NUMERIC(10,2), JSONB
    type: str
    nullable: bool
    default: str | None  # canonical SQL literal: 'x', now(), true, false, 0, 1.0, '{}' ; None for no DB default


@dataclass(frozen=True, slots=True)
class ForeignKey:
    table: str
    column: str
    target: str
    on_delete: str


@dataclass(slots=True)
class SchemaDoc:
    tables: dict[str, dict[str, Column]] = field(default_factory=dict)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    named: dict[str, tuple[str, ...] | None] = field(default_factory=dict)  # constraint/index name -> columns if given


def canonical_type(raw: str) -> str:
    t = raw.strip().upper().replace(" ", "")
    return {"DOUBLEPRECISION": "DOUBLE PRECISION", "NUMERIC(10,2)": "NUMERIC(10,2)"}.get(t, t)


def canonical_default(raw: str) -> str | None:
    v = raw.strip().strip("`").strip()
    if v in ("—", "-", "", "NULL", "app UUID"):
        return None
    return v


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _column_rows(lines: list[str], start: int) -> list[list[str]]:
    rows = []
    i = start + 2  # header and separator
    while i < len(lines) and lines[i].startswith("|"):
        rows.append(_cells(lines[i]))
        i += 1
    return rows


def _column(cells: list[str]) -> Column:
    name = cells[0].strip("`").strip('"')
    return Column(name=name, type=canonical_type(cells[1]), nullable=cells[2].lower() == "yes",
                  default=canonical_default(cells[3]))


_ASSOC_PART = re.compile(r"`(\w+)`\s*(?P<type>(?!PK\b)[A-Z]+(?:\(\d+\))?)?\s*(?P<pk>PK)?\s*"
                         r"(?P<null>not null|null)?\s*(?:`(?P<default>[^`]+)`)?")
_TABLE_HEAD = re.compile(r"### 2\.\d+ `(\w+)`( \(\+M\))?")
_ASSOC_ROW = re.compile(r"\| `(\w+)` \| (`id`.*?) \| ")
_FOREIGN_KEY = re.compile(r"^\| (\w+)\.(\w+) \| (\w+) \| (CASCADE|SET NULL) \|", re.M)
_NAMED = re.compile(r"`((?:idx|ix|uq|chk|ck|fk)_[a-z_]+)(?: (UNIQUE |CHECK )?\(([^)`]*)\))?[^`]*`")
COLUMNS_HEADER = "| Column | Type | Null | Default"


def parse(path: str | Path = DEFAULT_PATH) -> SchemaDoc:
    """SCHEMA.md read into tables (with the mixin's columns where a table says `(+M)`), association tables,
    foreign keys and the named indexes and constraints."""
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    doc = SchemaDoc()
    _tables(lines, doc)
    fk_section = text[text.index("## 3. Foreign-key summary"):text.index("## 4.")]
    doc.foreign_keys += [ForeignKey(*m.group(1, 2, 3, 4)) for m in _FOREIGN_KEY.finditer(fk_section)]
    for m in _NAMED.finditer(text):
        _named(m, doc)
    return doc


def _mixin(lines: list[str]) -> dict[str, Column]:
    mixin: dict[str, Column] = {}
    for i, line in enumerate(lines):
        if line.startswith(COLUMNS_HEADER + " | Semantics"):
            mixin = {c.name: c for c in map(_column, _column_rows(lines, i))}
    return mixin


def _tables(lines: list[str], doc: SchemaDoc) -> None:
    mixin = _mixin(lines)
    current: tuple[str, bool] | None = None
    for i, line in enumerate(lines):
        head = _TABLE_HEAD.match(line)
        if head:
            current = (head.group(1), bool(head.group(2)))
            continue
        if current and line.startswith(COLUMNS_HEADER):
            table, with_mixin = current
            doc.tables[table] = {**(mixin if with_mixin else {}),
                                 **{c.name: c for c in map(_column, _column_rows(lines, i))}}
            current = None
        assoc = _ASSOC_ROW.match(line)
        if assoc:
            doc.tables[assoc.group(1)] = _association(assoc.group(2))


def _association(cells: str) -> dict[str, Column]:
    cols = {}
    for part in cells.split(";"):
        m = _ASSOC_PART.search(part)
        if not m:
            continue
        nullable = m.group("null") == "null" and not m.group("pk")
        cols[m.group(1)] = Column(m.group(1), canonical_type(m.group("type") or "VARCHAR(36)"), nullable,
                                  canonical_default(m.group("default") or ""))
    return cols


def _named(m: re.Match[str], doc: SchemaDoc) -> None:
    name = m.group(1)
    if name.endswith("_"):
        return  # a name pattern such as `chk_course_*`
    is_check = name.startswith(("ck_", "chk_")) or m.group(2) == "CHECK "
    cols = None
    if m.group(3) and not is_check:
        cols = tuple(c.strip().strip('"').split()[0] for c in m.group(3).split(","))
    if doc.named.get(name) is None:
        doc.named[name] = cols
