"""The data area's result in DESIGN.md's one result schema (`reports/<run-id>/data.json`): the engine's
own dataclasses (`SchemaDifference`, `RowsReport`) become the core's AreaResult, Metrics and Findings,
with the evidence a reader needs (definitions on both sides, sample values, the SQL each side ran) and
a command or query that reproduces each finding."""
from __future__ import annotations

import shlex
from datetime import UTC, datetime
from typing import Any

from harness.core.results import AreaResult, Finding, Metric
from harness.core.reviewed import expired_findings

from .allowlist import Allowed
from .model import SEVERITIES, SchemaDifference
from .rows import RowDifference, RowsReport, TableRows

#: Schema severities onto DESIGN.md's finding severities.
FINDING_SEVERITY = {"breaking": "high", "risky": "medium", "cosmetic": "low"}


def to_area_result(*, legacy: str, candidate: str, started: datetime | None = None, duration_s: float = 0.0,
                   schema: Allowed | None = None, rows: RowsReport | None = None,
                   fail_on: str = "cosmetic", targets: dict[str, dict] | None = None,
                   tables: tuple[int, int] | None = None) -> AreaResult:
    """One area result for a schema comparison, a row comparison, or both.

    `fail_on` is the least schema severity that fails the gate (allow-listed differences never do).
    `targets` are the core targets' descriptions when the area runs inside `harness verify`; `tables` the number
    of tables reflected on each side."""
    result = AreaResult(area="data", passed=True, started=(started or datetime.now(UTC)).isoformat(),
                        duration_s=round(duration_s, 3), targets=targets or {})
    if schema is not None:
        _add_schema(result, schema, legacy, candidate, fail_on)
    if tables is not None:
        result.metrics += [_metric("schema_tables", count, None, None, unit="tables", side=side)
                           for side, count in zip(("legacy", "candidate"), tables, strict=True)]
    if rows is not None:
        _add_rows(result, rows, legacy, candidate)
    return result


def _add_schema(result: AreaResult, schema: Allowed, legacy: str, candidate: str, fail_on: str) -> None:
    failing = [d for d in schema.remaining if SEVERITIES.index(d.severity) <= SEVERITIES.index(fail_on)]
    result.passed &= not failing and not schema.expired
    result.findings += [_schema_finding(d, legacy, candidate) for d in schema.remaining]
    result.findings += [_schema_finding(d, legacy, candidate, allowed=e.as_dict()) for d, e in schema.accepted]
    result.findings += expired_findings("data", schema.expired)
    by_severity = {s: sum(d.severity == s for d in schema.remaining) for s in SEVERITIES}
    result.metrics.append(_metric("schema_differences", len(schema.remaining), "== 0", not failing,
                                  evidence=f"{legacy} vs {candidate}: {by_severity}, {len(schema.accepted)} "
                                           f"allow-listed"))


def _add_rows(result: AreaResult, rows: RowsReport, legacy: str, candidate: str) -> None:
    result.passed &= rows.clean
    for table in rows.tables:
        result.findings += _table_findings(table, legacy, candidate)
        result.metrics += [_metric(f"rows.{table.table}", count, None, None, unit="rows", side=side,
                                   evidence=table.method)
                           for side, count in (("legacy", table.legacy_rows), ("candidate", table.candidate_rows))]
    result.metrics += [
        _metric("rows_compared", rows.rows, None, None, unit="rows", evidence=f"{legacy} vs {candidate}"),
        _metric("differing_rows", sum(t.differing_rows for t in rows.tables), "== 0",
                all(t.differing_rows == 0 for t in rows.tables), unit="rows"),
        _metric("rows_per_second", round(rows.rows_per_second, 1), None, None, unit="rows/s"),
        _metric("rows_seconds", round(rows.seconds, 3), None, None, unit="s"),
        _metric("tables_compared", sum(t.error is None for t in rows.tables), None, None, unit="tables"),
    ]


def _metric(name: str, value: Any, target: str | None, passed: bool | None, *, unit: str = "count",
            evidence: str | None = None, side: str = "both") -> Metric:
    return Metric(id=name, side=side, value=value, unit=unit, target=target, passed=passed, evidence=evidence)


