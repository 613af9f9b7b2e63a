"""`harness data migrate-check`: run the candidate's real migration paths and verify what they leave.

    options = MigrateOptions(DjangoCommands(manage=("{python}", "-m", "yourapp.manage")))
    report = check_migration("postgresql://.../legacy", "postgresql://.../empty", options)
    result = report.to_area_result()

Two paths, each followed by the checks of `CHECKS` (each a small function returning its findings and the
metrics it measured):

copy      `migrate` builds the candidate's schema on an empty database, then the candidate's own
          `copy_legacy_rows --from <legacy>` command copies the rows.
in-place  `migrate --fake-initial` adopts a legacy-built database (`migrate_databases`: a clone of the
          legacy one unless a database is named for it).

After either: the schema is the one before (`schema_unchanged`: the legacy one, for the copy path), the
row and soft-deleted counts per table agree (`counts_unchanged`), no FK row is orphaned (`no_orphans`),
and every row is identical to the legacy database's (`rows_identical`, the row differ; in place only on
the harness's clone). A command that fails is a critical finding and ends its path. Orphans already in
the legacy database are reported too: the copy path cannot carry them over.

The candidate is reached through commands only (`migrate_commands.DjangoCommands`: its manage command as
an argv prefix and the environment, both from the candidate's configuration; DATABASE_URL is set per
step), never imported.
"""
from __future__ import annotations

import dataclasses
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from harness.core.results import AreaResult, Finding, Metric, Severity, gate

from .census import Census, Orphans, take_census
from .connect import DataInputError
from .migrate_commands import DjangoCommands, StepRun, check_runnable, hidden, run_step
from .migrate_databases import clone_database, in_place_database, require_empty_target, same_database
from .report import to_area_result as rows_area_result
from .rows import RowsOptions, diff_rows
from .schema import diff as schema_diff

__all__ = ["AREA", "CHECKS", "PATHS", "DjangoCommands", "MigrateOptions", "MigrateReport", "StepRun",
           "check_migration", "check_runnable", "clone_database", "run_step", "same_database"]

AREA = "data-migrate"
PATHS = ("copy", "in-place")
Progress = Callable[[str], None]


@dataclass(slots=True)
class MigrateOptions:
    commands: DjangoCommands  # the candidate's manage command, from its configuration
    paths: tuple[str, ...] = PATHS
    in_place_url: str | None = None  # None: a clone of the legacy database
    batch_size: int = 1000
    rows: RowsOptions = field(default_factory=RowsOptions)
    progress: Progress | None = None

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


class Found(NamedTuple):
    """What one check found: findings, and the metrics it measured."""

    findings: list[Finding]
    metrics: list[Metric]


@dataclass(slots=True)
class MigrateReport:
    legacy_url: str
    candidate_url: str
    in_place_url: str | None = None
    steps: list[StepRun] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    started: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return gate(self.metrics, self.findings)

    def to_area_result(self, targets: dict[str, dict[str, Any]] | None = None) -> AreaResult:
        """`targets`: the core targets' descriptions when run inside `harness verify` (the databases are named
        in the metrics' evidence and the findings either way)."""
        return AreaResult(area=AREA, passed=self.passed, metrics=list(self.metrics), findings=list(self.findings),
                          started=self.started, duration_s=round(self.seconds, 3), targets=targets or {})

    def add(self, found: Found) -> None:
        self.findings += found.findings
        self.metrics += found.metrics


# -- the entry point ----------------------------------------------------------------------------------------

def check_migration(legacy_url: str, candidate_url: str, options: MigrateOptions) -> MigrateReport:
    """Run the selected paths (`options.paths`) against the legacy database and the empty candidate one.

    Raises DataInputError (exit 2) for bad input, such as a candidate database that holds rows, and
    DatabaseUnreachable (exit 3) when a database does not answer; everything else is a finding."""
    _check_options(options)
    clock = time.perf_counter()
    report = MigrateReport(hidden(legacy_url), hidden(candidate_url), started=datetime.now(UTC).isoformat())
    options.say("legacy: census")
    legacy = take_census(legacy_url)
    if not legacy.tables:
        raise DataInputError(f"the legacy database {report.legacy_url} has no tables")
    report.add(orphans(legacy, side="legacy", where="legacy"))
    if "copy" in options.paths:
        check_copy_path(report, legacy_url, candidate_url, legacy, options)
    if "in-place" in options.paths:
        with in_place_database(legacy_url, options.in_place_url) as (url, cloned):
            report.in_place_url = hidden(url)
            check_in_place_path(report, legacy_url if cloned else None, url, options)
    report.seconds = time.perf_counter() - clock
    return report


