"""What the commands print: the run's verdict (text or one JSON document) and each data command's text.

Everything here renders from results (`AreaResult`s and the run they belong to) and returns text; the
commands print it.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from harness.core.results import BLOCKING, AreaResult, Finding

if TYPE_CHECKING:
    from harness.core.runs import Interrupted, Run

#: A failed area's blocking findings shown under its line (the rest are in <area>.json).
SHOWN_FINDINGS = 3
#: Differing rows shown per table by `harness data rows` (the rest are in data.json).
SHOWN_ROWS = 20
SCHEMA_SEVERITIES = ("breaking", "risky", "cosmetic")


def run_passed(results: list[AreaResult], interrupted: Interrupted | None = None) -> bool:
    return interrupted is None and all(result.passed for result in results)


def verdict_json(run: Run, results: list[AreaResult], interrupted: Interrupted | None = None) -> str:
    document: dict[str, Any] = {"run_id": run.run_id, "out_dir": str(run.out_dir),
                                "passed": run_passed(results, interrupted),
                                "areas": [result.to_dict() for result in results], "notes": list(run.notes)}
    if interrupted is not None:
        document["interrupted"] = {"signal": interrupted.name, "exit_code": interrupted.exit_code,
                                   "during": interrupted.during}
    return json.dumps(document, indent=2, default=str)


def _state(result: AreaResult) -> str:
    if result.skipped:
        return "skipped"
    if result.passed:
        return "passed"
    return "INTERRUPTED" if result.interrupted else "FAILED"


def _area_lines(result: AreaResult, width: int) -> list[str]:
    blocking = [finding for finding in result.findings if finding.severity in BLOCKING]
    lines = [f"  {result.area:<{width}}  {_state(result)}  {result.duration_s:7.1f} s  {len(result.findings)} "
             f"findings ({len(blocking)} critical/high)"]
    if result.skipped:
        lines.append(f"      {result.skipped}")
    if not result.passed:
        lines += [f"      {_first_line(finding)[:300]}" for finding in blocking[:SHOWN_FINDINGS]]
        if len(blocking) > SHOWN_FINDINGS:
            lines.append(f"      ... and {len(blocking) - SHOWN_FINDINGS} more in {result.area}.json")
    return lines


def _first_line(finding: Finding) -> str:
    return (finding.message.strip().splitlines() or [finding.id])[0]


def verdict_text(run: Run, results: list[AreaResult], interrupted: Interrupted | None = None) -> str:
    lines = [f"Run {run.run_id} (seed {run.seed}, scale {run.scale}): {run.out_dir}"]
    width = max((len(result.area) for result in results), default=0)
    for result in results:
        lines += _area_lines(result, width)
    lines += [f"Note: {note}" for note in run.notes]
    failed = [result.area for result in results if not result.passed]
    if interrupted is not None:
        lines.append(f"Interrupted by {interrupted.name} while {interrupted.during}: partial results")
    elif failed:
        lines.append(f"Failed: {', '.join(failed)}")
    else:
        lines.append(f"All {len(results)} area(s) passed.")
    return "\n".join(lines)


# -- the data commands -------------------------------------------------------------------------------------------

def _where(evidence: dict[str, Any]) -> str:
    return evidence.get("table", "") + ("." + evidence["name"] if evidence.get("name") else "")


def _schema_line(finding: Finding) -> str:
    evidence = finding.evidence
    accepted = evidence.get("allow_listed")
    first = "allowed" if accepted else str(evidence["schema_severity"]).upper()
    why = accepted["reason"] if accepted else finding.message
    return f"{first:<9} {evidence['kind']:<20} {_where(evidence):<45} {why}"


def schema_text(result: AreaResult) -> str:
    """`harness data schema`: one line per difference (accepted ones last), then the counts."""
    schema = [finding for finding in result.findings if "schema_severity" in finding.evidence]
    remaining = [finding for finding in schema if "allow_listed" not in finding.evidence]
    lines = [_schema_line(finding) for finding in remaining]
    lines += [_schema_line(finding) for finding in schema if "allow_listed" in finding.evidence]
    lines += [finding.message for finding in result.findings if finding.check == "accepted_difference_expired"]
    counts = ", ".join(f"{sum(f.evidence['schema_severity'] == s for f in remaining)} {s}"
                       for s in SCHEMA_SEVERITIES)
    tables = {metric.side: metric.value for metric in result.metrics if metric.id == "schema_tables"}
    lines.append(f"Schema: {tables.get('legacy', 0)} legacy / {tables.get('candidate', 0)} candidate tables; "
                 f"{counts}; {len(schema) - len(remaining)} allow-listed.")
    return "\n".join(lines)


def _table_state(findings: list[Finding]) -> str:
    by_check = {finding.check: finding.evidence for finding in findings}
    parity, incomplete = by_check.get("row_parity"), by_check.get("rows_incomplete")
    state = "ok" if parity is None else (f"{parity['missing']} missing, {parity['extra']} extra, "
                                         f"{parity['changed']} changed, {parity['duplicates']} duplicate keys")
    if incomplete is not None:
        state += f" (incomplete: {incomplete['stopped']}; {incomplete['rows_verified']:,} rows verified)"
    return state


def _table_lines(table: str, counts: dict[str, Any], method: str, findings: list[Finding]) -> list[str]:
    error = next((f.evidence["error"] for f in findings if f.check == "rows_incomplete" and f.evidence["error"]), None)
    if error:
        return [f"{table:<28} ERROR {error}"]
    lines = [f"{table:<28} {counts.get('legacy', 0):>10,} / {counts.get('candidate', 0):<10,} rows  {method:<6} "
             f"{_table_state(findings)}"]
    rows = [finding for finding in findings if finding.id.startswith("rows:") and finding.check.startswith("row_")
            and finding.check != "row_parity"]
    lines += [f"    {finding.message}" for finding in rows[:SHOWN_ROWS]]
    if len(rows) > SHOWN_ROWS:
        lines.append(f"    ... {len(rows) - SHOWN_ROWS} more (see --json or --out)")
    return lines


def rows_text(result: AreaResult) -> str:
    """`harness data rows`: a line per table (its counts and state), its first differing rows, then totals."""
    counts: dict[str, dict[str, Any]] = {}
    methods: dict[str, str] = {}
    for metric in result.metrics:
        if metric.id.startswith("rows."):
            table = metric.id.split(".", 1)[1]
            counts.setdefault(table, {})[metric.side] = metric.value
            methods[table] = metric.evidence or ""
    lines = []
    for table in counts:
        findings = [finding for finding in result.findings if finding.operation == f"table {table}"]
        lines += _table_lines(table, counts[table], methods[table], findings)
    figures = {metric.id: metric.value for metric in result.metrics}
    clean = result.passed
    lines.append(f"Rows: {figures.get('rows_compared', 0):,} in {len(counts)} tables, "
                 f"{figures.get('rows_seconds', 0):.2f} s ({figures.get('rows_per_second', 0):,.0f} rows/s); "
                 f"{'no differences' if clean else 'DIFFERENCES'}.")
    return "\n".join(lines)


def checks_text(result: AreaResult, title: str) -> str:
    """`harness data migrate-check` / `cross-write`: every finding, every gated metric, then the verdict."""
    lines = [f"{f.severity.upper():<9} {f.check:<26} {f.message}" for f in result.findings]
    lines += [f"{'ok' if m.passed else 'FAILED':<9} {m.id:<40} {m.value} (target {m.target})"
              for m in result.metrics if m.passed is not None]
    lines.append(f"{title}: {'passed' if result.passed else 'FAILED'} in {result.duration_s:.1f} s, "
                 f"{len(result.findings)} finding(s).")
    return "\n".join(lines)
