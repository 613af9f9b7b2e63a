"""The data area for `harness verify`: the two targets' databases compared by schema and by rows.

It runs first (order 5), on the databases as prepared and seeded, before the contract area's traffic writes
different ids and timestamps into each: the legacy schema (SQLAlchemy) against the candidate's (Django
migrations) by definition, then every table's rows by primary key. Settings (`[data]` in harness.toml):
    allow_list = "path/to/schema-allow-list.toml"    fail_on = "cosmetic" | "risky" | "breaking"
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
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from harness.core.areas import register_area
from harness.core.config import Settings, render
from harness.core.results import AreaResult
from harness.core.runs import Run
from harness.core.targets import Targets

if TYPE_CHECKING:
    from harness.core.targets import Target

    from .migrate import DjangoCommands

from .allowlist import apply_allowlist, load_allowlist
from .report import to_area_result
from .rows import diff_rows
from .schema import diff, reflect

_KEYS = {"allow_list", "fail_on", "rows", "tables", "migrate", "migrate_database_url", "migrate_manage"}
_FAIL_ON = ("breaking", "risky", "cosmetic")


@register_area("data", order=5, needs_database=True)
def data(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    raw = dict(settings.section("data"))
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise settings.bad_setting(f"data.{unknown[0]}", raw[unknown[0]], f"one of {', '.join(sorted(_KEYS))}")
    fail_on = raw.get("fail_on", "cosmetic")
    if fail_on not in _FAIL_ON:
        raise settings.bad_setting("data.fail_on", fail_on, f"one of {', '.join(_FAIL_ON)}")
    tables = raw.get("tables")
    if tables is not None and (not isinstance(tables, list) or not tables
                               or not all(isinstance(t, str) and t.strip() for t in tables)):
        raise settings.bad_setting("data.tables", tables, "a non-empty list of table names or fnmatch patterns")
    manage = raw.get("migrate_manage")
    if manage is not None and not (isinstance(manage, str) and manage.strip() or isinstance(manage, list) and manage
                                   and all(isinstance(part, str) for part in manage)):
        raise settings.bad_setting("data.migrate_manage", manage, "the candidate's manage.py command (text or list)")
    legacy_url, candidate_url = targets.legacy.database_url, targets.candidate.database_url
    if not legacy_url or not candidate_url:
        raise settings.bad_setting("candidate.database_url" if legacy_url else "legacy.database_url", None,
                                   "a database URL (the data area reads both databases)")
    entries = []
    if raw.get("allow_list"):
        path = Path(raw["allow_list"])
        if not path.is_file():
            raise settings.bad_setting("data.allow_list", raw["allow_list"], "the path of an existing file")
        entries = load_allowlist(path)
    run.progress("data: schema")
    schema = apply_allowlist(diff(reflect(legacy_url, tables=tables), reflect(candidate_url, tables=tables)), entries)
    rows = None
    if raw.get("rows", True):
        run.progress("data: rows")
        rows = diff_rows(legacy_url, candidate_url, tables=tables)
    result = to_area_result(legacy=legacy_url, candidate=candidate_url, schema=schema, rows=rows, fail_on=fail_on,
                            targets=targets.describe())
    if raw.get("migrate", True):
        _migration_paths(run, raw, legacy_url, result, targets.candidate)
    return result


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
