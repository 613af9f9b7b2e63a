"""Rows after traffic: what a run's writes left in each side's database, compared by primary key (a check
registered with harness/core/traffic.py, which the contract gate runs once its sources have sent their traffic).

The differential comparison sees replies only: a write that answers alike but stores something else (a hard
delete where legacy soft-deletes, a counter not bumped, a column not set) passes it. `compare`, after the
traffic: every table both databases have (framework tables aside, SCHEMA.md §0) read on each side, the
candidate's values translated back to legacy's (`Traffic.to_primary`: ids, also inside text and JSON), rows
matched by primary key (then, for rows the translation could not match, by a declared unique constraint: a row
whose generated id no reply ever showed), and compared through this area's plan (row_plan.py: the columns both
schemas have, each through its canonical form) with the columns no client or request can observe left out
(`UNOBSERVED`) and timestamps equal within `TIMESTAMP_TOLERANCE_S` (both NULL, or both set that close). The same
comparison of legacy against legacy-2 (legacy again, on its own copy of the seed) is the noise baseline: a column
that differs there, or a table where rows stay unmatched there, is noise (Diffy-style, like the response
analyzer), not a finding.

`findings` turns the outcome into findings (`rows_after_traffic`, high, each naming the last write in
`Traffic.writes` that named the row) and metrics.
"""
from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from harness.core.results import Finding, Metric, Severity
from harness.core.traffic import Traffic, Write, WriteLog, register_traffic_check, uuids

from .connect import open_engine, shown
from .model import SchemaSnapshot, Table
from .normalise import ColumnRule, key_text
from .row_compare import RowComparer
from .row_plan import RowsOptions, TablePlan, plan_table
from .row_results import RowDifference, TableRows
from .schema import check_selection, reflect_engine
from .types import parse_type

CHECK = "rows_after_traffic"
#: A table with more rows than this on a side is not read (an info finding says so).
MAX_ROWS = 200_000
#: Two timestamps written by the same request on two sides are "the same" this close (both NULL, or both set).
TIMESTAMP_TOLERANCE_S = 120
#: Columns no client or later request observes as a value, or that differ between any two writers by nature:
#: salted password hashes and the session's own tokens (each side signs its own). `table.column` patterns.
UNOBSERVED = ("*.password_hash", "*.session_token", "*.refresh_token", "*secret*", "*token_hash*")
#: At most this many rows are kept as samples per finding, and writes named per row.
SAMPLES = 5


# -- the comparison --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class TableOutcome:
    """One table of one pair of databases after traffic."""

    table: str
    rows: int = 0  # rows compared: those of the larger side
    differences: list[RowDifference] = field(default_factory=list)
    #: the rows behind each difference (key text -> full row as read, translated), for tracing writes
    rows_of: dict[tuple[str, ...], tuple[Any, ...]] = field(default_factory=dict)
    skipped: str | None = None  # why the table was not compared

    def count(self, kind: str) -> int:
        return sum(d.kind == kind for d in self.differences)

    def noisy_columns(self) -> set[str]:
        return {c for d in self.differences if d.kind == "changed" for c in d.columns}


@dataclass(slots=True)
class RowsAfter:
    """Legacy against the candidate, and legacy against legacy-2 (empty when its database is not known)."""

    databases: dict[str, str]
    tables: list[TableOutcome] = field(default_factory=list)
    noise: dict[str, TableOutcome] = field(default_factory=dict)
    baseline: bool = False


def compare(databases: Mapping[str, str], to_primary: Mapping[str, Callable[[str], str]], *, primary: str = "legacy",
            candidate: str = "candidate", noise: str = "legacy-2") -> RowsAfter:
    """Every table of `primary`'s database against `candidate`'s (and against `noise`'s, when it is given)."""
    others = [side for side in (candidate, noise) if side in databases]
    engines = {side: open_engine(databases[side]) for side in (primary, *others)}
    try:
        schemas = {side: reflect_engine(engine) for side, engine in engines.items()}
        outcome = RowsAfter({side: shown(engine) for side, engine in engines.items()}, baseline=noise in engines)
        outcome.tables = _pair(engines, schemas, primary, candidate, to_primary.get(candidate))
        if outcome.baseline:
            outcome.noise = {t.table: t for t in _pair(engines, schemas, primary, noise, to_primary.get(noise))}
        return outcome
    finally:
        for engine in engines.values():
            engine.dispose()


