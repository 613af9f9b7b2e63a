"""One table's key space walked in checksummed segments, on a pool of workers, within the run's budgets.

    with worker_pools(options.workers) as pools:
        TableTraversal(result, plan, legacy_side, candidate_side, options, budget, pools, in_sql=True).run()

  1. counts on both sides, NULL keys, and duplicate keys (where the key is not declared unique);
  2. the key space is cut into leaf-sized segments (sampled key boundaries, at most TOP_SEGMENTS), one
     contiguous range per worker, and every segment of a range checksummed on both sides in one query
     (`sides`: in PostgreSQL, or in Python over canonical texts);
  3. a segment whose (row count, checksum, non-NULL counts) differ and holds more than `leaf_rows` rows
     is cut again (`bisection_factor` parts) and so on, in parallel over `workers` connections per side;
  4. a leaf is resolved to single rows: with SQL checksums its (key, row hash) pairs are compared and
     only the rows whose hash differs, or that one side lacks, are read; otherwise its rows are read.
     The rows are compared by `row_compare.RowComparer`.
Segments whose checksums agree count as verified without a row leaving the database: their rows are
all "equal" or "both NULL" per column (from count(column)).

Budgets (`Budget`, shared by every table of a run): past `max_seconds` no segment starts, and once
`max_differences` differing rows are known none does either; the table says it is incomplete and why.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from threading import Lock
from typing import Any

from .model import Table
from .row_compare import Compared, RowComparer, index_by_key
from .row_plan import RowsOptions, TablePlan
from .row_results import RowDifference, TableRows
from .sides import Bucket, Key, TableSide

#: The most segments the first pass cuts a table into; only bigger tables are bisected below leaf size.
TOP_SEGMENTS = 4096

Range = tuple[Key | None, Key | None, list[Key]]  # lo, hi, the bounds that cut [lo, hi) into segments


class Budget:
    """The run's time and difference budgets, shared by its tables and their workers."""

    def __init__(self, max_seconds: float | None, max_differences: int | None) -> None:
        self.deadline = time.monotonic() + max_seconds if max_seconds is not None else None
        self.max_differences = max_differences
        self.differences_found = 0
        self.lock = Lock()

    def spend(self, n: int) -> None:
        """Count n differing rows found."""
        with self.lock:
            self.differences_found += n

    def exhausted(self) -> str | None:
        """Why no more segment may start, or None."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            return "time budget reached"
        if self.max_differences is not None and self.differences_found >= self.max_differences:
            return "difference budget reached"
        return None


@dataclass(frozen=True, slots=True)
class Pools:
    queries: ThreadPoolExecutor  # one query per side at a time, for every worker
    segments: ThreadPoolExecutor  # segment tasks


@contextlib.contextmanager
def worker_pools(workers: int) -> Iterator[Pools]:
    """`workers` segment tasks at a time, each with a query on both sides."""
    with ThreadPoolExecutor(max_workers=2 * workers, thread_name_prefix="rows-query") as queries, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rows-segment") as segments:
        yield Pools(queries, segments)


def top_ranges(bounds: list[Key], workers: int) -> list[Range]:
    """Split the top bounds into one contiguous range per worker: each worker's query scans its range."""
    workers = min(workers, len(bounds) + 1)
    if workers <= 1:
        return [(None, None, bounds)]
    per = (len(bounds) + 1) / workers
    cuts = [round(per * i) for i in range(1, workers)]  # indexes into bounds that start a new range
    out: list[Range] = []
    lo, start = None, 0
    for cut in cuts:
        out.append((lo, bounds[cut - 1], bounds[start:cut - 1]))
        lo, start = bounds[cut - 1], cut
    out.append((lo, None, bounds[start:]))
    return out


def declared_unique(table: Table, key: tuple[str, ...]) -> bool:
    wanted = set(key)
    return set(table.primary_key) == wanted or any(set(u.columns) == wanted for u in table.uniques)


def same_content(a: Bucket, b: Bucket) -> bool:
    return a.rows == b.rows and a.checksum == b.checksum and a.non_null == b.non_null


