"""`harness data rows`: compare tables between two databases by primary key, fast.

    report = diff_rows("postgresql://.../legacy", "postgresql://.../candidate", tables=["users"])
    for table in report.tables:
        for d in table.differences:
            print(d.kind, d.table, d.key, d.columns)

For each table:
  1. counts on both sides, NULL keys, and duplicate keys (where the key is not declared unique);
  2. the key space is cut into leaf-sized segments (sampled key boundaries, at most TOP_SEGMENTS) and
     every segment checksummed on both sides in one pass per worker range: in PostgreSQL when both
     sides are PostgreSQL, in Python otherwise (`sides`);
  3. a segment whose (row count, checksum, non-NULL counts) differ and holds more than `leaf_rows` rows
     is cut again (`bisection_factor` parts) and so on, in parallel over `workers` connections per side;
  4. a leaf is resolved to single rows: in PostgreSQL mode its (key, row hash) pairs are compared and
     only the rows whose hash differs, or that one side lacks, are read; in Python mode its rows are
     read. Rows are compared column by column (equal / both NULL / NULL on one side only / differs)
     through `normalise.Normaliser` with the column's rules (tolerance, timestamp precision, UUID case),
     with samples.
Segments whose checksums agree count as verified without a row leaving the database: their rows are
all "equal" or "both NULL" per column (from count(column)).

Budgets: `max_seconds` stops the run (the result says what was left unverified) and `max_differences`
stops it once that many differing rows are known. The engine never prints: `progress` is called with
(table, rows verified, rows in total).
"""
from __future__ import annotations

import dataclasses
import fnmatch
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

import sqlalchemy as sa

from .connect import DatabaseUnreachable, DataInputError, first_line, open_engine, shown
from .model import SchemaSnapshot, Table
from .normalise import ColumnRule, Normaliser, display
from .schema import check_selection, reflect_engine
from .sides import (
    PG_SESSION,
    Bucket,
    Key,
    PythonChecksums,
    SqlChecksums,
    TableSide,
    key_text,
    pg_collation_bytewise,
    pg_collations,
)
from .types import parse_type

Progress = Callable[[str, int, int], None]
TOP_SEGMENTS = 4096


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


@dataclass(slots=True)
class ValueSample:
    key: dict[str, Any]
    legacy: Any
    candidate: Any


@dataclass(slots=True)
class ColumnStats:
    """How one column compared over the rows present on both sides."""

    column: str
    legacy_type: str
    candidate_type: str
    equal: int = 0
    both_null: int = 0
    null_legacy_only: int = 0
    null_candidate_only: int = 0
    differs: int = 0
    samples: list[ValueSample] = field(default_factory=list)

    @property
    def differing(self) -> int:
        return self.null_legacy_only + self.null_candidate_only + self.differs


@dataclass(slots=True)
class RowDifference:
    """kind: missing (only in legacy), extra (only in candidate), changed, duplicate (side says where)."""

    kind: str
    table: str
    key: dict[str, Any]
    columns: tuple[str, ...] = ()
    legacy: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None
    side: str | None = None  # for duplicates
    count: int = 1  # for duplicates: how often the key occurs


@dataclass(slots=True)
class TableRows:
    table: str
    key: tuple[str, ...] = ()
    legacy_rows: int = 0
    candidate_rows: int = 0
    compared_columns: tuple[str, ...] = ()
    skipped_columns: dict[str, str] = field(default_factory=dict)
    method: str = ""  # sql | python
    missing: int = 0
    extra: int = 0
    changed: int = 0
    duplicates: int = 0
    differences: list[RowDifference] = field(default_factory=list)
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    rows_verified: int = 0
    segments: int = 0
    leaves: int = 0
    seconds: float = 0.0
    complete: bool = True
    stopped: str | None = None
    error: str | None = None
    sql: dict[str, dict[str, str]] = field(default_factory=dict)  # side -> kind -> example

    @property
    def differing_rows(self) -> int:
        return self.missing + self.extra + self.changed + self.duplicates

    @property
    def clean(self) -> bool:
        return self.error is None and self.complete and self.differing_rows == 0

    @property
    def rows_per_second(self) -> float:
        return max(self.legacy_rows, self.candidate_rows) / self.seconds if self.seconds else 0.0


