"""What one write did to a database, in a form two writers can be compared by.

    snapshots = Snapshots(engine)
    before = snapshots.take()
    ... one request ...
    delta = snapshots.take().delta(before)                  # inserted, updated, deleted rows per table
    normal = delta.normalised(Placeholders(names, tag, started, finished))
    differences = compare_deltas(normal_via_legacy, normal_via_candidate)

Two writers never produce the same generated values, so a delta is normalised before comparing, its
generated values replaced by placeholders (`Placeholders`; values are compared as they are otherwise, not
in the canonical forms of `normalise.Normaliser`, since both writes go to one kind of database):
ids the caller knows by name (`names`: "course", "video1", ...) become `<course>`, other UUIDs `<uuid>`;
the run's tag (in e-mails, titles, slugs) becomes `<tag>`; JWTs `<jwt>`; a werkzeug password hash keeps
its method only; a timestamp set by the write becomes `<now>`, or `<now+3600s>` when it lies that far
ahead (a token expiry, rounded to the minute), and an old value `<earlier>`. What remains is what both
writers must agree on: which rows, which columns changed, and their values.
"""
from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from .normalise import as_utc
from .schema import DEFAULT_IGNORED_TABLES

UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
JWT_TEXT = re.compile(r"^[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}$")
WERKZEUG_HASH = re.compile(r"^((?:pbkdf2|scrypt)[^$]*)\$[^$]+\$[0-9a-f]+$")
#: Seconds of clock skew between the write and the timestamps it stores that still count as "now".
NOW_SLACK_S = 5.0

Row = dict[str, Any]


@dataclass(slots=True)
class Snapshot:
    tables: dict[str, dict[tuple, Row]]  # table -> primary key -> row

    def delta(self, before: Snapshot) -> Delta:
        out = Delta()
        for table, rows in self.tables.items():
            changed = _table_delta(before.tables.get(table, {}), rows)
            if changed.inserted or changed.deleted or changed.updated:
                out.tables[table] = changed
        return out


def _table_delta(old: dict[tuple, Row], new: dict[tuple, Row]) -> TableDelta:
    """The rows a write inserted, updated (with each changed column's before and after) and deleted."""
    updated = []
    for key in new.keys() & old.keys():
        changes = {c: (old[key].get(c), v) for c, v in new[key].items() if old[key].get(c) != v}
        if changes:
            updated.append((new[key], changes))
    return TableDelta([new[k] for k in new.keys() - old.keys()], updated, [old[k] for k in old.keys() - new.keys()])


@dataclass(slots=True)
class TableDelta:
    inserted: list[Row] = field(default_factory=list)
    updated: list[tuple[Row, dict[str, tuple[Any, Any]]]] = field(default_factory=list)  # (row after, changes)
    deleted: list[Row] = field(default_factory=list)


@dataclass(slots=True)
class Delta:
    tables: dict[str, TableDelta] = field(default_factory=dict)

    def normalised(self, placeholders: Placeholders) -> NormalDelta:
        out = NormalDelta()
        for table, d in self.tables.items():
            n = placeholders
            out.tables[table] = {
                "inserted": sorted((n.row(r) for r in d.inserted), key=_canon),
                "updated": sorted(({"id": n.value(r.get("id"), fresh=False),
                                    "changes": {c: [n.value(a, fresh=False), n.value(b)] for c, (a, b) in ch.items()}}
                                   for r, ch in d.updated), key=_canon),
                "deleted": sorted((n.row(r, fresh=False) for r in d.deleted), key=_canon),
            }
        return out


@dataclass(slots=True)
class NormalDelta:
    """table -> {"inserted": [row], "updated": [{"id", "changes": {column: [before, after]}}], "deleted": [row]}."""

    tables: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, int]]:
        return {t: {kind: len(rows) for kind, rows in d.items() if rows} for t, d in sorted(self.tables.items())}


class Snapshots:
    """Every row of every table but the framework ones, read through SQLAlchemy's reflected types (so a
    SQLite timestamp is a datetime and JSON is parsed, as on PostgreSQL)."""

    def __init__(self, engine: sa.Engine, *, ignore: Iterable[str] = DEFAULT_IGNORED_TABLES) -> None:
        self.engine = engine
        metadata = sa.MetaData()
        metadata.reflect(engine)
        self.tables = [t for name, t in sorted(metadata.tables.items())
                       if not any(fnmatch.fnmatchcase(name, p) for p in ignore) and t.primary_key.columns]

    def take(self) -> Snapshot:
        out: dict[str, dict[tuple, Row]] = {}
        with self.engine.connect() as conn:
            for table in self.tables:
                key = [c.name for c in table.primary_key.columns]
                rows = {}
                for row in conn.execute(sa.select(table)).mappings():
                    rows[tuple(row[k] for k in key)] = dict(row)
                out[table.name] = rows
        return Snapshot(out)