def _schema_finding(d: SchemaDifference, legacy: str, candidate: str, *, allowed: dict | None = None) -> Finding:
    evidence: dict[str, Any] = {"kind": d.kind, "table": d.table, "name": d.name, "schema_severity": d.severity,
                                "legacy": d.legacy, "candidate": d.candidate}
    if allowed:
        evidence["allow_listed"] = allowed
    command = ["harness", "data", "schema", "--legacy-db", legacy, "--candidate-db", candidate]
    if d.table:
        command += ["--tables", d.table]
    return Finding(id=f"schema:{d.kind}:{d.table}:{d.name}", check=f"schema_{d.kind}",
                   severity="info" if allowed else FINDING_SEVERITY[d.severity],
                   operation=f"table {d.table}" if d.table else "schema", message=d.message,
                   evidence=evidence, reproduce=shlex.join(command))


def _table_findings(table: TableRows, legacy: str, candidate: str) -> list[Finding]:
    out = []
    sql = table.sql
    if table.error or not table.complete:
        out.append(Finding(id=f"rows:incomplete:{table.table}", check="rows_incomplete", severity="high",
                           operation=f"table {table.table}",
                           message=f"{table.table}: {table.error or table.stopped}; {table.rows_verified:,} of "
                                   f"{max(table.legacy_rows, table.candidate_rows):,} rows verified",
                           evidence={"sql": sql, "error": table.error, "stopped": table.stopped,
                                     "rows_verified": table.rows_verified},
                           reproduce=_rows_command(table.table, legacy, candidate)))
    if table.differing_rows:
        columns = {c: _column_evidence(s) for c, s in table.columns.items() if s.differing}
        out.append(Finding(id=f"rows:summary:{table.table}", check="row_parity", severity="high",
                           operation=f"table {table.table}",
                           message=f"{table.table}: {table.missing} missing, {table.extra} extra, {table.changed} "
                                   f"changed, {table.duplicates} duplicate key(s) of {table.legacy_rows:,} legacy rows",
                           evidence={"key": list(table.key), "legacy_rows": table.legacy_rows,
                                     "missing": table.missing, "extra": table.extra, "changed": table.changed,
                                     "duplicates": table.duplicates,
                                     "candidate_rows": table.candidate_rows, "columns": columns,
                                     "skipped_columns": table.skipped_columns, "sql": sql},
                           reproduce=_rows_command(table.table, legacy, candidate)))
    for d in table.differences:
        out.append(_row_finding(d, legacy, candidate))
    return out


def _column_evidence(stats) -> dict:
    return {"legacy_type": stats.legacy_type, "candidate_type": stats.candidate_type, "equal": stats.equal,
            "both_null": stats.both_null, "null_legacy_only": stats.null_legacy_only,
            "null_candidate_only": stats.null_candidate_only, "differs": stats.differs,
            "samples": [{"key": s.key, "legacy": s.legacy, "candidate": s.candidate} for s in stats.samples]}


def describe_row(d: RowDifference) -> str:
    key = ", ".join(f"{k}={v}" for k, v in d.key.items())
    if d.kind == "missing":
        return f"{d.table} ({key}) is missing from the candidate"
    if d.kind == "extra":
        return f"{d.table} ({key}) exists only in the candidate"
    if d.kind == "duplicate":
        return f"{d.table} ({key}) occurs {d.count} times on the {d.side} side"
    changes = "; ".join(f"{c}: {d.legacy[c]!r} -> {d.candidate[c]!r}" for c in d.columns)
    return f"{d.table} ({key}) differs in {', '.join(d.columns)}: {changes}"


def _row_finding(d: RowDifference, legacy: str, candidate: str) -> Finding:
    where = " AND ".join(f"{_ident(k)} = {_literal(v)}" for k, v in d.key.items())
    select = f"SELECT * FROM {_ident(d.table)} WHERE {where};"
    return Finding(id=f"rows:{d.kind}:{d.table}:{'|'.join(str(v) for v in d.key.values())}", check=f"row_{d.kind}",
                   severity="high", operation=f"table {d.table}", message=describe_row(d),
                   evidence={"table": d.table, "key": d.key, "columns": list(d.columns), "legacy": d.legacy,
                             "candidate": d.candidate, "side": d.side, "count": d.count},
                   reproduce=f"{select}  -- on {legacy} and on {candidate}")


def _rows_command(table: str, legacy: str, candidate: str) -> str:
    return shlex.join(["harness", "data", "rows", "--legacy-db", legacy, "--candidate-db", candidate,
                       "--tables", table])


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"