@dataclass(slots=True)
class RowsReport:
    legacy_url: str
    candidate_url: str
    tables: list[TableRows] = field(default_factory=list)
    seconds: float = 0.0
    started: float = 0.0

    @property
    def clean(self) -> bool:
        return all(t.clean for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(max(t.legacy_rows, t.candidate_rows) for t in self.tables)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


# -- the public entry point -------------------------------------------------------------------------------

def diff_rows(legacy_url: str, candidate_url: str, *, tables: Iterable[str] | None = None,
              options: RowsOptions | None = None) -> RowsReport:
    """Compare the rows of `tables` (names or fnmatch patterns; default: every table both sides have,
    framework tables aside) between two databases."""
    options = options or RowsOptions()
    if options.workers < 1 or options.bisection_factor < 2 or options.leaf_rows < 1:
        raise DataInputError("workers >= 1, bisection factor >= 2 and leaf rows >= 1 are required")
    engines: list[sa.Engine] = []
    try:
        for url in (legacy_url, candidate_url):
            engines.append(open_engine(url, pool_size=options.workers + 1, max_overflow=options.workers,
                                       connect_args=_session_args(url)))
        return RowDiffer(*engines, options).run(tables)
    finally:
        for engine in engines:
            engine.dispose()


def _session_args(url: str) -> dict:
    return {"options": PG_SESSION} if url.split(":", 1)[0].split("+")[0] in ("postgres", "postgresql") else {}


_TOLERANCE_FAMILIES = ("integer", "numeric", "float", "timestamp")


def check_options(options: RowsOptions, names: list[str], legacy: SchemaSnapshot, candidate: SchemaSnapshot) -> None:
    """DataInputError (exit 2) for a key or a column rule that names nothing among the compared tables, or a
    rule that cannot apply to any column it names: silently ignored, it would let a difference pass."""
    def table(name: str) -> Table | None:
        return legacy.tables.get(name) or candidate.tables.get(name)

    for name, columns in options.keys.items():
        given = f"--key {name}={','.join(columns)}"
        found = table(name) if name in names else None
        if found is None:
            raise DataInputError(f"{given}: no table {name!r} among the compared tables ({', '.join(names)})")
        absent = [c for c in columns if c not in found.columns]
        if absent:
            raise DataInputError(f"{given}: {name} has no column {', '.join(absent)}; "
                                 f"its columns: {', '.join(found.columns)}")
    for pattern, rule in options.rules.items():
        named = (("--tolerance", rule.tolerance is not None), ("--precision", rule.precision != "us"),
                 ("--uuid-column", rule.uuid), ("--ignore-column", rule.ignore))
        given = "/".join(option for option, on in named if on) or "a column rule"
        matched = [(t, c, snapshot.tables[t].columns[c].type) for t in names for snapshot in (legacy, candidate)
                   if t in snapshot.tables for c in snapshot.tables[t].columns
                   if fnmatch.fnmatchcase(f"{t}.{c}", pattern)]
        if not matched:
            raise DataInputError(f"{given} {pattern}: matches no column of the compared tables "
                                 f"({', '.join(names)})")
        families = {parse_type(type_).family for _, _, type_ in matched}
        example = f"{matched[0][0]}.{matched[0][1]} is {matched[0][2]}"
        if rule.tolerance is not None and not families & set(_TOLERANCE_FAMILIES):
            raise DataInputError(f"--tolerance {pattern}: a tolerance applies to numbers and timestamps; {example}")
        if rule.precision != "us" and "timestamp" not in families:
            raise DataInputError(f"--precision {pattern}: a precision applies to timestamps; {example}")


class RowDiffer:
    def __init__(self, legacy: sa.Engine, candidate: sa.Engine, options: RowsOptions) -> None:
        self.legacy, self.candidate, self.options = legacy, candidate, options
        self.deadline = time.monotonic() + options.max_seconds if options.max_seconds is not None else None
        self.differences_found = 0
        self.lock = Lock()
        # The typed hash functions the SQL checksums use arrived in PostgreSQL 11.
        both_pg = legacy.dialect.name == candidate.dialect.name == "postgresql" and \
            min(e.dialect.server_version_info[0] for e in (legacy, candidate)) >= 11
        if options.checksum == "sql" and not both_pg:
            raise DataInputError("checksums in SQL need PostgreSQL (11 or later) on both sides")
        self.in_sql = both_pg and options.checksum != "python"

    def run(self, tables: Iterable[str] | None) -> RowsReport:
        started = time.perf_counter()
        report = RowsReport(shown(self.legacy), shown(self.candidate), started=time.time())
        tables = list(tables) if tables is not None else None
        try:
            snapshots = [reflect_engine(e, tables=tables) for e in (self.legacy, self.candidate)]
        except sa.exc.OperationalError as exc:
            raise DatabaseUnreachable(first_line(exc)) from None
        legacy_schema, candidate_schema = snapshots
        names = check_selection(snapshots, tables=tables, framework_ignored=tables is None)
        check_options(self.options, names, legacy_schema, candidate_schema)
        with ThreadPoolExecutor(max_workers=2 * self.options.workers, thread_name_prefix="rows-query") as queries, \
                ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="rows-segment") as segments:
            for name in names:
                report.tables.append(self._table(name, legacy_schema, candidate_schema, queries, segments))
        report.seconds = time.perf_counter() - started
        return report

    # -- one table --------------------------------------------------------------------------------------
    def _table(self, name: str, legacy_schema: SchemaSnapshot, candidate_schema: SchemaSnapshot,
               queries: ThreadPoolExecutor, segments: ThreadPoolExecutor) -> TableRows:
        started = time.perf_counter()
        result = TableRows(name, method="sql" if self.in_sql else "python")
        old, new = legacy_schema.tables.get(name), candidate_schema.tables.get(name)
        if old is None or new is None:
            result.error = f"table {name} exists only in the {'candidate' if old is None else 'legacy'} database"
            result.complete = False
            return result
        try:
            sides = self._sides(name, old, new, result)
        except DataInputError as exc:
            result.error, result.complete = str(exc), False
            return result
        legacy, candidate = sides
        try:
            _Comparison(self, result, legacy, candidate, old, new, queries, segments).run()
        except sa.exc.OperationalError as exc:
            raise DatabaseUnreachable(first_line(exc)) from None
        except sa.exc.DBAPIError as exc:
            result.error, result.complete = f"query failed: {first_line(exc)}", False
        result.sql = {"legacy": legacy.log.examples, "candidate": candidate.log.examples}
        result.seconds = time.perf_counter() - started
        return result

    def _sides(self, name: str, old: Table, new: Table, result: TableRows) -> tuple[TableSide, TableSide]:
        key = tuple(self.options.keys.get(name) or old.primary_key)
        if not key:
            raise DataInputError(f"table {name} has no primary key: name its key columns (--key {name}=col1,col2)")
        for side, table in (("legacy", old), ("candidate", new)):
            absent = [k for k in key if k not in table.columns]
            if absent:
                raise DataInputError(f"key column(s) {', '.join(absent)} of {name} missing on the {side} side")
        result.key = key
        compared = []
        for column in old.columns:
            if column in key:
                continue
            if column not in new.columns:
                result.skipped_columns[column] = "only in the legacy table"
            elif self.options.rule_for(name, column).ignore:
                result.skipped_columns[column] = "ignored by a rule"
            else:
                compared.append(column)
        for column in new.columns:
            if column not in old.columns:
                result.skipped_columns[column] = "only in the candidate table"
        result.compared_columns = tuple(compared)
        normalisers = {}
        for column in (*key, *compared):
            lt, ct = parse_type(old.columns[column].type), parse_type(new.columns[column].type)
            rule = ColumnRule() if column in key else self.options.rule_for(name, column)
            if "uuid" in (lt.family, ct.family) and not rule.uuid:
                rule = dataclasses.replace(rule, uuid=True)  # a uuid on either side compares as a UUID
            normalisers[column] = Normaliser(ct if lt.family == "other" else lt, rule)
        for column in compared:
            result.columns[column] = ColumnStats(column, old.columns[column].type, new.columns[column].type)
        text_keys = [k for k in key if parse_type(old.columns[k].type).family in ("text", "other")]
        bytewise = {e: e.dialect.name == "postgresql" and bool(text_keys) and pg_collation_bytewise(e, name, text_keys)
                    for e in (self.legacy, self.candidate)}
        # Both sides must order keys alike. SQLite orders text by code point; PostgreSQL by the column's
        # collation. Unless both are PostgreSQL with the same collation, or every PostgreSQL side already
        # orders by code point (C, C.UTF-8, POSIX), text keys are compared with COLLATE "C" there.
        collate_c = bool(text_keys) and not self._same_order(name, text_keys, bytewise)
        built = []
        for engine, table in ((self.legacy, old), (self.candidate, new)):
            types = {c: parse_type(table.columns[c].type) for c in (*key, *compared)}
            kind = SqlChecksums if self.in_sql else PythonChecksums
            side = kind(engine, name, key, compared, types, normalisers, bytewise=bytewise[engine],
                        collate_c=collate_c and engine.dialect.name == "postgresql")
            built.append(side)
        return built[0], built[1]

    def _same_order(self, name: str, text_keys: list[str], bytewise: dict[sa.Engine, bool]) -> bool:
        engines = (self.legacy, self.candidate)
        pg = [e for e in engines if e.dialect.name == "postgresql"]
        if all(bytewise[e] for e in pg):
            return True
        return len(pg) == 2 and len({pg_collations(e, name, text_keys) for e in pg}) == 1

    # -- shared budget state ----------------------------------------------------------------------------
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline

    def add_differences(self, n: int) -> bool:
        """Count n differing rows; False once the difference budget is spent."""
        with self.lock:
            self.differences_found += n
            limit = self.options.max_differences
            return limit is None or self.differences_found < limit

    def budget_left(self) -> bool:
        limit = self.options.max_differences
        return limit is None or self.differences_found < limit


