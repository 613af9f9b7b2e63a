"""SCHEMA.md as data: the expected columns (type, nullability, DB default), foreign keys and named
constraints/indexes of the 21 legacy tables, parsed from the document itself so that a test of any
implementation's DDL is a test against the document, not against a second hand-written copy."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "shared" / "legacy-api" / "SCHEMA.md"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str        # canonical: VARCHAR(36), TEXT, TIMESTAMPTZ, BOOLEAN, INTEGER, BIGINT, DOUBLE PRECISION, NUMERIC(10,2), JSONB
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


_ASSOC_PART = re.compile(r"`(\w+)`\s*(?P<type>(?!PK\b)[A-Z]+(?:\(\d+\))?)?\s*(?P<pk>PK)?\s*(?P<null>not null|null)?\s*(?:`(?P<default>[^`]+)`)?")


def parse(path: str | Path = DEFAULT_PATH) -> SchemaDoc:
    text = Path(path).read_text(encoding="utf-8")
    lines = text.splitlines()
    doc = SchemaDoc()
    mixin: dict[str, Column] = {}
    for i, line in enumerate(lines):
        if line.startswith("| Column | Type | Null | Default | Semantics"):
            mixin = {c.name: c for c in map(_column, _column_rows(lines, i))}
    current: tuple[str, bool] | None = None
    for i, line in enumerate(lines):
        head = re.match(r"### 2\.\d+ `(\w+)`( \(\+M\))?", line)
        if head:
            current = (head.group(1), bool(head.group(2)))
            continue
        if current and line.startswith("| Column | Type | Null | Default"):
            table, with_mixin = current
            cols = {c.name: c for c in map(_column, _column_rows(lines, i))}
            doc.tables[table] = {**(mixin if with_mixin else {}), **cols}
            current = None
        assoc = re.match(r"\| `(\w+)` \| (`id`.*?) \| ", line)
        if assoc:
            cols = {}
            for part in assoc.group(2).split(";"):
                m = _ASSOC_PART.search(part)
                if not m:
                    continue
                name = m.group(1)
                ctype = m.group("type") or "VARCHAR(36)"
                nullable = m.group("null") == "null"
                if m.group("pk"):
                    nullable = False
                cols[name] = Column(name, canonical_type(ctype), nullable, canonical_default(m.group("default") or ""))
            doc.tables[assoc.group(1)] = cols
    fk_section = text[text.index("## 3. Foreign-key summary"):text.index("## 4.")]
    for m in re.finditer(r"^\| (\w+)\.(\w+) \| (\w+) \| (CASCADE|SET NULL) \|", fk_section, re.M):
        doc.foreign_keys.append(ForeignKey(m.group(1), m.group(2), m.group(3), m.group(4)))
    for m in re.finditer(r"`((?:idx|ix|uq|chk|ck|fk)_[a-z_]+)(?: (UNIQUE |CHECK )?\(([^)`]*)\))?[^`]*`", text):
        name = m.group(1)
        if name.endswith("_"):
            continue  # a name pattern such as `chk_course_*`
        is_check = name.startswith(("ck_", "chk_")) or m.group(2) == "CHECK "
        cols = None
        if m.group(3) and not is_check:
            cols = tuple(c.strip().strip('"').split()[0] for c in m.group(3).split(","))
        if doc.named.get(name) is None:
            doc.named[name] = cols
    return doc
