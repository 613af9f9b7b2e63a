"""`harness data schema` and `harness data rows` (the `data` click group; harness/cli.py mounts it).

    harness data schema --legacy-db URL --candidate-db URL [--tables t1,t2] [--allow-list FILE]
                        [--ignore-table PATTERN] [--fail-on breaking|risky|cosmetic] [--json] [--out DIR]
    harness data rows   --legacy-db URL --candidate-db URL [--tables t1,t2] [--workers N]
                        [--max-seconds S] [--max-differences N] [--tolerance T.C=0.01|1s]
                        [--precision T.C=ms] [--uuid-column T.C] [--ignore-column T.C] [--key T=c1,c2]
                        [--json] [--out DIR]

Exit codes: 0 no difference (or only allow-listed ones), 1 differences, 2 bad input (a filter or option that
selects nothing or names an unknown table or column is bad input, never a pass), 3 a database could not be
reached. `--out DIR` is a reports folder, as for `harness verify`: the result goes to DIR/<run-id>/data.json
(the result schema) and DIR/latest points at the newest run. Progress goes to stderr, and only on a terminal.
"""
from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import click

from harness.core.command import EXIT_GATE_FAILED, EXIT_USAGE, harness_errors
from harness.core.results import AreaResult, write_area
from harness.core.runs import Run, new_run

from .allowlist import Allowed, apply_allowlist, load_allowlist
from .model import SEVERITIES
from .normalise import ColumnRule, parse_tolerance
from .report import describe_row, to_area_result


class BadInput(click.ClickException):
    exit_code = EXIT_USAGE


def _split(values: tuple[str, ...], option: str = "--tables") -> list[str] | None:
    """None when the option is not given; BadInput when it is given but names nothing (`--tables ''`)."""
    if not values:
        return None
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    if not names:
        raise BadInput(f"{option} names no table: give table names or fnmatch patterns, or leave it out")
    return names


def run_folder(out: Path | None, *, seed: int = 0, scale: str = "small") -> Run | None:
    """A new run folder DIR/<run-id> under the reports folder `--out DIR` (None without --out). Made before
    the work starts, so an --out that cannot be written is a usage error (2) at once."""
    if out is None:
        return None
    try:
        return new_run(out, seed=seed, scale=scale)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot create a run folder there ({exc.strerror or exc})") from None


def write_result(run: Run | None, result: AreaResult) -> Path | None:
    """DIR/<run-id>/<area>.json, and DIR/latest moved to that run (as every harness command does)."""
    if run is None:
        return None
    try:
        return write_area(run.out_dir, result)
    except OSError as exc:
        raise BadInput(f"--out {run.root}: cannot write the result ({exc.strerror or exc})") from None


def _databases(f: Callable) -> Callable:
    f = click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
                     help="Reports folder: write DIR/<run-id>/data.json (the result schema, with samples and the "
                          "SQL used) and point DIR/latest at it.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the data.json document).")(f)
    f = click.option("--tables", multiple=True, metavar="T1,T2",
                     help="Only these tables (fnmatch patterns; repeat or separate with commas).")(f)
    f = click.option("--candidate-db", required=True, envvar="HARNESS_CANDIDATE_DB", metavar="URL",
                     help="The candidate's database (env HARNESS_CANDIDATE_DB).")(f)
    f = click.option("--legacy-db", required=True, envvar="HARNESS_LEGACY_DB", metavar="URL",
                     help="The legacy database, the reference (env HARNESS_LEGACY_DB).")(f)
    return f


def _emit(result: AreaResult, as_json: bool, run: Run | None, text: str) -> None:
    path = write_result(run, result)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        click.echo(text + (f"\nResult: {path}" if path else ""))


@click.group("data")
def data() -> None:
    """Schema and row parity between the legacy and the candidate database."""


# -- harness data schema --------------------------------------------------------------------------------