def _pair(engines: Mapping[str, sa.Engine], schemas: Mapping[str, SchemaSnapshot], primary: str, other: str,
          to_primary: Callable[[str], str] | None) -> list[TableOutcome]:
    mine, theirs = schemas[primary], schemas[other]
    names = [n for n in check_selection((mine, theirs)) if n in mine.tables and n in theirs.tables]
    back = _translator(to_primary)
    return [_table(name, mine.tables[name], theirs.tables[name], (engines[primary], engines[other]), back)
            for name in names]


def _translator(to_primary: Callable[[str], str] | None) -> Callable[[Any], Any]:
    """A value of the other side in legacy's terms: its ids (also inside text and JSON) replaced."""
    def back(value: Any) -> Any:
        if isinstance(value, str):
            return to_primary(value)
        if isinstance(value, dict):
            return {back(k): back(v) for k, v in value.items()}
        if isinstance(value, list):
            return [back(v) for v in value]
        return value

    return back if to_primary is not None else (lambda value: value)


def observed_options(table: Table) -> RowsOptions:
    """The data area's row options for a table after traffic: unobserved columns ignored, timestamps within the
    tolerance."""
    rules: dict[str, ColumnRule] = {pattern: ColumnRule(ignore=True) for pattern in UNOBSERVED}
    tolerance = Decimal(TIMESTAMP_TOLERANCE_S * 1_000_000)
    for name, column in table.columns.items():
        if parse_type(column.type).family == "timestamp" and not _unobserved(table.name, name):
            rules[f"{table.name}.{name}"] = ColumnRule(tolerance=tolerance)
    return RowsOptions(rules=rules)


def _unobserved(table: str, column: str) -> bool:
    return any(fnmatch.fnmatchcase(f"{table}.{column}", pattern) for pattern in UNOBSERVED)


def _table(name: str, mine: Table, theirs: Table, engines: tuple[sa.Engine, sa.Engine],
           back: Callable[[Any], Any]) -> TableOutcome:
    outcome = TableOutcome(name)
    counts = [_count(engine, name) for engine in engines]
    if max(counts) > MAX_ROWS:
        outcome.skipped = f"{max(counts)} rows on a side, more than {MAX_ROWS}: not read"
        return outcome
    plan = plan_table(name, mine, theirs, observed_options(mine))
    columns = (*plan.key, *plan.compared)
    left = _sql_nulls(plan, _read(engines[0], name, columns))
    right = [tuple(back(v) for v in row) for row in _sql_nulls(plan, _read(engines[1], name, columns))]
    right = rekeyed(plan, mine, left, right)
    stats = TableRows(name)
    plan.fill(stats)
    comparer = RowComparer(name, plan.key, plan.compared, [plan.normalisers[c] for c in plan.compared], SAMPLES)
    outcome.rows = max(len(left), len(right))
    outcome.differences = comparer.compare(left, right, stats.columns).differences
    wanted = {_key_of(d.key) for d in outcome.differences}
    width = len(plan.key)
    outcome.rows_of = {k: row for row in (*left, *right) if (k := _key_text(row[:width])) in wanted}
    return outcome


def _count(engine: sa.Engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()


def _read(engine: sa.Engine, name: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    table = sa.table(name, *(sa.column(c) for c in columns))
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(*table.c))]


def _sql_nulls(plan: TablePlan, rows: list[tuple]) -> list[tuple]:
    """`rows` with a JSON null stored as a value (SQLite keeps the text 'null') read as SQL NULL: no client of
    either app tells the two apart, and PostgreSQL's driver reads a JSONB null as None already."""
    columns = (*plan.key, *plan.compared)
    json_at = {i for i, c in enumerate(columns) if plan.normalisers[c].family == "json"}
    if not json_at:
        return rows
    return [tuple(None if i in json_at and isinstance(v, str) and v.strip() == "null" else v
                  for i, v in enumerate(row)) for row in rows]


