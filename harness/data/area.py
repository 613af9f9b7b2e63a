"""The data area for `harness verify`: the two targets' databases compared by schema and by rows.

It runs first (order 5), on the databases as prepared and seeded, before the contract area's traffic writes
different ids and timestamps into each: the legacy schema (SQLAlchemy) against the candidate's (Django
migrations) by definition, then every table's rows by primary key. Settings (`[data]` in harness.toml):
    allow_list = "path/to/schema-allow-list.toml"   (the data area's own reviewed exceptions; the run's
                     `accepted` file's `area: data` entries apply too)    fail_on = "cosmetic" | "risky" | "breaking"
    rows = true      tables = ["users", ...]
    migrate = true   migrate_database_url = "postgresql://…/empty"   (the migration paths of `harness data
                     migrate-check`: Django migrations on an empty database + copy_legacy_rows, and
                     `migrate --fake-initial` on a clone of legacy; an empty SQLite file in the run folder is
                     used when legacy is SQLite, otherwise give an empty database here)
    migrate_manage = "{python} -m mysite.manage"   the CONFIGURED CANDIDATE's manage.py command. Default: the
                     prefix before `migrate` of the candidate's own prepare step (`… manage … migrate …`), run
                     with the candidate's env. A candidate with neither is not a Django project the harness can
                     drive: the migration paths are skipped with an info finding saying so (never run against
                     some other project's migrations).
    crosswrite = true   crosswrite_database_url = "postgresql://…/shared"   (the blue-green cross-write, an area of
                     its own after the contract area: crosswrite_area.py; a SQLite file in the run folder when
                     legacy is SQLite, otherwise give a scratch database both apps may share)
Declared as `DATA_SETTINGS` (core's parsers); a relative path is relative to the settings file's folder.
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from harness.core import paths
from harness.core.areas import register_area
from harness.core.config import AreaKeys, Key, Settings, render
from harness.core.parsers import boolean, choice, command, existing_file, literal_database_url, non_empty_list
from harness.core.results import AreaResult
from harness.core.reviewed import Reviewed, load_reviewed
from harness.core.runs import Run
from harness.core.targets import Targets

if TYPE_CHECKING:
    from harness.core.targets import Target

    from .migrate import DjangoCommands

# registered when imported (discovery imports area.py only): the rows-after-traffic check, the data-crosswrite area
from . import after_traffic, crosswrite_area  # noqa: F401
from .allowlist import apply_allowlist, load_allowlist
from .report import to_area_result
from .rows import diff_rows
from .schema import diff, reflect

DATA_SETTINGS = AreaKeys("data", (
    Key("allow_list", existing_file),
    Key("fail_on", choice("breaking", "risky", "cosmetic"), "cosmetic"),
    Key("rows", boolean, True),
    Key("tables", non_empty_list("table names or fnmatch patterns")),
    Key("migrate", boolean, True),
    Key("migrate_database_url", literal_database_url),
    Key("migrate_manage", command),
    Key("crosswrite", boolean, True),
    Key("crosswrite_database_url", literal_database_url),
))


@register_area("data", order=5, needs_database=True)
def data(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    raw = settings.area_settings(DATA_SETTINGS)
    fail_on, tables = raw["fail_on"], raw["tables"]
    legacy_url, candidate_url = targets.legacy.database_url, targets.candidate.database_url
    if not legacy_url or not candidate_url:
        raise settings.bad_setting("candidate.database_url" if legacy_url else "legacy.database_url", None,
                                   "a database URL (the data area reads both databases)")
    entries = reviewed_entries(settings, raw["allow_list"])
    run.progress("data: schema")
    legacy, candidate = reflect(legacy_url, tables=tables), reflect(candidate_url, tables=tables)
    schema = apply_allowlist(diff(legacy, candidate), entries)
    rows = None
    if raw.get("rows", True):
        run.progress("data: rows")
        rows = diff_rows(legacy_url, candidate_url, tables=tables)
    result = to_area_result(legacy=legacy_url, candidate=candidate_url, schema=schema, rows=rows, fail_on=fail_on,
                            targets=targets.describe(), tables=(len(legacy.tables), len(candidate.tables)))
    if raw.get("migrate", True):
        _migration_paths(run, raw, legacy_url, result, targets.candidate)
    return result


def reviewed_entries(settings: Settings, allow_list: Path | None) -> list[Reviewed]:
    """The run's reviewed exceptions (the `accepted` file; the project's may be absent) and the data area's own
    allow-list file, if one is set: one loader, the same rules, applied to the data area's differences."""
    shared = load_reviewed(settings.accepted, missing_ok=settings.accepted == paths.ACCEPTED)
    return shared + (load_allowlist(allow_list) if allow_list else [])


def candidate_commands(candidate: Target, manage: str | list[str] | None = None) -> tuple[DjangoCommands | None, str]:
    """How to run the configured candidate's manage.py: (commands, "") or (None, why it cannot be driven).

    `manage` (data.migrate_manage) names it; otherwise the candidate's prepare step that runs `… manage …
    migrate` gives it (the part before `migrate`). Either runs with the candidate's environment."""
    from .migrate import DjangoCommands

    env = {name: value for name, value in candidate.target_env().items() if name != "DATABASE_URL"}
    if manage is not None:
        parts = shlex.split(manage) if isinstance(manage, str) else list(manage)
        return DjangoCommands(manage=tuple(render(part, candidate.placeholders()) for part in parts), env=env), ""
    for step in candidate.settings.prepare:
        argv = [render(part, candidate.placeholders()) for part in step]
        if "migrate" in argv:
            prefix = argv[:argv.index("migrate")]
            if prefix and any("manage" in part for part in prefix):
                return DjangoCommands(manage=tuple(prefix), env=env), ""
    what = candidate.settings.app or candidate.settings.url or " ".join(candidate.settings.command)
    return None, (f"migration paths not run: the candidate ({candidate.settings.kind} {what}) is not a Django "
                  f"project the harness can drive (none of its prepare steps runs `manage.py migrate`); set "
                  f"data.migrate_manage to its manage.py command to check its migrations")


def _migration_paths(run: Run, raw: dict, legacy_url: str, result: AreaResult, candidate: Target) -> None:
    """The copy and in-place migration paths of the configured candidate, on their own databases (the
    targets' are left as they are)."""
    from harness.core.results import Finding, Severity, gate

    from .migrate import MigrateOptions, check_migration, check_runnable

    commands, why = candidate_commands(candidate, raw.get("migrate_manage"))
    if commands is None:
        result.findings.append(Finding(id="data.migrate.skipped", check="migration_paths", severity=Severity.INFO,
                                       message=why, evidence={"candidate": candidate.describe()}))
        return
    check_runnable(commands, "data.migrate_manage" if raw.get("migrate_manage") else "candidate.prepare")

    empty = raw.get("migrate_database_url")
    if empty is None and legacy_url.startswith("sqlite"):
        folder = run.out_dir / "data-migrate"
        folder.mkdir(parents=True, exist_ok=True)
        empty = f"sqlite:///{folder / 'copy-target.sqlite3'}"
    if empty is None:
        result.findings.append(Finding(id="data.migrate.skipped", check="migration_paths", severity=Severity.INFO,
                                       message="migration paths not run: set data.migrate_database_url to an "
                                               "empty database (legacy is not SQLite)"))
        return
    run.progress("data: migration paths")
    report = check_migration(legacy_url, empty, MigrateOptions(commands=commands, progress=run.progress))
    result.metrics += report.metrics
    result.findings += report.findings
    result.passed = result.passed and gate(report.metrics, report.findings)