class _Comparison:
    """The bisection of one table, segment tasks running on the segment pool."""

    def __init__(self, differ: RowDiffer, result: TableRows, legacy: TableSide, candidate: TableSide,
                 old: Table, new: Table, queries: ThreadPoolExecutor, segments: ThreadPoolExecutor) -> None:
        self.differ, self.result, self.legacy, self.candidate = differ, result, legacy, candidate
        self.old, self.new = old, new
        self.queries, self.segments = queries, segments
        self.options = differ.options
        self.lock = Lock()
        self.pending: list[Future] = []
        self.total = 0

    def both(self, method: str, *args: Any) -> tuple[Any, Any]:
        a = self.queries.submit(getattr(self.legacy, method), *args)
        b = self.queries.submit(getattr(self.candidate, method), *args)
        return a.result(), b.result()

    def run(self) -> None:
        r = self.result
        r.legacy_rows, r.candidate_rows = self.both("count")
        self.total = max(r.legacy_rows, r.candidate_rows)
        self._key_integrity()
        if r.error:
            return
        larger = self.legacy if r.legacy_rows >= r.candidate_rows else self.candidate
        # The first pass reads every row anyway, so it cuts the table straight into leaf-sized segments
        # (up to TOP_SEGMENTS): re-reading a differing segment costs a heap page per row when keys are
        # random UUIDs, so a deep bisection below big segments costs more than a wide first pass.
        # Only tables above TOP_SEGMENTS * leaf_rows rows are bisected further.
        pieces = max(1, min(TOP_SEGMENTS, -(-self.total // self.options.leaf_rows)))
        bounds = larger.sample_points(self.total, pieces)
        for lo, hi, inner in self._top_ranges(bounds):
            self._submit(lo, hi, inner)
        self._drain()
        self._progress()

    def _top_ranges(self, bounds: list[Key]) -> list[tuple[Key | None, Key | None, list[Key]]]:
        """Split the top bounds into one contiguous range per worker: each worker's query scans its range."""
        workers = min(self.options.workers, len(bounds) + 1)
        if workers <= 1:
            return [(None, None, bounds)]
        per = (len(bounds) + 1) / workers
        cuts = [round(per * i) for i in range(1, workers)]  # indexes into bounds that start a new range
        out, lo, start = [], None, 0
        for cut in cuts:
            out.append((lo, bounds[cut - 1], bounds[start:cut - 1]))
            lo, start = bounds[cut - 1], cut
        out.append((lo, None, bounds[start:]))
        return out

    def _key_integrity(self) -> None:
        r = self.result
        for side, table, rows in (("legacy", self.old, self.legacy), ("candidate", self.new, self.candidate)):
            if any(table.columns[k].nullable for k in r.key):
                nulls = rows.null_keys()
                if nulls:
                    r.error = f"{nulls} row(s) on the {side} side have a NULL in key ({', '.join(r.key)}): not comparable"
                    r.complete = False
                    return
            if _declared_unique(table, r.key):
                continue
            found, sample = rows.duplicate_keys(self.options.samples)
            r.duplicates += found
            for key, count in sample:
                self._record(RowDifference("duplicate", r.table, dict(zip(r.key, map(display, key))), side=side,
                                           count=count))
            if found:
                self.differ.add_differences(found)

    # -- segments ---------------------------------------------------------------------------------------
    def _submit(self, lo: Key | None, hi: Key | None, bounds: list[Key]) -> None:
        with self.lock:
            self.pending.append(self.segments.submit(self._segment, lo, hi, bounds))

    def _drain(self) -> None:
        while True:
            with self.lock:
                if not self.pending:
                    return
                future = self.pending.pop(0)
            future.result()

    def _stop(self, reason: str) -> bool:
        with self.lock:
            self.result.complete = False
            self.result.stopped = self.result.stopped or reason
        return True

    def _halted(self) -> bool:
        if self.differ.out_of_time():
            return self._stop("time budget reached")
        if not self.differ.budget_left():
            return self._stop("difference budget reached")
        return False

    def _segment(self, lo: Key | None, hi: Key | None, bounds: list[Key]) -> None:
        if self._halted():
            return
        legacy, candidate = self.both("checksums", lo, hi, bounds)
        edges = [lo, *bounds, hi]
        with self.lock:
            self.result.segments += len(legacy)
        for i, (a, b) in enumerate(zip(legacy, candidate)):
            lo_i, hi_i = edges[i], edges[i + 1]
            if a.rows == b.rows and a.checksum == b.checksum and a.non_null == b.non_null:
                self._verified(a)
            elif max(a.rows, b.rows) <= self.options.leaf_rows:
                self._leaf(lo_i, hi_i, a)
            else:
                larger = self.legacy if a.rows >= b.rows else self.candidate
                inner = larger.split_points(lo_i, hi_i, max(a.rows, b.rows), self.options.bisection_factor)
                if inner:
                    self._submit(lo_i, hi_i, inner)
                else:  # one key value fills the segment (duplicates): nothing left to cut
                    self._leaf(lo_i, hi_i, a)

    def _verified(self, bucket: Bucket) -> None:
        with self.lock:
            self.result.rows_verified += bucket.rows
            for column, non_null in zip(self.result.compared_columns, bucket.non_null):
                stats = self.result.columns[column]
                stats.equal += non_null
                stats.both_null += bucket.rows - non_null
        self._progress()

    def _leaf(self, lo: Key | None, hi: Key | None, bucket: Bucket) -> None:
        """Resolve one small segment to single rows. In SQL mode only (key, row hash) pairs travel, and
        full rows only for keys whose hash differs or that one side lacks; in Python mode full rows."""
        if self._halted():
            return
        columns = self.result.compared_columns
        width = len(self.result.key)
        if self.differ.in_sql:
            hashes = self.both("row_hashes", lo, hi)
            left, right = (_by_key(rows, width) for rows in hashes)
            suspects = ([row[:width] for k, row in left.items() if right.get(k, (None,))[-1] != row[-1]],
                        [row[:width] for k, row in right.items() if left.get(k, (None,))[-1] != row[-1]])
            fetched = [self.queries.submit(side.fetch_keys, keys) for side, keys in
                       zip((self.legacy, self.candidate), suspects)]
            legacy_rows, candidate_rows = (f.result() for f in fetched)
            settled = len(left) - len(suspects[0])  # present on both sides with the same hash
        else:
            legacy_rows, candidate_rows = self.both("fetch", lo, hi)
            settled = 0
        found = self._compare(legacy_rows, candidate_rows)
        with self.lock:
            r = self.result
            r.leaves += 1
            r.rows_verified += max(bucket.rows, len(legacy_rows), len(candidate_rows))
            if settled:
                for i, column in enumerate(columns):
                    # The bucket counted the legacy rows' non-NULLs; what the fetched rows do not
                    # account for belongs to the rows whose hashes agreed.
                    fetched_non_null = sum(row[width + i] is not None for row in legacy_rows)
                    non_null = min(settled, max(0, bucket.non_null[i] - fetched_non_null))
                    r.columns[column].equal += non_null
                    r.columns[column].both_null += settled - non_null
        for difference in found:
            self._record(difference)
        if found:
            self.differ.add_differences(len(found))
        self._progress()

    def _compare(self, legacy_rows: list[tuple], candidate_rows: list[tuple]) -> list[RowDifference]:
        """Match rows by key and compare them column by column, counting into the column stats."""
        width = len(self.result.key)
        left = _by_key(legacy_rows, width)
        right = _by_key(candidate_rows, width)
        found: list[RowDifference] = []
        columns = self.result.compared_columns
        norms = [self.legacy.normalisers[c] for c in columns]
        with self.lock:
            r = self.result
            for text_key, row in left.items():
                key = _key_dict(r.key, row[:width])
                other = right.get(text_key)
                if other is None:
                    r.missing += 1
                    found.append(RowDifference("missing", r.table, key, legacy=_values(columns, row[width:])))
                    continue
                differing = []
                for i, (column, norm) in enumerate(zip(columns, norms)):
                    a, b = row[width + i], other[width + i]
                    stats = r.columns[column]
                    if a is None and b is None:
                        stats.both_null += 1
                    elif a is None or b is None:
                        if a is None:
                            stats.null_legacy_only += 1
                        else:
                            stats.null_candidate_only += 1
                        differing.append(column)
                    elif norm.equal(a, b):
                        stats.equal += 1
                    else:
                        stats.differs += 1
                        differing.append(column)
                    if column in differing[-1:] and len(stats.samples) < self.options.samples:
                        stats.samples.append(ValueSample(key, display(a), display(b)))
                if differing:
                    r.changed += 1
                    found.append(RowDifference("changed", r.table, key, tuple(differing),
                                               {c: display(row[width + columns.index(c)]) for c in differing},
                                               {c: display(other[width + columns.index(c)]) for c in differing}))
            for text_key, row in right.items():
                if text_key not in left:
                    r.extra += 1
                    found.append(RowDifference("extra", r.table, _key_dict(r.key, row[:width]),
                                               candidate=_values(columns, row[width:])))
        return found

    def _record(self, difference: RowDifference) -> None:
        limit = self.options.max_differences
        with self.lock:
            if limit is None or len(self.result.differences) < limit:
                self.result.differences.append(difference)

    def _progress(self) -> None:
        if self.options.progress is not None:
            self.options.progress(self.result.table, min(self.result.rows_verified, self.total), self.total)


def _declared_unique(table: Table, key: tuple[str, ...]) -> bool:
    wanted = set(key)
    return set(table.primary_key) == wanted or any(set(u.columns) == wanted for u in table.uniques)


def _by_key(rows: list[tuple], width: int) -> dict[tuple, tuple]:
    """Rows by their key as text (so a uuid.UUID and its string match); the first of duplicates wins
    (duplicates are reported on their own)."""
    out: dict[tuple, tuple] = {}
    for row in rows:
        out.setdefault(tuple(key_text(v) for v in row[:width]), row)
    return out


def _key_dict(names: tuple[str, ...], values: tuple) -> dict[str, Any]:
    return {n: display(v) for n, v in zip(names, values)}


def _values(columns: tuple[str, ...], values: tuple) -> dict[str, Any]:
    return {c: display(v) for c, v in zip(columns, values)}


