"""`harness seed`: fill a database that has the shared schema with the deterministic seed data.

    harness seed --db URL [--scale small|medium|large] [--seed N] [--reset] [--create-schema] [--json] [-q]

`--create-schema` starts the configured legacy target once on URL (its app creates the shared schema), in a run
folder of its own. Exit 2 when URL is wrong (malformed, a missing database or role, a file that is not SQLite),
3 when its server cannot be reached.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import sqlalchemy as sa

from harness.core.command import harness_errors, new_command_run, stderr_console
from harness.core.config import Settings, load_settings
from harness.core.errors import ConfigError, HarnessError, TargetError
from harness.seed import (
    SCALES,
    DatabaseUnreachable,
    SeedError,
    SeedReport,
    connection_error,
    database_url,
    open_database,
    planned_rows,
    seed_database,
)


@contextlib.contextmanager
def _progress(total: Callable[[], int], enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    """A rich progress bar over `total()` rows on a terminal; nothing otherwise."""
    console = stderr_console() if enabled else None
    if console is None or not console.is_terminal:
        yield None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("rows"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("seeding", total=total())
        yield lambda table, rows: bar.update(task, advance=rows, description=table)


@click.command()
@click.option("--db", "db_url", required=True, envvar="DATABASE_URL", metavar="URL",
              help="Database to seed (env DATABASE_URL). It must have the shared schema.")
@click.option("--scale", type=click.Choice(list(SCALES)), default="small", show_default=True,
              help="How much data: small (tests), medium (~55 k rows), large (>= 1 M rows).")
@click.option("--seed", "seed_value", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
              help="Same seed, same rows (UUIDs and password hashes included).")
@click.option("--reset", is_flag=True,
              help="Delete the seeded tables' rows first (otherwise the database must be empty).")
@click.option("--create-schema", is_flag=True,
              help="Create the shared schema first, by starting the configured legacy target once on URL.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Settings file naming the legacy target (default: ./harness.toml, else [tool.harness]).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar, even on a terminal.")
def seed(db_url: str, scale: str, seed_value: int, reset: bool, create_schema: bool, config: Path | None,
         as_json: bool, quiet: bool) -> None:
    """Fill a database that has the shared schema with the deterministic seed data.

    Exit 2 when URL is wrong (malformed, a missing database or role, a file that is not SQLite), 3 when its
    server cannot be reached."""
    with harness_errors():
        check_database(db_url)
        if create_schema:
            create_legacy_schema(db_url, load_settings(config))
        with _progress(lambda: sum(planned_rows(scale, seed_value).values()), enabled=not quiet) as progress, \
                database_errors(db_url):
            report = seed_database(db_url, scale=scale, seed=seed_value, reset=reset, progress=progress)
        click.echo(json.dumps(report.as_dict(), indent=2) if as_json else describe(report))


@contextlib.contextmanager
def database_errors(url: str) -> Iterator[None]:
    """SeedError and a failed connection by the harness's one rule (harness.seed.connection_error): the URL's
    fault is a configuration error (exit 2), a server that cannot be reached is exit 3."""
    try:
        yield
    except SeedError as exc:
        raise seed_error(exc) from None
    except sa.exc.DBAPIError as exc:
        parsed = database_url(url)
        raise seed_error(connection_error(parsed.render_as_string(hide_password=True), exc,
                                          parsed.get_backend_name())) from None


def seed_error(error: SeedError) -> HarnessError:
    return TargetError(str(error)) if isinstance(error, DatabaseUnreachable) else ConfigError(str(error))


def check_database(url: str) -> None:
    """Connect once before anything else, so that every way a database URL can fail gives its one line and exit
    code. A SQLite file that does not exist is left alone (the seed refuses it, --create-schema creates it)."""
    with database_errors(url):
        parsed = database_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
                and not parsed.database.startswith("file:"):
            path = Path(parsed.database)
            if not path.exists():
                return
            if not path.is_file():
                raise SeedError(f"cannot open the database at {url}: {path} is not a file")
        open_database(parsed).dispose()


def describe(report: SeedReport) -> str:
    method = "COPY" if report.method == "copy" else "INSERT"
    width = max(map(len, report.rows), default=5)
    lines = [f"Seeded {report.url} (scale {report.scale}, seed {report.seed}, {method})"]
    lines += [f"  {table:<{width}} {rows:>12,}" for table, rows in report.rows.items()]
    lines.append(f"  {'total':<{width}} {report.total:>12,} rows in {report.seconds:.1f} s "
                 f"({report.rows_per_second:,.0f} rows/s)")
    return "\n".join(lines)


def create_legacy_schema(url: str, settings: Settings) -> None:
    """The configured legacy target started once on `url` (not seeded) and stopped: its app, or its prepare
    steps, create the shared schema where it is missing."""
    from harness.core.targets import make_target, started_target

    with database_errors(url):
        open_database(url, must_exist=False).dispose()  # a one-line reason when the URL or server is bad
    shown = database_url(url).render_as_string(hide_password=False)
    legacy = dataclasses.replace(settings.legacy, database_url=shown, seed=False, reset=False)
    with started_target(make_target(legacy, new_command_run(settings))):
        pass