@data.command("schema")
@_databases
@click.option("--allow-list", "allow_list", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Accepted differences, each with a reason (YAML, TOML or JSON).")
@click.option("--ignore-table", multiple=True, metavar="PATTERN",
              help="Tables to leave out (fnmatch), besides django_*, auth_* and alembic_version.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default="cosmetic", show_default=True,
              help="The least severity that fails (exit 1).")
def schema_command(legacy_db: str, candidate_db: str, tables: tuple[str, ...], as_json: bool, out: Path | None,
                   allow_list: Path | None, ignore_table: tuple[str, ...], fail_on: str) -> None:
    """Compare the two schemas by definition: tables, columns, keys, constraints, indexes, sequences."""
    from .schema import check_selection, diff, reflect

    started, clock = datetime.now(UTC), time.perf_counter()
    selected = _split(tables)
    ignored = _split(ignore_table, "--ignore-table") or []
    with harness_errors():
        entries = load_allowlist(allow_list) if allow_list else []
        run = run_folder(out)
        legacy = reflect(legacy_db, tables=selected)
        candidate = reflect(candidate_db, tables=selected)
        check_selection((legacy, candidate), tables=selected, ignore_tables=ignored)
    differences = diff(legacy, candidate, ignore_tables=ignored)
    split = apply_allowlist(differences, entries)
    result = to_area_result(legacy=legacy.url, candidate=candidate.url, started=started,
                            duration_s=time.perf_counter() - clock, schema=split, fail_on=fail_on)
    _emit(result, as_json, run, _schema_text(split, len(legacy.tables), len(candidate.tables)))
    if not result.passed:
        raise SystemExit(EXIT_GATE_FAILED)


def _schema_text(split: Allowed, legacy_tables: int, candidate_tables: int) -> str:
    lines = [f"{d.severity.upper():<9} {d.kind:<20} {d.table + ('.' + d.name if d.name else ''):<45} {d.message}"
             for d in split.remaining]
    lines += [f"{'allowed':<9} {d.kind:<20} {d.table + ('.' + d.name if d.name else ''):<45} {e.reason}"
              for d, e in split.allowed]
    lines += [f"expired allow-list entry: {e.kind} {e.table} {e.name} (expired {e.expires})" for e in split.expired]
    counts = ", ".join(f"{sum(d.severity == s for d in split.remaining)} {s}" for s in SEVERITIES)
    lines.append(f"Schema: {legacy_tables} legacy / {candidate_tables} candidate tables; {counts}; "
                 f"{len(split.allowed)} allow-listed.")
    return "\n".join(lines)


# -- harness data rows ----------------------------------------------------------------------------------

def _column_options(pairs: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        column, sep, value = pair.partition("=")
        if not sep or "." not in column or not value:
            raise BadInput(f"{option} takes TABLE.COLUMN=VALUE (fnmatch patterns allowed), not {pair!r}")
        out.append((column.strip(), value.strip()))
    return out


def _rules(tolerance, precision, uuid_column, ignore_column) -> dict[str, ColumnRule]:
    settings: dict[str, dict] = {}
    with harness_errors():
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
            raise BadInput(f"--key takes TABLE=COL1,COL2, not {pair!r}")
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
def rows_command(legacy_db: str, candidate_db: str, tables: tuple[str, ...], as_json: bool, out: Path | None,
                 workers: int, max_seconds: float | None, max_differences: int, leaf_rows: int,
                 bisection_factor: int, tolerance: tuple[str, ...], precision: tuple[str, ...],
                 uuid_column: tuple[str, ...], ignore_column: tuple[str, ...], key: tuple[str, ...], checksum: str,
                 quiet: bool) -> None:
    """Compare the rows of each table by primary key: counts, checksummed key ranges, then single rows."""
    from .rows import RowsOptions, diff_rows

    started, clock = datetime.now(UTC), time.perf_counter()
    options = RowsOptions(workers=workers, bisection_factor=bisection_factor, leaf_rows=leaf_rows,
                          max_seconds=max_seconds, max_differences=max_differences,
                          rules=_rules(tolerance, precision, uuid_column, ignore_column), keys=_keys(key),
                          checksum=checksum)
    selected = _split(tables)
    with harness_errors():
        run = run_folder(out)
    with harness_errors(), _progress(not quiet and not as_json) as progress:
        options.progress = progress
        report = diff_rows(legacy_db, candidate_db, tables=selected, options=options)
    result = to_area_result(legacy=report.legacy_url, candidate=report.candidate_url, started=started,
                            duration_s=time.perf_counter() - clock, rows=report)
    _emit(result, as_json, run, _rows_text(report))
    if not result.passed:
        raise SystemExit(EXIT_GATE_FAILED)


def _rows_text(report) -> str:
    lines = []
    for t in report.tables:
        if t.error:
            lines.append(f"{t.table:<28} ERROR {t.error}")
            continue
        state = "ok" if t.clean else (f"{t.missing} missing, {t.extra} extra, {t.changed} changed, "
                                      f"{t.duplicates} duplicate keys")
        if not t.complete:
            state += f" (incomplete: {t.stopped}; {t.rows_verified:,} rows verified)"
        lines.append(f"{t.table:<28} {t.legacy_rows:>10,} / {t.candidate_rows:<10,} rows  {t.method:<6} {state}")
        for d in t.differences[:20]:
            lines.append(f"    {describe_row(d)}")
        if len(t.differences) > 20:
            lines.append(f"    ... {len(t.differences) - 20} more (see --json or --out)")
    lines.append(f"Rows: {report.rows:,} in {len(report.tables)} tables, {report.seconds:.2f} s "
                 f"({report.rows_per_second:,.0f} rows/s); {'no differences' if report.clean else 'DIFFERENCES'}.")
    return "\n".join(lines)
from . import cli_paths  # noqa: E402,F401  (migrate-check, cross-write)
