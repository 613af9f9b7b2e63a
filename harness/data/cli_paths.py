"""`harness data migrate-check` and `harness data cross-write`: the migration paths and the blue-green window.

    harness data migrate-check --legacy-db URL --candidate-db URL [--in-place-db URL] [--path copy|in-place]
                               [--manage COMMAND] [--settings-module MODULE] [--batch-size N] [--json] [--out DIR]
    harness data [--config FILE --legacy ... --candidate ...] cross-write --legacy-db URL
                               [--manage COMMAND] [--settings-module MODULE] [--no-adopt] [--json] [--out DIR]

The candidate's manage.py command is the configured candidate's (`data.migrate_manage`, or the `… manage …
migrate` prepare step of the candidate target, run with its environment), unless `--manage` names one;
`--settings-module` sets its DJANGO_SETTINGS_MODULE.

migrate-check: `--candidate-db` is an empty database the copy path migrates and fills; the in-place path
runs on `--in-place-db`, or on a clone of the legacy database (the legacy database is only read).
cross-write: both configured targets run on the ONE database `--legacy-db` (`--db`), sharing one upload
folder. It is seeded when it holds no rows, and adopted by the candidate first with `migrate --fake-initial`
(skip with `--no-adopt`).

Exit codes: 0 clean, 1 a check failed, 2 bad input (a --manage command that cannot run is bad input), 3 a
database or target could not be reached. Every run writes DIR/<run-id>/data-migrate.json or
data-crosswrite.json under the reports folder (`--out DIR`) and DIR/latest points at the newest run.
"""
from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.core.command import (
    CommonOptions,
    finish_result,
    harness_errors,
    new_command_run,
    settings_for,
    terminal_progress,
)
from harness.core.config import Settings
from harness.core.errors import ConfigError
from harness.core.runs import Run
from harness.report.terminal import checks_text

from .migrate import PATHS, DjangoCommands, check_runnable
from .shared_db import adopting, on_database

if TYPE_CHECKING:
    pass


def _django_options(f: Callable) -> Callable:
    f = click.option("--settings-module", metavar="MODULE",
                     help="DJANGO_SETTINGS_MODULE for the candidate's commands (default: the candidate's own).")(f)
    f = click.option("--manage", metavar="COMMAND",
                     help="The candidate's manage.py as a command line ({python} is this interpreter; default: the "
                          "configured candidate's, see data.migrate_manage).")(f)
    return f


def _commands(settings: Settings, run: Run, manage: str | None, settings_module: str | None) -> DjangoCommands:
    """The candidate's Django commands: --manage, else the configured candidate's; checked runnable."""
    from harness.core.targets import make_target

    from .area import DATA_SETTINGS, candidate_commands

    if manage is not None:
        try:
            if not shlex.split(manage):
                raise ValueError("empty command")
        except ValueError as exc:
            raise ConfigError(f"--manage {manage!r}: {exc}; give the command that runs the candidate's "
                              f"manage.py") from None
    configured = settings.area_settings(DATA_SETTINGS)["migrate_manage"]
    commands, why = candidate_commands(make_target(settings.candidate, run), manage or configured)
    if commands is None:
        raise ConfigError(f"{why}, or give --manage")
    if settings_module:
        commands = dataclasses.replace(commands, env={**commands.env, "DJANGO_SETTINGS_MODULE": settings_module})
    check_runnable(commands, "--manage" if manage else "data.migrate_manage" if configured else "candidate.prepare")
    return commands


# -- harness data migrate-check -------------------------------------------------------------------------------

@click.command("migrate-check")
@click.option("--legacy-db", required=True, envvar="HARNESS_LEGACY_DB", metavar="URL",
              help="The legacy database (only read; env HARNESS_LEGACY_DB).")
@click.option("--candidate-db", required=True, envvar="HARNESS_CANDIDATE_DB", metavar="URL",
              help="An empty database for the copy path: migrated, then filled (env HARNESS_CANDIDATE_DB).")
