"""`harness data migrate-check`: run the candidate's real migration paths and verify what they leave.

    report = check_migration("postgresql://.../legacy", "postgresql://.../empty")
    result = report.to_area_result()

Two paths, each a list of checks (`CHECKS` below):

copy      `migrate` builds the candidate's schema on an empty database, then the candidate's own
          `copy_legacy_rows --from <legacy>` command copies the rows. Then: the schema equals the legacy
          one, every row is identical (the row differ, `rows.diff_rows`), the row and soft-deleted counts
          per table agree, and no FK row is orphaned.
in-place  `migrate --fake-initial` adopts a legacy-built database. Then: the schema is unchanged, the row
          and soft-deleted counts per table are unchanged, no FK row is orphaned, and (when the database
          is the harness's clone of the legacy one) every row is still identical to the legacy database.

The candidate is reached through commands only (`DjangoCommands`: its manage.py as an argv prefix,
DATABASE_URL and the settings module in the environment), never imported. Unless a database is named
for it, the in-place path runs on a clone of the legacy database (SQLite: a backup copy; PostgreSQL:
CREATE DATABASE ... TEMPLATE, which needs the legacy database idle); the legacy database itself is only
read. Orphans already in the legacy database are reported too: the copy path cannot carry them over.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from harness.core.results import AreaResult, Finding, Metric, Severity, gate
from harness.core.runs import deferred_signals, stop_group, track_group
from harness.seed import SeedError, database_url

from .census import Census, Orphans, take_census
from .connect import DatabaseUnreachable, DataInputError, first_line, open_engine, shown
from .report import to_area_result as rows_area_result
from .rows import RowsOptions, diff_rows
from .schema import diff as schema_diff

AREA = "data-migrate"
PATHS = ("copy", "in-place")
Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DjangoCommands:
    """How the candidate's management commands run: `manage` is the argv prefix (`{python}` is this
    interpreter), `env` is added to the environment besides DATABASE_URL."""

    manage: tuple[str, ...] = ("{python}", "-m", "reference_django.manage")
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType(
        {"DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base"}))
    cwd: Path | None = None
    timeout_s: float = 900.0

    def argv(self, *args: str) -> list[str]:
        return [part.replace("{python}", sys.executable) for part in self.manage] + list(args)

    def migrate(self) -> list[str]:
        return self.argv("migrate", "--noinput")

    def fake_initial(self) -> list[str]:
        return self.argv("migrate", "--noinput", "--fake-initial")

    def copy(self, legacy_url: str, batch_size: int) -> list[str]:
        return self.argv("copy_legacy_rows", "--from", legacy_url, "--batch-size", str(batch_size))


@dataclass(slots=True)
class StepRun:
    """One command of a path, as it ran (database passwords hidden)."""

    name: str  # migrate | copy | fake-initial
    argv: list[str]
    environment: dict[str, str]  # what the step added to the environment, DATABASE_URL included
    returncode: int
    seconds: float
    output: str  # the tail of stdout and stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def reproduce(self) -> str:
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.environment.items())
        return f"{assignments} {shlex.join(self.argv)}"


def run_step(name: str, argv: list[str], database_url: str, commands: DjangoCommands) -> StepRun:
    """Run one command with DATABASE_URL set to `database_url` (tests replace this to inject faults)."""
    added = {**commands.env, "DATABASE_URL": database_url}
    env = {**os.environ, **added}
    started = time.perf_counter()
    with deferred_signals():  # started and registered, or not started at all
        try:
            process = subprocess.Popen(argv, env=env, cwd=commands.cwd, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                       start_new_session=True)
        except OSError as exc:  # the command itself is wrong (a missing program): bad input, not a failed check
            raise DataInputError(f"cannot run the candidate's manage command `{shlex.join(argv)}`: "
                                 f"{exc.strerror or exc}") from None
        track_group(process.pid, f"data: {name} {shlex.join(argv)}")
    try:  # its own process group, stopped on every way out (an interrupt included): nothing it starts outlives it
        output, _ = process.communicate(timeout=commands.timeout_s)
        code = process.returncode
    except subprocess.TimeoutExpired:
        code, output = -1, f"timed out after {commands.timeout_s:g} s"
    finally:
        with deferred_signals():
            stop_group(process, process.pid, grace=5.0)
    return StepRun(name, [_hidden(part) if "://" in part else part for part in argv],
                   {k: _hidden(v) if k == "DATABASE_URL" else v for k, v in added.items()}, code,
                   round(time.perf_counter() - started, 3), _tail(output))


def check_runnable(commands: DjangoCommands, what: str = "the manage command") -> None:
    """DataInputError (exit 2) when `commands.manage` names nothing that can run: a program that is not there
    or not executable, a `python -m MODULE` whose module this interpreter cannot find, a `python X.py` whose
    script is missing. Cheap checks only (nothing is started); a command that runs and fails is a finding."""
    argv = commands.argv()
    shown_as = " ".join(commands.manage)
    program, cwd = argv[0], commands.cwd or Path.cwd()
    if os.sep in program or (os.altsep and os.altsep in program):
        path = Path(program) if Path(program).is_absolute() else cwd / program
        if not path.is_file() or not os.access(path, os.X_OK):
            raise DataInputError(f"{what} `{shown_as}`: {program} is not an executable file")
    elif shutil.which(program) is None:
        raise DataInputError(f"{what} `{shown_as}`: no program {program!r} on PATH")
    rest = [part for part in argv[1:] if part not in ("-u", "-B", "-E", "-s", "-S", "-O", "-OO")]
    if not Path(program).name.startswith("python") and program != sys.executable:
        return
    if len(rest) >= 2 and rest[0] == "-m" and Path(program).resolve() == Path(sys.executable).resolve():
        if not _module_exists(rest[1], cwd):
            raise DataInputError(f"{what} `{shown_as}`: no module {rest[1]!r} for {program}")
    elif rest and rest[0].endswith(".py") and not (cwd / rest[0]).is_file():
        raise DataInputError(f"{what} `{shown_as}`: no script {rest[0]}")


def _module_exists(name: str, cwd: Path) -> bool:
    """Whether `python -m name`, run in `cwd`, finds the module (its parent packages are imported to look)."""
    added = str(cwd) not in sys.path
    if added:
        sys.path.insert(0, str(cwd))
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
    finally:
        if added:
            sys.path.remove(str(cwd))


@dataclass(slots=True)
class MigrateOptions:
    paths: tuple[str, ...] = PATHS
    in_place_url: str | None = None  # None: a clone of the legacy database
    batch_size: int = 1000
    commands: DjangoCommands = field(default_factory=DjangoCommands)
    rows: RowsOptions = field(default_factory=RowsOptions)
    progress: Progress | None = None


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

    # -- building it --------------------------------------------------------------------------------------
    def finding(self, id: str, check: str, message: str, *, severity: Severity = Severity.HIGH,
                operation: str | None = None, evidence: dict[str, Any] | None = None, reproduce: str = "") -> None:
        self.findings.append(Finding(id=id, check=check, severity=severity, message=message, operation=operation,
                                     evidence=evidence or {}, reproduce=reproduce))

    def metric(self, id: str, value: float | int | None, *, side: str = "both", unit: str = "",
               target: str | None = None, passed: bool | None = None, evidence: str | None = None) -> None:
        self.metrics.append(Metric(id=id, side=side, value=value, unit=unit, target=target, passed=passed,
                                   evidence=evidence))


# -- the entry point ----------------------------------------------------------------------------------------

def check_migration(legacy_url: str, candidate_url: str, options: MigrateOptions | None = None) -> MigrateReport:
    """Run the selected paths (`options.paths`) against the legacy database and the empty candidate one.

    Raises DataInputError (exit 2) for bad input, such as a candidate database that holds rows, and
    DatabaseUnreachable (exit 3) when a database does not answer; everything else is a finding."""
    options = options or MigrateOptions()
    unknown = [p for p in options.paths if p not in PATHS]
    if unknown or not options.paths:
        raise DataInputError(f"paths must be among {', '.join(PATHS)}, not {', '.join(unknown) or 'none'}")
    if options.batch_size < 1:
        raise DataInputError("the batch size must be at least 1")
    clock = time.perf_counter()
    report = MigrateReport(_hidden(legacy_url), _hidden(candidate_url),
                           started=datetime.now(UTC).isoformat())
    say = options.progress or (lambda message: None)
    say("legacy: census")
    legacy = take_census(legacy_url)
    if not legacy.tables:
        raise DataInputError(f"the legacy database {report.legacy_url} has no tables")
    check_orphans(report, legacy, side="legacy", where="legacy")
    if "copy" in options.paths:
        check_copy_path(report, legacy_url, candidate_url, legacy, options)
    if "in-place" in options.paths:
        with _in_place_database(legacy_url, options.in_place_url) as (url, cloned):
            report.in_place_url = _hidden(url)
            check_in_place_path(report, legacy_url if cloned else None, url, options)
    report.seconds = time.perf_counter() - clock
    return report


# -- the copy path --------------------------------------------------------------------------------------------

def check_copy_path(report: MigrateReport, legacy_url: str, candidate_url: str, legacy: Census,
                    options: MigrateOptions) -> None:
    say = options.progress or (lambda message: None)
    _require_empty_target(legacy_url, candidate_url, legacy)
    commands = options.commands
    say("copy: migrate")
    if not _step(report, run_step("migrate", commands.migrate(), candidate_url, commands), "copy"):
        return
    say("copy: copy_legacy_rows")
    copy = run_step("copy", commands.copy(legacy_url, options.batch_size), candidate_url, commands)
    if not _step(report, copy, "copy"):
        return
    say("copy: census and row comparison")
    candidate = take_census(candidate_url)
    report.metric("copy_rows_copied", legacy.rows, side="candidate", unit="rows",
                  evidence=f"{legacy.url} -> {candidate.url}")
    report.metric("copy_rows_per_second", round(legacy.rows / copy.seconds, 1) if copy.seconds else None,
                  side="candidate", unit="rows/s", evidence="rows over the copy command's wall time")
    check_schema_unchanged(report, legacy, candidate, path="copy")
    check_counts(report, legacy, candidate, path="copy")
    check_orphans(report, candidate, side="candidate", where="copy")
    check_rows_identical(report, legacy_url, candidate_url, legacy, options, path="copy")


def _require_empty_target(legacy_url: str, candidate_url: str, legacy: Census) -> None:
    """The copy path starts from an empty database: a missing SQLite file is fine (migrate creates it),
    tables without rows are fine (a migrated database), rows are not."""
    if same_database(candidate_url, legacy_url):
        raise DataInputError("the candidate database is the legacy database: the copy path needs an empty one")
    parsed = _parsed(candidate_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        if not Path(parsed.database).parent.is_dir():
            raise DataInputError(f"no folder {Path(parsed.database).parent} for the candidate SQLite database")
        return
    engine = open_engine(candidate_url)
    try:
        present = set(sa.inspect(engine).get_table_names()) & set(legacy.tables)
        with engine.connect() as conn:
            holding = [t for t in sorted(present)
                       if conn.execute(sa.text(f"SELECT 1 FROM {conn.dialect.identifier_preparer.quote(t)} "
                                               f"LIMIT 1")).first()]
    except sa.exc.OperationalError as exc:
        raise DatabaseUnreachable(f"{shown(engine)}: {first_line(exc)}") from None
    finally:
        engine.dispose()
    if holding:
        raise DataInputError(f"the candidate database {_hidden(candidate_url)} must be empty for the copy path; "
                             f"it holds rows in {', '.join(holding)}")


# -- the in-place path ----------------------------------------------------------------------------------------

def check_in_place_path(report: MigrateReport, legacy_url: str | None, url: str, options: MigrateOptions) -> None:
    """`legacy_url` is given when `url` is a clone of it: then the rows are compared too."""
    say = options.progress or (lambda message: None)
    say("in-place: census before")
    before = take_census(url)
    report.metric("in_place_rows", before.rows, side="candidate", unit="rows",
                  evidence=f"{before.url}" + (f" (a clone of {_hidden(legacy_url)})" if legacy_url else ""))
    commands = options.commands
    say("in-place: migrate --fake-initial")
    if not _step(report, run_step("fake-initial", commands.fake_initial(), url, commands), "in-place"):
        return
    say("in-place: census after")
    after = take_census(url)
    check_schema_unchanged(report, before, after, path="in-place")
    check_counts(report, before, after, path="in-place")
    check_orphans(report, after, side="candidate", where="in-place")
    if legacy_url is not None:
        check_rows_identical(report, legacy_url, url, before, options, path="in-place")


@contextlib.contextmanager
def _in_place_database(legacy_url: str, given: str | None) -> Iterator[tuple[str, bool]]:
    """(url, cloned): the named database, or a clone of the legacy one that is removed afterwards."""
    if given is not None:
        if same_database(given, legacy_url):
            raise DataInputError("the in-place database is the legacy database: name a copy of it, or leave it "
                                 "out and the harness clones the legacy database")
        open_engine(given).dispose()  # reachable, and an existing SQLite file
        yield given, False
        return
    with clone_database(legacy_url) as url:
        yield url, True


@contextlib.contextmanager
def clone_database(url: str) -> Iterator[str]:
    """A temporary copy of the database at `url`: SQLite through the backup API (safe while others read),
    PostgreSQL as CREATE DATABASE ... TEMPLATE on the same server (dropped afterwards)."""
    parsed = _parsed(url)
    if parsed.get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="harness-in-place-") as folder:
            target = Path(folder) / "in-place.sqlite3"
            source = sqlite3.connect(f"file:{Path(parsed.database).resolve()}?mode=ro", uri=True)
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
            yield f"sqlite:///{target}"
        return
    name = f"{parsed.database}_inplace_{uuid.uuid4().hex[:8]}"[-63:]
    admin = open_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    try:
        try:
            with admin.connect() as conn:
                conn.execute(sa.text(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(parsed.database)}"))
        except sa.exc.DBAPIError as exc:
            raise DataInputError(f"cannot clone the legacy database for the in-place path ({first_line(exc)}); "
                                 f"name a copy of it with --in-place-db") from None
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)"))
    finally:
        admin.dispose()


# -- the checks -------------------------------------------------------------------------------------------------

def _step(report: MigrateReport, step: StepRun, path: str) -> bool:
    """Record a command; a failed one is a critical finding and ends its path."""
    report.steps.append(step)
    report.metric(f"{path}_{step.name}_seconds".replace("-", "_"), step.seconds, side="candidate", unit="s",
                  evidence=shlex.join(step.argv))
    if not step.ok:
        report.finding(f"migrate:{path}:{step.name}:failed", f"{step.name.replace('-', '_')}_succeeded",
                       f"{path} path: `{step.name}` exited with {step.returncode}: {_last_line(step.output)}",
                       severity=Severity.CRITICAL, operation=f"{path} path",
                       evidence={"argv": step.argv, "environment": step.environment,
                                 "returncode": step.returncode, "output": step.output},
                       reproduce=step.reproduce())
    return step.ok


def check_schema_unchanged(report: MigrateReport, reference: Census, result: Census, *, path: str) -> None:
    """copy: the migrated schema is the legacy one. in-place: --fake-initial changed nothing.
    Every difference counts, cosmetic ones included: either path must leave the legacy DDL exactly."""
    differences = schema_diff(reference.schema, result.schema)
    what = "the migrated schema differs from the legacy one" if path == "copy" else "--fake-initial changed the schema"
    for d in differences:
        report.finding(f"migrate:{path}:schema:{d.kind}:{d.table}:{d.name}", f"{path.replace('-', '_')}_schema",
                       f"{path} path: {what}: {d.message}", operation=f"table {d.table}",
                       evidence={**d.as_dict(), "reference": reference.url, "result": result.url},
                       reproduce=shlex.join(["harness", "data", "schema", "--legacy-db", reference.url,
                                             "--candidate-db", result.url, "--tables", d.table]))
    report.metric(f"{path.replace('-', '_')}_schema_differences", len(differences), target="== 0",
                  passed=not differences, evidence=f"{reference.url} vs {result.url}")


def check_counts(report: MigrateReport, reference: Census, result: Census, *, path: str) -> None:
    """Rows and soft-deleted rows per table: the same on both sides of the path."""
    changed: set[str] = set()
    for table, before in sorted(reference.tables.items()):
        after = result.tables.get(table)
        if after is None:
            continue  # a missing table is a schema finding already
        for what, old, new in (("rows", before.rows, after.rows),
                               ("soft-deleted rows", before.soft_deleted, after.soft_deleted)):
            if old == new:
                continue
            changed.add(table)
            check = "row_counts" if what == "rows" else "soft_deleted_preserved"
            report.finding(f"migrate:{path}:{check}:{table}", f"{path.replace('-', '_')}_{check}",
                           f"{path} path: {table} has {new} {what} after, {old} before", operation=f"table {table}",
                           evidence={"table": table, "before": old, "after": new, "what": what},
                           reproduce=_count_query(table, what, reference.url, result.url))
    report.metric(f"{path.replace('-', '_')}_tables_with_changed_counts", len(changed), target="== 0",
                  passed=not changed, evidence=", ".join(sorted(changed)) or None)
    report.metric(f"{path.replace('-', '_')}_soft_deleted_rows", result.soft_deleted, side="candidate", unit="rows",
                  evidence=f"{reference.soft_deleted} before the path")


def check_orphans(report: MigrateReport, census: Census, *, side: str, where: str) -> None:
    """No child row may point at a missing parent (for every declared FK)."""
    for orphans in census.orphans:
        fk = orphans.foreign_key
        report.finding(f"migrate:{where}:orphans:{orphans.table}:{','.join(fk.columns)}", "fk_integrity",
                       f"{where}: {orphans.describe()}", operation=f"table {orphans.table}",
                       evidence={**orphans.as_dict(), "database": census.url},
                       reproduce=_orphan_query(orphans, census.url))
    total = sum(o.count for o in census.orphans)
    report.metric(f"{where.replace('-', '_')}_orphaned_rows", total, side=side, unit="rows", target="== 0",
                  passed=total == 0, evidence=census.url)


def check_rows_identical(report: MigrateReport, legacy_url: str, candidate_url: str, reference: Census,
                         options: MigrateOptions, *, path: str) -> None:
    """Every row of every legacy table identical, column by column (the row differ)."""
    rows = diff_rows(legacy_url, candidate_url, tables=sorted(reference.tables), options=options.rows)
    compared = rows_area_result(legacy=rows.legacy_url, candidate=rows.candidate_url, rows=rows)
    prefix = path.replace("-", "_")
    for finding in compared.findings:
        finding.message = f"{path} path: {finding.message}"
        finding.id = f"migrate:{path}:{finding.id}"
        report.findings.append(finding)
    for metric in compared.metrics:
        if metric.id in ("rows_compared", "differing_rows"):
            report.metrics.append(dataclasses.replace(metric, id=f"{prefix}_{metric.id}"))


# -- small pieces -------------------------------------------------------------------------------------------------

def _count_query(table: str, what: str, before: str, after: str) -> str:
    where = " WHERE is_deleted" if what != "rows" else ""
    return f'SELECT count(*) FROM "{table}"{where};  -- on {before} and on {after}'


def _orphan_query(orphans: Orphans, url: str) -> str:
    fk = orphans.foreign_key
    present = " AND ".join(f'c."{c}" IS NOT NULL' for c in fk.columns)
    matches = " AND ".join(f'p."{t}" = c."{c}"' for c, t in zip(fk.columns, fk.target_columns))
    return (f'SELECT c.* FROM "{orphans.table}" c WHERE {present} AND NOT EXISTS '
            f'(SELECT 1 FROM "{fk.target_table}" p WHERE {matches});  -- on {url}')


def _parsed(url: str) -> sa.URL:
    try:
        return database_url(url)
    except SeedError as exc:
        raise DataInputError(str(exc)) from None


def same_database(a: str, b: str) -> bool:
    """Whether two URLs name one database (driver spellings and relative SQLite paths aside)."""
    x, y = _parsed(a), _parsed(b)
    if x.get_backend_name() != y.get_backend_name():
        return False
    if x.get_backend_name() == "sqlite":
        return Path(x.database or "").resolve() == Path(y.database or "").resolve()
    return (x.host or "localhost", x.port or 5432, x.database) == (y.host or "localhost", y.port or 5432, y.database)


def _hidden(url: str) -> str:
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"