def _check_options(options: MigrateOptions) -> None:
    unknown = [p for p in options.paths if p not in PATHS]
    if unknown or not options.paths:
        raise DataInputError(f"paths must be among {', '.join(PATHS)}, not {', '.join(unknown) or 'none'}")
    if options.batch_size < 1:
        raise DataInputError("the batch size must be at least 1")


# -- the paths ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PathOutcome:
    """What a path left, for the checks: the census before it (the legacy database's, for the copy path) and
    after it; `legacy_url` when the rows are compared with the legacy database's."""

    path: str  # copy | in-place
    before: Census
    after: Census
    url: str  # the database the path migrated
    legacy_url: str | None
    rows: RowsOptions


def check_copy_path(report: MigrateReport, legacy_url: str, candidate_url: str, legacy: Census,
                    options: MigrateOptions) -> None:
    require_empty_target(legacy_url, candidate_url, legacy.tables)
    commands = options.commands
    options.say("copy: migrate")
    if not _step(report, run_step("migrate", commands.migrate(), candidate_url, commands), "copy"):
        return
    options.say("copy: copy_legacy_rows")
    copy = run_step("copy", commands.copy(legacy_url, options.batch_size), candidate_url, commands)
    if not _step(report, copy, "copy"):
        return
    options.say("copy: census and row comparison")
    candidate = take_census(candidate_url)
    report.metrics += [
        _metric("copy_rows_copied", legacy.rows, side="candidate", unit="rows",
                evidence=f"{legacy.url} -> {candidate.url}"),
        _metric("copy_rows_per_second", round(legacy.rows / copy.seconds, 1) if copy.seconds else None,
                side="candidate", unit="rows/s", evidence="rows over the copy command's wall time")]
    _checks(report, PathOutcome("copy", legacy, candidate, candidate_url, legacy_url, options.rows))


def check_in_place_path(report: MigrateReport, legacy_url: str | None, url: str, options: MigrateOptions) -> None:
    """`legacy_url` is given when `url` is a clone of it: then the rows are compared too."""
    options.say("in-place: census before")
    before = take_census(url)
    clone = f" (a clone of {hidden(legacy_url)})" if legacy_url else ""
    report.metrics.append(_metric("in_place_rows", before.rows, side="candidate", unit="rows",
                                  evidence=f"{before.url}{clone}"))
    commands = options.commands
    options.say("in-place: migrate --fake-initial")
    if not _step(report, run_step("fake-initial", commands.fake_initial(), url, commands), "in-place"):
        return
    options.say("in-place: census after")
    _checks(report, PathOutcome("in-place", before, take_census(url), url, legacy_url, options.rows))


def _checks(report: MigrateReport, outcome: PathOutcome) -> None:
    for check in CHECKS:
        report.add(check(outcome))


def _step(report: MigrateReport, step: StepRun, path: str) -> bool:
    """Record a command; a failed one is a critical finding and ends its path."""
    report.steps.append(step)
    report.metrics.append(_metric(f"{path}_{step.name}_seconds".replace("-", "_"), step.seconds, side="candidate",
                                  unit="s", evidence=shlex.join(step.argv)))
    if not step.ok:
        report.findings.append(_finding(
            f"migrate:{path}:{step.name}:failed", f"{step.name.replace('-', '_')}_succeeded",
            f"{path} path: `{step.name}` exited with {step.returncode}: {_last_line(step.output)}",
            severity=Severity.CRITICAL, operation=f"{path} path",
            evidence={"argv": step.argv, "environment": step.environment, "returncode": step.returncode,
                      "output": step.output},
            reproduce=step.reproduce()))
    return step.ok


# -- the checks -------------------------------------------------------------------------------------------------

def schema_unchanged(outcome: PathOutcome) -> Found:
    """copy: the migrated schema is the legacy one. in-place: --fake-initial changed nothing.
    Every difference counts, cosmetic ones included: either path must leave the legacy DDL exactly."""
    path, reference, result = outcome.path, outcome.before, outcome.after
    differences = schema_diff(reference.schema, result.schema)
    what = "the migrated schema differs from the legacy one" if path == "copy" else "--fake-initial changed the schema"
    findings = [_finding(f"migrate:{path}:schema:{d.kind}:{d.table}:{d.name}", f"{_prefix(path)}_schema",
                         f"{path} path: {what}: {d.message}", operation=f"table {d.table}",
                         evidence={**d.as_dict(), "reference": reference.url, "result": result.url},
                         reproduce=shlex.join(["harness", "data", "schema", "--legacy-db", reference.url,
                                               "--candidate-db", result.url, "--tables", d.table]))
                for d in differences]
    return Found(findings, [_metric(f"{_prefix(path)}_schema_differences", len(differences), target="== 0",
                                    passed=not differences, evidence=f"{reference.url} vs {result.url}")])