class TableTraversal:
    """The segments of one table, as tasks on the segment pool, counted into `result`."""

    def __init__(self, result: TableRows, plan: TablePlan, legacy: TableSide, candidate: TableSide,
                 options: RowsOptions, budget: Budget, pools: Pools, *, in_sql: bool) -> None:
        self.result, self.plan, self.legacy, self.candidate = result, plan, legacy, candidate
        self.options, self.budget, self.pools, self.in_sql = options, budget, pools, in_sql
        self.comparer = RowComparer(plan.table, plan.key, plan.compared,
                                    [plan.normalisers[c] for c in plan.compared], options.samples)
        self.lock = Lock()
        self.pending: list[Future] = []
        self.total = 0

    def both(self, method: str, *args: Any) -> tuple[Any, Any]:
        """Run one query on both sides at once."""
        a = self.pools.queries.submit(getattr(self.legacy, method), *args)
        b = self.pools.queries.submit(getattr(self.candidate, method), *args)
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
        for lo, hi, inner in top_ranges(larger.sample_points(self.total, pieces), self.options.workers):
            self._submit(lo, hi, inner)
        self._drain()
        self._progress()

    # -- keys ---------------------------------------------------------------------------------------------
    def _key_integrity(self) -> None:
        """NULL keys make a table not comparable; duplicate keys (of a key not declared unique) are differences."""
        for side, table, rows in (("legacy", self.plan.legacy, self.legacy),
                                  ("candidate", self.plan.candidate, self.candidate)):
            nulls = rows.null_keys() if any(table.columns[k].nullable for k in self.plan.key) else 0
            if nulls:
                self.result.fail(f"{nulls} row(s) on the {side} side have a NULL in key "
                                 f"({', '.join(self.plan.key)}): not comparable")
                return
            if not declared_unique(table, self.plan.key):
                self._duplicates(side, rows)

    def _duplicates(self, side: str, rows: TableSide) -> None:
        found, sample = rows.duplicate_keys(self.options.samples)
        self.result.duplicates += found
        for key, count in sample:
            self._record(self.comparer.duplicate(key, side, count))
        if found:
            self.budget.spend(found)

    # -- segments -----------------------------------------------------------------------------------------
    def _submit(self, lo: Key | None, hi: Key | None, bounds: list[Key]) -> None:
        with self.lock:
            self.pending.append(self.pools.segments.submit(self._segment, lo, hi, bounds))

    def _drain(self) -> None:
        while True:
            with self.lock:
                if not self.pending:
                    return
                future = self.pending.pop(0)
            future.result()

    def _halted(self) -> bool:
        reason = self.budget.exhausted()
        if reason is None:
            return False
        with self.lock:
            self.result.complete = False
            self.result.stopped = self.result.stopped or reason
        return True

    def _segment(self, lo: Key | None, hi: Key | None, bounds: list[Key]) -> None:
        """Checksum the segments `bounds` cut [lo, hi) into, on both sides, and follow up each."""
        if self._halted():
            return
        legacy, candidate = self.both("checksums", lo, hi, bounds)
        edges = [lo, *bounds, hi]
        with self.lock:
            self.result.segments += len(legacy)
        for i, (a, b) in enumerate(zip(legacy, candidate, strict=True)):
            self._follow_up(edges[i], edges[i + 1], a, b)

    def _follow_up(self, lo: Key | None, hi: Key | None, a: Bucket, b: Bucket) -> None:
        """A segment that agrees is verified, a small one resolved to rows, a big one cut again."""
        rows = max(a.rows, b.rows)
        if same_content(a, b):
            self._verified(a)
        elif rows <= self.options.leaf_rows:
            self._leaf(lo, hi, a)
        else:
            larger = self.legacy if a.rows >= b.rows else self.candidate
            inner = larger.split_points(lo, hi, rows, self.options.bisection_factor)
            if inner:
                self._submit(lo, hi, inner)
            else:  # one key value fills the segment (duplicates): nothing left to cut
                self._leaf(lo, hi, a)

    def _verified(self, bucket: Bucket) -> None:
        with self.lock:
            self.result.rows_verified += bucket.rows
            self._count_alike(bucket.rows, bucket.non_null)
        self._progress()

    def _count_alike(self, rows: int, non_null: list[int]) -> None:
        """`rows` rows known to agree: per column, its non-NULL values are equal and the rest both NULL."""
        for column, values in zip(self.result.compared_columns, non_null, strict=True):
            stats = self.result.columns[column]
            stats.count("equal", values)
            stats.count("both_null", rows - values)

    # -- leaves -------------------------------------------------------------------------------------------
    def _leaf(self, lo: Key | None, hi: Key | None, bucket: Bucket) -> None:
        """Resolve one small segment to single rows."""
        if self._halted():
            return
        legacy_rows, candidate_rows, settled = self._leaf_rows(lo, hi)
        with self.lock:
            compared = self.comparer.compare(legacy_rows, candidate_rows, self.result.columns)
            self._count_leaf(bucket, legacy_rows, candidate_rows, settled, compared)
        for difference in compared.differences:
            self._record(difference)
        if compared.differences:
            self.budget.spend(len(compared.differences))
        self._progress()

    def _leaf_rows(self, lo: Key | None, hi: Key | None) -> tuple[list[tuple], list[tuple], int]:
        """(legacy rows, candidate rows, how many rows both sides hold alike and were not read).

        With SQL checksums only (key, row hash) pairs travel, and full rows only for keys whose hash
        differs or that one side lacks; otherwise every row of the segment is read."""
        if not self.in_sql:
            legacy_rows, candidate_rows = self.both("fetch", lo, hi)
            return legacy_rows, candidate_rows, 0
        width = len(self.plan.key)
        left, right = (index_by_key(rows, width)[0] for rows in self.both("row_hashes", lo, hi))
        suspects = (_suspects(left, right, width), _suspects(right, left, width))
        fetched = [self.pools.queries.submit(side.fetch_keys, keys)
                   for side, keys in zip((self.legacy, self.candidate), suspects, strict=True)]
        legacy_rows, candidate_rows = (f.result() for f in fetched)
        return legacy_rows, candidate_rows, len(left) - len(suspects[0])

    def _count_leaf(self, bucket: Bucket, legacy_rows: list[tuple], candidate_rows: list[tuple], settled: int,
                    compared: Compared) -> None:
        r = self.result
        r.leaves += 1
        r.rows_verified += max(bucket.rows, len(legacy_rows), len(candidate_rows))
        r.missing += compared.count("missing")
        r.extra += compared.count("extra")
        r.changed += compared.count("changed")
        if settled:
            self._count_alike(settled, self._settled_non_null(bucket, legacy_rows, settled))

    def _settled_non_null(self, bucket: Bucket, legacy_rows: list[tuple], settled: int) -> list[int]:
        """Per column, the non-NULL values of the `settled` rows (not read): the bucket counted the legacy
        side's non-NULLs, and what the fetched legacy rows do not account for belongs to them."""
        width = len(self.plan.key)
        out = []
        for i, total in enumerate(bucket.non_null):
            seen = sum(row[width + i] is not None for row in legacy_rows)
            out.append(min(settled, max(0, total - seen)))
        return out

    # -- the result ---------------------------------------------------------------------------------------
    def _record(self, difference: RowDifference) -> None:
        limit = self.options.max_differences
        with self.lock:
            if limit is None or len(self.result.differences) < limit:
                self.result.differences.append(difference)

    def _progress(self) -> None:
        if self.options.progress is not None:
            self.options.progress(self.result.table, min(self.result.rows_verified, self.total), self.total)


def _suspects(mine: dict[tuple, tuple], theirs: dict[tuple, tuple], width: int) -> list[Key]:
    """The keys of `mine` whose row hash (the last value) `theirs` does not have for that key."""
    return [row[:width] for text, row in mine.items() if theirs.get(text, (None,))[-1] != row[-1]]
