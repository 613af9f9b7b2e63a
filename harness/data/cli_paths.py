"""`harness data migrate-check` and `harness data cross-write`: the migration paths and the blue-green window.

    harness data migrate-check --legacy-db URL --candidate-db URL [--in-place-db URL] [--path copy|in-place]
                               [--manage "python -m reference_django.manage"] [--settings-module MODULE]
                               [--batch-size N] [--json] [--out DIR]
    harness data cross-write   --legacy-db URL [--config FILE] [--legacy APP] [--candidate APP]
                               [--manage ...] [--settings-module MODULE] [--no-adopt] [--json] [--out DIR]

migrate-check: `--candidate-db` is an empty database the copy path migrates and fills; the in-place path
runs on `--in-place-db`, or on a clone of the legacy database (the legacy database is only read).
cross-write: both targets (the harness's settings: `--config`, `--legacy`, `--candidate`, HARNESS_*) run on
the ONE database `--legacy-db` (`--db`), sharing one upload folder. It is seeded when it holds no rows,
and adopted by the candidate first with `migrate --fake-initial` (skip with `--no-adopt`).

Exit codes: 0 clean, 1 a check failed, 2 bad input (a --manage command that cannot run is bad input), 3 a
database or target could not be reached. `--out DIR` is a reports folder, as for `harness verify`: the result
goes to DIR/<run-id>/data-migrate.json or data-crosswrite.json and DIR/latest points at the newest run.
"""
from __future__ import annotations

import contextlib
import dataclasses
import shlex
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.core.command import EXIT_GATE_FAILED, harness_errors, terminal_progress
from harness.core.config import Settings, TargetSettings, load_settings
from harness.core.errors import ConfigError, TargetError
from harness.core.results import AreaResult
from harness.core.runs import Run

from .cli import _emit as emit
from .cli import data, run_folder
from .migrate import PATHS, DjangoCommands, check_runnable

if TYPE_CHECKING:
    from harness.core.targets import Target

MANAGE_DEFAULT = " ".join(DjangoCommands().manage)
SETTINGS_DEFAULT = DjangoCommands().env["DJANGO_SETTINGS_MODULE"]


def _django_options(f: Callable) -> Callable:
    f = click.option("--settings-module", default=SETTINGS_DEFAULT, show_default=True, metavar="MODULE",
                     help="DJANGO_SETTINGS_MODULE for the candidate's commands.")(f)
    f = click.option("--manage", default=MANAGE_DEFAULT, show_default=True, metavar="COMMAND",
                     help="The candidate's manage.py as a command line ({python} is this interpreter).")(f)
    return f


def _commands(manage: str, settings_module: str) -> DjangoCommands:
    try:
        argv = tuple(shlex.split(manage))
    except ValueError as exc:
        raise ConfigError(f"--manage {manage!r}: {exc}") from None
    if not argv:
        raise ConfigError("--manage: give the command that runs the candidate's manage.py")
    commands = DjangoCommands(manage=argv, env={"DJANGO_SETTINGS_MODULE": settings_module})
    check_runnable(commands, "--manage")
    return commands


def _emit(result: AreaResult, as_json: bool, run: Run | None, text: str) -> None:
    emit(result, as_json, run, text)
    if not result.passed:
        raise SystemExit(EXIT_GATE_FAILED)


def _text(result: AreaResult, title: str) -> str:
    lines = [f"{f.severity.upper():<9} {f.check:<26} {f.message}" for f in result.findings]
    gated = [m for m in result.metrics if m.passed is not None]
    lines += [f"{'ok' if m.passed else 'FAILED':<9} {m.id:<40} {m.value} (target {m.target})" for m in gated]
    lines.append(f"{title}: {'passed' if result.passed else 'FAILED'} in {result.duration_s:.1f} s, "
                 f"{len(result.findings)} finding(s).")
    return "\n".join(lines)


# -- harness data migrate-check -------------------------------------------------------------------------------

@data.command("migrate-check")
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
def migrate_check_command(legacy_db: str, candidate_db: str, in_place_db: str | None, paths: tuple[str, ...],
                          batch_size: int, manage: str, settings_module: str, as_json: bool, out: Path | None) -> None:
    """Run the candidate's migrations both ways (copy into an empty database; --fake-initial in place) and
    verify the schema, every row, the soft-deleted rows and FK integrity afterwards."""
    from .migrate import MigrateOptions, check_migration

    with harness_errors(), terminal_progress(not as_json) as progress:
        options = MigrateOptions(paths=paths or PATHS, in_place_url=in_place_db, batch_size=batch_size,
                                 commands=_commands(manage, settings_module), progress=progress)
        run = run_folder(out)
        report = check_migration(legacy_db, candidate_db, options)
    result = report.to_area_result()
    _emit(result, as_json, run, _text(result, "Migration paths"))


# -- harness data cross-write ---------------------------------------------------------------------------------