@dataclass(slots=True)
class Placeholders:
    """Turns the values one write stored into what a second writer must reproduce (module docstring)."""

    names: Mapping[str, str]  # id value -> its name in the journey
    tag: str  # the run's marker in this writer's e-mails and titles
    started: datetime  # when the write was sent (aware, UTC)
    finished: datetime

    def row(self, row: Row, *, fresh: bool = True) -> dict[str, Any]:
        return {c: self.value(v, fresh=fresh) for c, v in row.items()}

    def value(self, value: Any, *, fresh: bool = True) -> Any:
        """`fresh`: the value was written by this write (timestamps are read relative to it)."""
        if value is None or isinstance(value, (bool, int, float)):
            return value
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, datetime):
            return self._time(value, fresh)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {self.text(str(k)): self.value(v, fresh=fresh) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v, fresh=fresh) for v in value]
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        return self.text(str(value))

    def text(self, text: str) -> str:
        if JWT_TEXT.match(text):
            return "<jwt>"
        hashed = WERKZEUG_HASH.match(text)
        if hashed:
            return f"<hash {hashed.group(1)}>"
        text = UUID_TEXT.sub(lambda m: f"<{self.names.get(m.group(0).lower(), 'uuid')}>", text)
        return text.replace(self.tag, "<tag>") if self.tag else text

    def _time(self, value: datetime, fresh: bool) -> str:
        if not fresh:
            return "<time>"
        value = as_utc(value)  # both apps store UTC (SCHEMA.md §0)
        if (self.started - value).total_seconds() > NOW_SLACK_S:
            return "<earlier>"
        ahead = (value - self.finished).total_seconds()
        if ahead <= NOW_SLACK_S:
            return "<now>"
        return f"<now+{round(ahead / 60) * 60}s>"


@dataclass(frozen=True, slots=True)
class RowMismatch:
    table: str
    kind: str  # inserted | updated | deleted
    message: str
    columns: tuple[str, ...] = ()
    legacy: Any = None
    candidate: Any = None


def compare_deltas(legacy: NormalDelta, candidate: NormalDelta) -> list[RowMismatch]:
    """How the rows one write left through the legacy app differ from those left through the candidate."""
    out: list[RowMismatch] = []
    for table in sorted(legacy.tables.keys() | candidate.tables.keys()):
        empty = {"inserted": [], "updated": [], "deleted": []}
        a, b = legacy.tables.get(table, empty), candidate.tables.get(table, empty)
        for kind in ("inserted", "updated", "deleted"):
            left, right = a[kind], b[kind]
            if left == right:
                continue
            if len(left) != len(right):
                out.append(RowMismatch(table, kind, f"{table}: {len(left)} row(s) {kind} through legacy, "
                                                    f"{len(right)} through candidate", (), left[:5], right[:5]))
                continue
            for x, y in zip(left, right, strict=True):
                if x != y:
                    out.append(_row_mismatch(table, kind, x, y))
    return out


def _row_mismatch(table: str, kind: str, legacy: dict[str, Any], candidate: dict[str, Any]) -> RowMismatch:
    if kind == "updated":
        return _update_mismatch(table, legacy, candidate)
    columns = tuple(sorted(c for c in legacy.keys() | candidate.keys() if legacy.get(c) != candidate.get(c)))
    parts = [f"{c}: {legacy.get(c)!r} through legacy, {candidate.get(c)!r} through candidate" for c in columns]
    return RowMismatch(table, kind, f"{table} row {kind} differently: {'; '.join(parts)}", columns,
                       {c: legacy.get(c) for c in columns}, {c: candidate.get(c) for c in columns})


def _update_mismatch(table: str, legacy: dict[str, Any], candidate: dict[str, Any]) -> RowMismatch:
    """One row updated through both apps, some of its columns differently."""
    lc, cc = legacy["changes"], candidate["changes"]
    columns = tuple(sorted(c for c in lc.keys() | cc.keys() if lc.get(c) != cc.get(c)))
    parts = [f"{c}: {_change(lc.get(c))} through legacy, {_change(cc.get(c))} through candidate" for c in columns]
    return RowMismatch(table, "updated", f"{table} row {legacy['id']} updated differently: {'; '.join(parts)}",
                       columns, {c: lc.get(c) for c in columns}, {c: cc.get(c) for c in columns})


def _change(change: list[Any] | None) -> str:
    return "unchanged" if change is None else f"{change[0]!r} -> {change[1]!r}"


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