@click.option("--in-place-db", metavar="URL",
              help="A legacy-built database to adopt in place (it is changed); default: a clone of --legacy-db.")
@click.option("--path", "paths", multiple=True, type=click.Choice(PATHS),
              help="Only these paths (repeatable; default both).")
@click.option("--batch-size", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Rows per batch of the copy command.")
@_django_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the result schema).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Reports folder: write DIR/<run-id>/data-migrate.json and point DIR/latest at it.")
@click.pass_obj
def migrate_check_command(options: CommonOptions | None, legacy_db: str, candidate_db: str, in_place_db: str | None,
                          paths: tuple[str, ...], batch_size: int, manage: str | None, settings_module: str | None,
                          as_json: bool, out: Path | None) -> None:
    """Run the candidate's migrations both ways (copy into an empty database; --fake-initial in place) and
    verify the schema, every row, the soft-deleted rows and FK integrity afterwards."""
    from .migrate import MigrateOptions, check_migration

    with harness_errors(), terminal_progress(not as_json) as progress:
        settings = settings_for(options or CommonOptions(), out=out, as_json=as_json)
        run = new_command_run(settings, progress)
        migrate_options = MigrateOptions(paths=paths or PATHS, in_place_url=in_place_db, batch_size=batch_size,
                                         commands=_commands(settings, run, manage, settings_module), progress=progress)
        report = check_migration(legacy_db, candidate_db, migrate_options)
        code = finish_result(run, report.to_area_result(), as_json=settings.json,
                             text=lambda result: checks_text(result, "Migration paths"))
    raise SystemExit(code)


# -- harness data cross-write ---------------------------------------------------------------------------------

@click.command("cross-write")
@click.option("--legacy-db", "--db", "db", required=True, envvar="HARNESS_LEGACY_DB", metavar="URL",
              help="The one database both apps run on (env HARNESS_LEGACY_DB).")
@click.option("--adopt/--no-adopt", default=True, show_default=True,
              help="Run the candidate's `migrate --fake-initial` on the database first.")
@click.option("--admin-email", metavar="EMAIL", help="An account that may grant roles (default: the seed's admin).")
@click.option("--admin-password", metavar="PASSWORD", help="Its password.")
@_django_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the result schema).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Reports folder: write DIR/<run-id>/data-crosswrite.json (the targets' folders go in that run "
                   "folder too) and point DIR/latest at it.")
@click.pass_obj
def cross_write_command(options: CommonOptions | None, db: str, adopt: bool, admin_email: str | None,
                        admin_password: str | None, manage: str | None, settings_module: str | None, as_json: bool,
                        out: Path | None) -> None:
    """Both apps on one database: every write through one app must read the same through both, and leave
    the same rows as the same write through the other."""
    from harness.core.targets import open_targets

    from .connect import open_engine
    from .crosswrite import CrossWriteOptions, check_cross_write

    with harness_errors(), terminal_progress(not as_json) as progress:
        settings = settings_for(options or CommonOptions(), out=out, as_json=as_json)
        open_engine(db).dispose()  # exit 2 for a bad URL or a missing SQLite file, 3 for a server that is down
        run = new_command_run(settings, progress)
        check_options = CrossWriteOptions(progress=progress)
        if admin_email:
            check_options.admin_email, check_options.admin_password = admin_email, admin_password or ""
        commands = _commands(settings, run, manage, settings_module)
        shared = on_database(settings, db, str(run.out_dir / "uploads"))
        with open_targets(run, shared, before_prepare=adopting(db, settings, commands if adopt else None)) as targets:
            report = check_cross_write(targets.legacy.wsgi_app, targets.candidate.wsgi_app, db, check_options)
        code = finish_result(run, report.to_area_result(targets.describe()), as_json=settings.json,
                             text=lambda result: checks_text(result, "Cross-write"))
    raise SystemExit(code)