def _key_text(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(key_text(v) for v in values)


def _key_of(key: Mapping[str, Any]) -> tuple[str, ...]:
    return _key_text(key.values())


def rekeyed(plan: TablePlan, table: Table, left: list[tuple], right: list[tuple]) -> list[tuple]:
    """`right` with each row no key of `left` matches given the key of the unmatched `left` row that has its
    values in a declared unique constraint (the first that fits): a row whose generated id no reply showed, so
    the id map could not translate it, still meets its counterpart (an enrolment by its user and course)."""
    width, columns = len(plan.key), (*plan.key, *plan.compared)
    out = list(right)
    for unique in _natural_keys(plan, table):
        mine = {_key_text(row[:width]) for row in left}
        theirs = {_key_text(row[:width]) for row in out}
        value = _natural(plan, columns, unique)
        free = {value(row): row for row in left if _key_text(row[:width]) not in theirs}
        free.pop(None, None)  # a NULL in the constraint's columns matches nothing
        for i, row in enumerate(out):
            partner = None if _key_text(row[:width]) in mine else free.pop(value(row), None)
            if partner is not None:
                out[i] = partner[:width] + row[width:]
    return out


def _natural_keys(plan: TablePlan, table: Table) -> list[tuple[str, ...]]:
    """The table's unique constraints, other than its key, whose columns are all read."""
    read = {*plan.key, *plan.compared}
    return [u.columns for u in table.uniques if set(u.columns) <= read and set(u.columns) != set(plan.key)]


def _natural(plan: TablePlan, columns: tuple[str, ...], unique: tuple[str, ...]) -> Callable[[tuple], tuple | None]:
    """A row's values in `unique`, canonical (None when one is NULL)."""
    at = [columns.index(c) for c in unique]
    canonical = [plan.normalisers[c].canonical for c in unique]

    def value(row: tuple) -> tuple | None:
        found = tuple(f(row[i]) for f, i in zip(canonical, at, strict=True))
        return None if None in found else found

    return value


# -- the findings ----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Differing:
    """One row that differs beyond noise, with the writes that named it."""

    difference: RowDifference
    writes: list[Write]

    @property
    def last(self) -> str:
        return self.writes[-1].operation if self.writes else "no recorded write"


def beyond_noise(outcome: RowsAfter, table: TableOutcome) -> tuple[list[RowDifference], int]:
    """(the table's differences the noise baseline does not explain; where the baseline leaves rows unmatched in
    this table too, those are matched by count: how many more rows legacy keeps than the baseline explains)."""
    noise = outcome.noise.get(table.table, TableOutcome(table.table))
    noisy = noise.noisy_columns()
    unmatched_noise = noise.count("missing") + noise.count("extra") > 0
    kept = [d for d in (_without(d, noisy) for d in table.differences if d.kind == "changed") if d is not None]
    if not unmatched_noise:
        return [d for d in table.differences if d.kind != "changed"] + kept, 0
    net = table.count("missing") - table.count("extra")
    return kept, net - (noise.count("missing") - noise.count("extra"))


def _without(d: RowDifference, noisy: set[str]) -> RowDifference | None:
    """A changed row's difference without the noisy columns (None: nothing else differs)."""
    columns = tuple(c for c in d.columns if c not in noisy)
    if not columns:
        return None
    return RowDifference("changed", d.table, d.key, columns, {c: d.legacy[c] for c in columns},
                         {c: d.candidate[c] for c in columns})


def _writes_of(table: TableOutcome, d: RowDifference, ledger: WriteLog) -> list[Write]:
    row = table.rows_of.get(_key_of(d.key), ())
    key_ids = set(uuids(*(v for v in d.key.values() if isinstance(v, str))))
    return ledger.behind(key_ids, set(uuids(*(v for v in row if isinstance(v, str)))))


def differing_rows(outcome: RowsAfter, ledger: WriteLog) -> Iterator[tuple[TableOutcome, list[Differing], int]]:
    """Per compared table: its rows that differ beyond noise (each with its writes), and the net drift in rows
    only on one side where the baseline has such rows too."""
    for table in outcome.tables:
        if table.skipped is None:
            kept, drift = beyond_noise(outcome, table)
            yield table, [Differing(d, _writes_of(table, d, ledger)) for d in kept], drift


def _group_key(row: Differing) -> tuple[str, str, tuple[str, ...], str]:
    d = row.difference
    return d.table, d.kind, d.columns, row.last


def _message(first: Differing, count: int) -> str:
    d = first.difference
    what = {"missing": "is only in legacy's database", "extra": "is only in the candidate's database",
            "changed": f"differs at {', '.join(d.columns)}: legacy {d.legacy}, candidate {d.candidate}"}[d.kind]
    more = f" ({count} rows alike)" if count > 1 else ""
    earlier = sorted({w.operation.split(" ", 1)[0] for w in first.writes[:-1]} - {first.last.split(" ", 1)[0]})
    before = f" (before it: {', '.join(earlier)})" if earlier else ""
    return f"after traffic, {d.table} row {d.key} {what}{more}; the last write that named it: {first.last}{before}"


def _finding(rows: list[Differing]) -> Finding:
    first = rows[0]
    d = first.difference
    return Finding(
        id=f"rows-after:{d.table}:{d.kind}:{','.join(d.columns)}:{first.last}", check=CHECK, severity=Severity.HIGH,
        operation=None if not first.writes else first.last, message=_message(first, len(rows)),
        evidence={"table": d.table, "kind": d.kind, "key": d.key, "columns": list(d.columns), "legacy": d.legacy,
                  "candidate": d.candidate, "rows": len(rows), "last_write": first.last,
                  "writes": [{"seq": w.seq, "operation": w.operation, "source": w.source}
                             for w in first.writes[-SAMPLES:]],
                  "samples": [{"key": r.difference.key, "legacy": r.difference.legacy,
                               "candidate": r.difference.candidate} for r in rows[:SAMPLES]]})


def _drift_finding(table: TableOutcome, drift: int) -> Finding:
    side = "legacy" if drift > 0 else "the candidate"
    return Finding(
        id=f"rows-after:{table.table}:count", check=CHECK, severity=Severity.HIGH,
        message=f"after traffic, {table.table} holds {abs(drift)} more row(s) on {side}'s side than legacy against "
                f"itself explains (rows whose generated ids no reply showed, matched by count)",
        evidence={"table": table.table, "missing": table.count("missing"), "extra": table.count("extra"),
                  "net_beyond_noise": drift})


def findings(outcome: RowsAfter | None, ledger: WriteLog) -> Iterator[Finding | Metric]:
    """A high finding per (table, kind, columns, last write) of rows that differ beyond noise, an info finding per
    table too large to read, and how many rows and tables were compared and how many rows differ."""
    if outcome is None:
        return
    differing = 0
    for table, rows, drift in differing_rows(outcome, ledger):
        yield from _table_findings(table, rows, drift)
        differing += len(rows) + abs(drift)
    for table in outcome.tables:
        if table.skipped is not None:
            yield Finding(id=f"rows-after:{table.table}:skipped", check=CHECK, severity=Severity.INFO,
                          message=f"rows after traffic: {table.table} not compared: {table.skipped}",
                          evidence={"table": table.table})
    compared = [t for t in outcome.tables if t.skipped is None]
    yield Metric("rows_after_tables", "both", len(compared), "tables")
    yield Metric("rows_after_compared", "both", sum(t.rows for t in compared), "rows")
    yield Metric("rows_after_differing", "candidate", differing, "rows", target="== 0", passed=differing == 0,
                 evidence=f"findings {CHECK}")
    if outcome.baseline:
        yield Metric("rows_after_noisy_columns", "legacy", sum(len(t.noisy_columns()) for t in outcome.noise.values()),
                     "columns")


def _table_findings(table: TableOutcome, rows: list[Differing], drift: int) -> Iterator[Finding]:
    groups: dict[tuple, list[Differing]] = {}
    for row in rows:
        groups.setdefault(_group_key(row), []).append(row)
    yield from (_finding(group) for group in groups.values())
    if drift:
        yield _drift_finding(table, drift)


@register_traffic_check(CHECK)
def rows_after_traffic(traffic: Traffic) -> list[Finding | Metric]:
    """The registered check: legacy's database against the candidate's (and legacy-2's, the baseline, when it took
    part) once the traffic is done; nothing when either database is unknown."""
    if traffic.primary not in traffic.databases or traffic.candidate not in traffic.databases:
        return []
    outcome = compare(traffic.databases, traffic.to_primary, primary=traffic.primary, candidate=traffic.candidate,
                      noise=traffic.noise)
    return list(findings(outcome, traffic.writes))
