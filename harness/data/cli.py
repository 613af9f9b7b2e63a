"""`harness data`: the data area's commands (the `data` click group, mounted by harness/cli.py).

    harness data [--config FILE] [--legacy ...] [--candidate ...] [--out DIR] [--json]
                 the data area on both configured targets, as `harness verify` runs it
    harness data schema [--legacy-db URL --candidate-db URL] [--tables t1,t2] [--allow-list FILE]
                        [--ignore-table PATTERN] [--fail-on breaking|risky|cosmetic] [--json] [--out DIR]
    harness data rows   [--legacy-db URL --candidate-db URL] [--tables t1,t2] [--workers N]
                        [--max-seconds S] [--max-differences N] [--tolerance T.C=0.01|1s]
                        [--precision T.C=ms] [--uuid-column T.C] [--ignore-column T.C] [--key T=c1,c2]
                        [--json] [--out DIR]
    harness data migrate-check / cross-write   (cli_paths.py)

Without `--legacy-db` and `--candidate-db`, schema and rows read the configured targets' databases (the
targets are prepared and seeded as for `harness verify`, then stopped). Every command writes a run folder
under the reports folder (`--out DIR`, default the settings' `out`): DIR/<run-id>/data.json (the result
schema), data.junit.xml and data.md, and DIR/latest points at the newest run.

Exit codes: 0 no difference (or only accepted ones), 1 differences, 2 bad input (a filter or option that
selects nothing or names an unknown table or column is bad input, never a pass), 3 a database or target could
not be reached. Progress goes to stderr, and only on a terminal.
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from harness.core.command import (
    CommonOptions,
    common_options,
    finish_result,
    harness_errors,
    new_command_run,
    run_area_command,
    settings_for,
)
from harness.core.config import Settings
from harness.core.errors import ConfigError
from harness.core.runs import Run
from harness.report.terminal import rows_text, schema_text

from .allowlist import apply_allowlist
from .area import reviewed_entries
from .model import SEVERITIES
from .normalise import ColumnRule, parse_tolerance
from .report import to_area_result


def _split(values: tuple[str, ...], option: str = "--tables") -> list[str] | None:
    """None when the option is not given; ConfigError when it is given but names nothing (`--tables ''`)."""
    if not values:
        return None
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    if not names:
        raise ConfigError(f"{option} names no table: give table names or fnmatch patterns, or leave it out")
    return names


def _databases(f: Callable) -> Callable:
    f = click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
                     help="Reports folder: write DIR/<run-id>/data.json (the result schema, with samples and the "
                          "SQL used) and point DIR/latest at it.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the data.json document).")(f)
    f = click.option("--tables", multiple=True, metavar="T1,T2",
                     help="Only these tables (fnmatch patterns; repeat or separate with commas).")(f)
    f = click.option("--candidate-db", envvar="HARNESS_CANDIDATE_DB", metavar="URL",
                     help="The candidate's database (env HARNESS_CANDIDATE_DB; default: the configured "
                          "candidate's).")(f)
    f = click.option("--legacy-db", envvar="HARNESS_LEGACY_DB", metavar="URL",
                     help="The legacy database, the reference (env HARNESS_LEGACY_DB; default: the configured "
                          "legacy target's).")(f)
    return f


@contextlib.contextmanager
def databases(settings: Settings, legacy_db: str | None, candidate_db: str | None,
              progress: Callable[[str], None] | None = None) -> Iterator[tuple[Run, str, str]]:
    """A run folder and the two databases to read: the URLs given, or both configured targets' databases
    (the targets prepared, started and seeded as for `harness verify`; stopped on the way out)."""
    run = new_command_run(settings, progress)
    if legacy_db and candidate_db:
        yield run, legacy_db, candidate_db
        return
    if legacy_db or candidate_db:
        given = "--legacy-db" if legacy_db else "--candidate-db"
        raise ConfigError(f"{given} given alone: give both databases, or neither to read the configured targets'")
    from harness.core.targets import open_targets

    with open_targets(run, settings) as targets:
        without = [t.name for t in targets if t.database_url is None]
        if without:
            raise ConfigError(f"{' and '.join(without)} has no database (an external service without "
                              f"database_url): set {without[0]}.database_url or give --legacy-db and --candidate-db")
        yield run, targets.legacy.database_url, targets.candidate.database_url


@click.group("data", invoke_without_command=True)
@common_options
@click.pass_context
def data(ctx: click.Context, options: CommonOptions) -> None:
    """Schema, row and migration parity between the legacy and the candidate database.

    Without a subcommand: the data area on both configured targets (reports/<run-id>/data.json, data.junit.xml,
    data.md). Exit 0 when the databases agree, 1 otherwise, 2 on a bad setting, 3 when a target could not be
    started or reached."""
    ctx.obj = options
    if ctx.invoked_subcommand is None:
        raise SystemExit(run_area_command(options, ("data",)))


# -- harness data schema --------------------------------------------------------------------------------

@data.command("schema")
@_databases
@click.option("--allow-list", "allow_list", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Accepted differences, each with a reason and an expiry date (YAML, TOML or JSON), besides the "
                   "`area: data` entries of the settings' `accepted` file.")
@click.option("--ignore-table", multiple=True, metavar="PATTERN",
              help="Tables to leave out (fnmatch), besides django_*, auth_* and alembic_version.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="cosmetic", show_default=True,
              help="The least severity that fails (exit 1).")
@click.pass_obj
def schema_command(options: CommonOptions, legacy_db: str | None, candidate_db: str | None,
                   tables: tuple[str, ...], as_json: bool, out: Path | None, allow_list: Path | None,
                   ignore_table: tuple[str, ...], fail_on: str) -> None:
    """Compare the two schemas by definition: tables, columns, keys, constraints, indexes, sequences."""
    from .schema import check_selection, diff, reflect

    started, clock = datetime.now(UTC), time.perf_counter()
    with harness_errors():
        selected = _split(tables)
        ignored = _split(ignore_table, "--ignore-table") or []
        settings = settings_for(options, out=out, as_json=as_json)
        entries = reviewed_entries(settings, allow_list)
        with databases(settings, legacy_db, candidate_db) as (run, legacy_url, candidate_url):
            legacy = reflect(legacy_url, tables=selected)
            candidate = reflect(candidate_url, tables=selected)
        check_selection((legacy, candidate), tables=selected, ignore_tables=ignored)
        split = apply_allowlist(diff(legacy, candidate, ignore_tables=ignored), entries)
        result = to_area_result(legacy=legacy.url, candidate=candidate.url, started=started, schema=split,
                                duration_s=time.perf_counter() - clock, fail_on=fail_on,
                                tables=(len(legacy.tables), len(candidate.tables)))
        code = finish_result(run, result, as_json=settings.json, text=schema_text)
    raise SystemExit(code)


# -- harness data rows ----------------------------------------------------------------------------------

def _column_options(pairs: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep or "." not in column or not value:
            raise ConfigError(f"{option} takes TABLE.COLUMN=VALUE (fnmatch patterns allowed), not {pair!r}")
        out.append((column.strip(), value.strip()))
    return out


def _rules(tolerance, precision, uuid_column, ignore_column) -> dict[str, ColumnRule]:
    settings: dict[str, dict] = {}
    for column, value in _column_options(tolerance, "--tolerance"):
        settings.setdefault(column, {})["tolerance"] = parse_tolerance(value)
    for column, value in _column_options(precision, "--precision"):
        settings.setdefault(column, {})["precision"] = value
    for column in uuid_column:
        settings.setdefault(column, {})["uuid"] = True
    for column in ignore_column:
        settings.setdefault(column, {})["ignore"] = True
    return {column: ColumnRule(**kw) for column, kw in settings.items()}


def _keys(pairs: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    out = {}
    for pair in pairs:
        table, sep, columns = pair.partition("=")
        names = tuple(c.strip() for c in columns.split(",") if c.strip())
        if not sep or not names:
            raise ConfigError(f"--key takes TABLE=COL1,COL2, not {pair!r}")
        out[table.strip()] = names
    return out


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    from rich.console import Console

    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total)
            bar.update(tasks[table], completed=done, total=total)

        yield update


@data.command("rows")
@_databases
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Concurrent segment queries per database.")
@click.option("--max-seconds", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Time budget for the whole run.")
@click.option("--max-differences", type=click.IntRange(min=1), default=1000, show_default=True, metavar="N",
              help="Stop once N differing rows are known.")
@click.option("--leaf-rows", type=click.IntRange(min=1), default=2048, show_default=True,
              help="Segments this small are compared row by row.")
@click.option("--bisection-factor", type=click.IntRange(min=2), default=16, show_default=True,
              help="Parts a differing segment is cut into.")
@click.option("--tolerance", multiple=True, metavar="T.C=AMOUNT",
              help="Values within AMOUNT are equal: 0.01 for numbers, 1s / 500ms / 2us for timestamps.")
@click.option("--precision", multiple=True, metavar="T.C=us|ms|s", help="Compare timestamps to this precision.")
@click.option("--uuid-column", multiple=True, metavar="T.C", help="Compare as UUIDs (case-insensitive).")
@click.option("--ignore-column", multiple=True, metavar="T.C", help="Leave the column out.")
@click.option("--key", "key", multiple=True, metavar="T=C1,C2", help="Key columns of a table (default: its PK).")
@click.option("--checksum", type=click.Choice(["auto", "sql", "python"]), default="auto", show_default=True,
              help="Where segment checksums are computed (auto: in PostgreSQL when both sides are).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, even on a terminal.")
@click.pass_obj
def rows_command(options: CommonOptions, legacy_db: str | None, candidate_db: str | None, tables: tuple[str, ...],
                 as_json: bool, out: Path | None, workers: int, max_seconds: float | None, max_differences: int,
                 leaf_rows: int, bisection_factor: int, tolerance: tuple[str, ...], precision: tuple[str, ...],
                 uuid_column: tuple[str, ...], ignore_column: tuple[str, ...], key: tuple[str, ...], checksum: str,
                 quiet: bool) -> None:
    """Compare the rows of each table by primary key: counts, checksummed key ranges, then single rows."""
    from .rows import RowsOptions, diff_rows

    started, clock = datetime.now(UTC), time.perf_counter()
    with harness_errors():
        rows_options = RowsOptions(workers=workers, bisection_factor=bisection_factor, leaf_rows=leaf_rows,
                                   max_seconds=max_seconds, max_differences=max_differences,
                                   rules=_rules(tolerance, precision, uuid_column, ignore_column), keys=_keys(key),
                                   checksum=checksum)
        selected = _split(tables)
        settings = settings_for(options, out=out, as_json=as_json)
        with databases(settings, legacy_db, candidate_db) as (run, legacy_url, candidate_url), \
                _progress(not quiet and not settings.json) as progress:
            rows_options.progress = progress
            report = diff_rows(legacy_url, candidate_url, tables=selected, options=rows_options)
        result = to_area_result(legacy=report.legacy_url, candidate=report.candidate_url, started=started,
                                duration_s=time.perf_counter() - clock, rows=report)
        code = finish_result(run, result, as_json=settings.json, text=rows_text)
    raise SystemExit(code)


def _mount_paths() -> None:
    from .cli_paths import cross_write_command, migrate_check_command

    data.add_command(migrate_check_command)
    data.add_command(cross_write_command)


_mount_paths()