def counts_unchanged(outcome: PathOutcome) -> Found:
    """Rows and soft-deleted rows per table: the same on both sides of the path."""
    path, reference, result = outcome.path, outcome.before, outcome.after
    findings = []
    for table, before in sorted(reference.tables.items()):
        after = result.tables.get(table)
        if after is None:
            continue  # a missing table is a schema finding already
        for what, old, new in (("rows", before.rows, after.rows),
                               ("soft-deleted rows", before.soft_deleted, after.soft_deleted)):
            if old == new:
                continue
            check = "row_counts" if what == "rows" else "soft_deleted_preserved"
            findings.append(_finding(f"migrate:{path}:{check}:{table}", f"{_prefix(path)}_{check}",
                                     f"{path} path: {table} has {new} {what} after, {old} before",
                                     operation=f"table {table}",
                                     evidence={"table": table, "before": old, "after": new, "what": what},
                                     reproduce=_count_query(table, what, reference.url, result.url)))
    changed = sorted({f.evidence["table"] for f in findings})
    return Found(findings, [
        _metric(f"{_prefix(path)}_tables_with_changed_counts", len(changed), target="== 0", passed=not changed,
                evidence=", ".join(changed) or None),
        _metric(f"{_prefix(path)}_soft_deleted_rows", result.soft_deleted, side="candidate", unit="rows",
                evidence=f"{reference.soft_deleted} before the path")])


def no_orphans(outcome: PathOutcome) -> Found:
    """No row the path left points at a missing parent."""
    return orphans(outcome.after, side="candidate", where=outcome.path)


def orphans(census: Census, *, side: str, where: str) -> Found:
    """No child row may point at a missing parent (for every declared FK)."""
    findings = [_finding(f"migrate:{where}:orphans:{o.table}:{','.join(o.foreign_key.columns)}", "fk_integrity",
                         f"{where}: {o.describe()}", operation=f"table {o.table}",
                         evidence={**o.as_dict(), "database": census.url}, reproduce=_orphan_query(o, census.url))
                for o in census.orphans]
    total = sum(o.count for o in census.orphans)
    return Found(findings, [_metric(f"{_prefix(where)}_orphaned_rows", total, side=side, unit="rows",
                                    target="== 0", passed=total == 0, evidence=census.url)])


def rows_identical(outcome: PathOutcome) -> Found:
    """Every row of every legacy table identical, column by column (the row differ)."""
    if outcome.legacy_url is None:
        return Found([], [])
    path = outcome.path
    rows = diff_rows(outcome.legacy_url, outcome.url, tables=sorted(outcome.before.tables), options=outcome.rows)
    compared = rows_area_result(legacy=rows.legacy_url, candidate=rows.candidate_url, rows=rows)
    for finding in compared.findings:
        finding.message = f"{path} path: {finding.message}"
        finding.id = f"migrate:{path}:{finding.id}"
    return Found(compared.findings, [dataclasses.replace(m, id=f"{_prefix(path)}_{m.id}") for m in compared.metrics
                                     if m.id in ("rows_compared", "differing_rows")])


#: What is checked after each path, in this order.
CHECKS: tuple[Callable[[PathOutcome], Found], ...] = (schema_unchanged, counts_unchanged, no_orphans, rows_identical)


# -- small pieces -------------------------------------------------------------------------------------------------

def _finding(id: str, check: str, message: str, *, severity: Severity = Severity.HIGH, operation: str | None = None,
             evidence: dict[str, Any] | None = None, reproduce: str = "") -> Finding:
    return Finding(id=id, check=check, severity=severity, message=message, operation=operation,
                   evidence=evidence or {}, reproduce=reproduce)


def _metric(id: str, value: float | int | None, *, side: str = "both", unit: str = "", target: str | None = None,
            passed: bool | None = None, evidence: str | None = None) -> Metric:
    return Metric(id=id, side=side, value=value, unit=unit, target=target, passed=passed, evidence=evidence)


def _prefix(path: str) -> str:
    return path.replace("-", "_")


def _count_query(table: str, what: str, before: str, after: str) -> str:
    where = " WHERE is_deleted" if what != "rows" else ""
    return f'SELECT count(*) FROM "{table}"{where};  -- on {before} and on {after}'


def _orphan_query(orphans: Orphans, url: str) -> str:
    fk = orphans.foreign_key
    present = " AND ".join(f'c."{c}" IS NOT NULL' for c in fk.columns)
    matches = " AND ".join(f'p."{t}" = c."{c}"' for c, t in zip(fk.columns, fk.target_columns, strict=False))
    return (f'SELECT c.* FROM "{orphans.table}" c WHERE {present} AND NOT EXISTS '
            f'(SELECT 1 FROM "{fk.target_table}" p WHERE {matches});  -- on {url}')


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"
