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
"""
from __future__ import annotations

from pathlib import Path

from harness.core.areas import register_area
from harness.core.config import Settings
from harness.core.results import AreaResult
from harness.core.runs import Run
from harness.core.targets import Targets

from .allowlist import apply_allowlist, load_allowlist
from .report import to_area_result
from .rows import diff_rows
from .schema import diff, reflect

_KEYS = {"allow_list", "fail_on", "rows", "tables", "migrate", "migrate_database_url"}
_FAIL_ON = ("breaking", "risky", "cosmetic")


@register_area("data", order=5)
def data(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    raw = dict(settings.section("data"))
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise settings.bad_setting(f"data.{unknown[0]}", raw[unknown[0]], f"one of {', '.join(sorted(_KEYS))}")
    fail_on = raw.get("fail_on", "cosmetic")
    if fail_on not in _FAIL_ON:
        raise settings.bad_setting("data.fail_on", fail_on, f"one of {', '.join(_FAIL_ON)}")
    tables = raw.get("tables")
    if tables is not None and (not isinstance(tables, list) or not all(isinstance(t, str) for t in tables)):
        raise settings.bad_setting("data.tables", tables, "a list of table names")
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
        _migration_paths(run, raw, legacy_url, result)
    return result


def _migration_paths(run: Run, raw: dict, legacy_url: str, result: AreaResult) -> None:
    """The copy and in-place migration paths, on their own databases (the targets' are left as they are)."""
    from harness.core.results import Finding, Severity, gate

    from .migrate import MigrateOptions, check_migration

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
    report = check_migration(legacy_url, empty, MigrateOptions(progress=run.progress))
    result.metrics += report.metrics
    result.findings += report.findings
    result.passed = result.passed and gate(report.metrics, report.findings)