@data.command("cross-write")
@click.option("--legacy-db", "--db", "db", required=True, envvar="HARNESS_LEGACY_DB", metavar="URL",
              help="The one database both apps run on (env HARNESS_LEGACY_DB).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Settings file for the two targets (default: ./harness.toml or [tool.harness]).")
@click.option("--legacy", metavar="URL|IMPORT", help="The legacy target (import string or loopback URL).")
@click.option("--candidate", metavar="URL|IMPORT", help="The candidate target (import string or loopback URL).")
@click.option("--adopt/--no-adopt", default=True, show_default=True,
              help="Run the candidate's `migrate --fake-initial` on the database first.")
@click.option("--admin-email", metavar="EMAIL", help="An account that may grant roles (default: the seed's admin).")
@click.option("--admin-password", metavar="PASSWORD", help="Its password.")
@_django_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (the result schema).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Reports folder: write DIR/<run-id>/data-crosswrite.json (the targets' folders go in that run "
                   "folder too) and point DIR/latest at it.")
def cross_write_command(db: str, config: Path | None, legacy: str | None, candidate: str | None, adopt: bool,
                        admin_email: str | None, admin_password: str | None, manage: str, settings_module: str,
                        as_json: bool, out: Path | None) -> None:
    """Both apps on one database: every write through one app must read the same through both, and leave
    the same rows as the same write through the other."""
    from .crosswrite import CrossWriteOptions, check_cross_write

    with harness_errors(), terminal_progress(not as_json) as progress:
        settings = load_settings(config, options={"legacy": legacy, "candidate": candidate, "out": out})
        options = CrossWriteOptions(progress=progress)
        if admin_email:
            options.admin_email, options.admin_password = admin_email, admin_password or ""
        commands = _commands(manage, settings_module)
        run = run_folder(out, seed=settings.seed, scale=settings.scale)
        with _shared_targets(settings, db, run, adopt, commands, progress) as targets:
            legacy_target, candidate_target = targets
            report = check_cross_write(legacy_target.wsgi_app, candidate_target.wsgi_app, db, options)
            described = {t.name: t.describe() for t in targets}
    result = report.to_area_result(described)
    _emit(result, as_json, run, _text(result, "Cross-write"))


@contextlib.contextmanager
def _shared_targets(settings: Settings, db: str, run: Run | None, adopt: bool, commands: DjangoCommands,
                    progress: Callable[[str], None]) -> Iterator[list[Target]]:
    """Both targets started on `db` and one upload folder; the database seeded when empty and adopted by the
    candidate's migrations before the candidate starts. Stopped on the way out. The targets' folders go in
    `run` (the --out run folder), or in a temporary one."""
    from harness.core.runs import new_run
    from harness.core.targets import make_target

    from .connect import open_engine
    from .migrate import run_step

    open_engine(db).dispose()  # exit 2 for a bad URL or a missing SQLite file, 3 for a server that does not answer
    with contextlib.ExitStack() as stack:
        if run is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="harness-")))
            run = new_run(folder, seed=settings.seed, scale=settings.scale, progress=progress)
        else:
            run = dataclasses.replace(run, progress=progress)
        shared = str(run.out_dir / "uploads")  # one storage for both apps, as in the blue-green window
        started = []
        for target_settings in (settings.legacy, settings.candidate):
            target = make_target(_on_database(target_settings, db, shared), run)
            progress(f"{target.name}: preparing")
            if target.name == "candidate":
                _seed_if_empty(db, settings)
                if adopt:
                    step = run_step("fake-initial", commands.fake_initial(), db, commands)
                    if not step.ok:
                        raise TargetError(f"candidate: `{shlex.join(step.argv)}` exited with {step.returncode}: "
                                          f"{step.output.splitlines()[-1] if step.output else 'no output'}")
            target.prepare()
            stack.callback(target.stop)
            progress(f"{target.name}: starting")
            target.start()
            started.append(target)
        yield started


def _on_database(target: TargetSettings, db: str, uploads: str) -> TargetSettings:
    """The target's settings pointed at the shared database and upload folder."""
    app_config = {**target.app_config, **({"UPLOAD_ROOT": uploads} if "UPLOAD_ROOT" in target.app_config else {})}
    env = {**target.env, **({"UPLOAD_ROOT": uploads} if "UPLOAD_ROOT" in target.env else {})}
    return dataclasses.replace(target, database_url=db, app_config=app_config, env=env, seed=False)


def _seed_if_empty(db: str, settings: Settings) -> None:
    """The journey needs the seed's admin: a database that holds no rows yet is seeded first."""
    from harness.seed import SeedError, holds_rows, seed_database

    try:
        if not holds_rows(db):
            seed_database(db, scale=settings.scale, seed=settings.seed)
    except SeedError as exc:
        raise ConfigError(f"--legacy-db: {exc}") from None
