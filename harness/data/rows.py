"""`harness data rows`: compare tables between two databases by primary key, fast.

    report = diff_rows("postgresql://.../legacy", "postgresql://.../candidate", tables=["users"])
    for table in report.tables:
        for d in table.differences:
            print(d.kind, d.table, d.key, d.columns)

The run reflects both databases, selects the tables (`schema.check_selection`) and checks the options
against them, then compares each table in three parts:
  `row_plan`      which key and columns, by which rules, and the two sides' queries (`sides`);
  `row_segments`  the key space in checksummed segments, bisected where they differ, on a pool of
                  workers, within the budgets;
  `row_compare`   the rows of a differing leaf matched by key and compared column by column (no
                  database needed), into `row_results`' column stats and row differences.

Budgets: `max_seconds` stops the run (the result says what was left unverified) and `max_differences`
stops it once that many differing rows are known. The engine never prints: `progress` is called with
(table, rows verified, rows in total).
"""
from __future__ import annotations

import time
from collections.abc import Iterable

import sqlalchemy as sa

from .connect import DatabaseUnreachable, DataInputError, first_line, open_engine, shown
from .model import SchemaSnapshot
from .row_plan import Progress, RowsOptions, check_options, checksum_in_sql, open_sides, plan_table
from .row_results import ColumnStats, RowDifference, RowsReport, TableRows, ValueSample
from .row_segments import Budget, Pools, TableTraversal, worker_pools
from .schema import check_selection, reflect_engine
from .sides import PG_SESSION

__all__ = ["ColumnStats", "Progress", "RowDiffer", "RowDifference", "RowsOptions", "RowsReport", "TableRows",
           "ValueSample", "check_options", "diff_rows"]


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


class RowDiffer:
    """One run over two open databases: its tables one after the other, on one pool of workers and budget."""

    def __init__(self, legacy: sa.Engine, candidate: sa.Engine, options: RowsOptions) -> None:
        self.legacy, self.candidate, self.options = legacy, candidate, options
        self.budget = Budget(options.max_seconds, options.max_differences)
        self.in_sql = checksum_in_sql(options, legacy, candidate)

    def run(self, tables: Iterable[str] | None) -> RowsReport:
        started = time.perf_counter()
        report = RowsReport(shown(self.legacy), shown(self.candidate), started=time.time())
        tables = list(tables) if tables is not None else None
        legacy_schema, candidate_schema = self._reflect(tables)
        names = check_selection((legacy_schema, candidate_schema), tables=tables, framework_ignored=tables is None)
        check_options(self.options, names, legacy_schema, candidate_schema)
        with worker_pools(self.options.workers) as pools:
            for name in names:
                report.tables.append(self._table(name, legacy_schema, candidate_schema, pools))
        report.seconds = time.perf_counter() - started
        return report

    def _reflect(self, tables: list[str] | None) -> tuple[SchemaSnapshot, SchemaSnapshot]:
        try:
            return reflect_engine(self.legacy, tables=tables), reflect_engine(self.candidate, tables=tables)
        except sa.exc.OperationalError as exc:
            raise DatabaseUnreachable(first_line(exc)) from None

    def _table(self, name: str, legacy_schema: SchemaSnapshot, candidate_schema: SchemaSnapshot,
               pools: Pools) -> TableRows:
        started = time.perf_counter()
        result = TableRows(name, method="sql" if self.in_sql else "python")
        old, new = legacy_schema.tables.get(name), candidate_schema.tables.get(name)
        if old is None or new is None:
            return result.fail(f"table {name} exists only in the {'candidate' if old is None else 'legacy'} database")
        try:
            plan = plan_table(name, old, new, self.options)
        except DataInputError as exc:
            return result.fail(str(exc))
        plan.fill(result)
        legacy, candidate = open_sides(plan, self.legacy, self.candidate, in_sql=self.in_sql)
        try:
            TableTraversal(result, plan, legacy, candidate, self.options, self.budget, pools, in_sql=self.in_sql).run()
        except sa.exc.OperationalError as exc:
            raise DatabaseUnreachable(first_line(exc)) from None
        except sa.exc.DBAPIError as exc:
            result.fail(f"query failed: {first_line(exc)}")
        result.sql = {"legacy": legacy.log.examples, "candidate": candidate.log.examples}
        result.seconds = time.perf_counter() - started
        return result
