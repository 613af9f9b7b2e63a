"""The blue-green cross-write as an area of `harness verify` (`data-crosswrite`, after the contract area): both
configured apps started again on ONE scratch database, each honouring what the other writes
(crosswrite.check_cross_write, as `harness data cross-write` runs it).

The targets verify started keep their own databases; this area starts the pair a second time, in its own folder
of the run (`data-crosswrite/`), on the shared database and one upload folder (cli_paths: seeded when it holds no
rows, then adopted by the candidate's `migrate --fake-initial` when the harness can drive its manage.py). An
in-process app configured at import (a module-level app such as Django's WSGI handler) is configured once per
process, for the database verify gave it, so on the shared database it runs as a spawned server instead (the
same app, served on loopback). A target reached by URL cannot be started again: the area is skipped.
Settings (`[data]`, harness/data/area.py):
    crosswrite = true                 run it (false: the area is skipped, saying so)
    crosswrite_database_url = "postgresql://…/shared"   the scratch database both apps share; an empty SQLite file
                                      in the run folder is used when legacy is SQLite, otherwise the area is
                                      skipped with the reason (never a database of the targets').
Its reviewed exceptions are the run's `accepted` file's `area: data-crosswrite` entries, matched on the check, the
resource written, and optionally the writer, the read and the field (`MATCH_KEYS`): a covered finding stays in
the result as information with the entry's reason; an expired entry fails the area by itself.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import time
from collections import Counter

from harness.core.areas import AreaSkipped, register_area
from harness.core.config import Settings, TargetSettings
from harness.core.results import BLOCKING, AreaResult, Finding, Metric, Severity, gate
from harness.core.reviewed import MatchKeys, Reviewed, declare_match_keys, expired_findings, for_area, split
from harness.core.runs import Run
from harness.core.targets import Targets, looks_like_factory, open_targets

from .crosswrite import AREA, CrossWriteOptions, check_cross_write

#: The area's folder in the run: the second pair's targets, the shared database and uploads.
FOLDER = AREA
CHECKS = ("cross_write_read", "cross_write_rows", "cross_write_write", "cross_write_checked")
MATCH_KEYS = MatchKeys(required=("check", "resource"), optional=("writer", "read", "field"),
                       choices={"check": CHECKS})
declare_match_keys(AREA, MATCH_KEYS)
#: check -> the metric counting its findings: an accepted finding no longer counts against it
COUNTED_BY = {"cross_write_read": "crosswrite_read_differences", "cross_write_rows": "crosswrite_row_differences"}


@register_area(AREA, order=20, needs_database=True)
def data_crosswrite(run: Run, settings: Settings, targets: Targets) -> AreaResult:
    """The journey of crosswrite.py through both apps on the scratch database, its reviewed exceptions applied."""
    from .area import DATA_SETTINGS, candidate_commands, reviewed_entries
    from .shared_db import adopting, on_database

    clock = time.perf_counter()
    raw = settings.area_settings(DATA_SETTINGS)
    if not raw["crosswrite"]:
        raise AreaSkipped("switched off (data.crosswrite = false)")
    reached = [target.name for target in targets if target.kind == "url"]
    if reached:
        raise AreaSkipped(f"{' and '.join(reached)} reached by URL: a service someone else runs cannot be started "
                          f"again on the scratch database (run `harness data cross-write` where it is deployed)")
    shared = scratch_database(run, raw["crosswrite_database_url"], targets.legacy.database_url or "")
    commands, _why = candidate_commands(targets.candidate, raw["migrate_manage"])
    moved = on_database(settings, shared, str(run.out_dir / FOLDER / "uploads"))
    moved = dataclasses.replace(moved, candidate=own_process(moved.candidate), legacy=own_process(moved.legacy))
    here = dataclasses.replace(run, out_dir=run.out_dir / FOLDER)
    run.progress("data-crosswrite: both apps on one database")
    with open_targets(here, moved, before_prepare=adopting(shared, moved, commands)) as pair:
        report = check_cross_write(pair.legacy.wsgi_app, pair.candidate.wsgi_app, shared,
                                   CrossWriteOptions(progress=run.progress))
        result = report.to_area_result(pair.describe())
    result.duration_s = round(time.perf_counter() - clock, 3)  # the pair's start-up too, not the journey alone
    return apply_reviewed(result, reviewed_entries(settings, None))


def covers(entry: Reviewed, finding: Finding) -> bool:
    """Whether the entry names the finding: its check, the resource written, the writer, the read and the field."""
    evidence = finding.evidence
    return entry.matches({"check": finding.check, "resource": finding.operation or "",
                          "writer": evidence.get("writer") or "", "read": evidence.get("read") or "",
                          "field": evidence.get("field") or ""})


def apply_reviewed(result: AreaResult, entries: list[Reviewed], today: dt.date | None = None) -> AreaResult:
    """`result` with the blocking findings a live entry of the area covers made informational (the entry's
    reason in their evidence), a blocking finding per expired entry, and its verdict taken again."""
    mine = for_area(entries, AREA)
    parts = split([f for f in result.findings if f.severity in BLOCKING], mine, covers, today=today)
    for finding, entry in parts.accepted:
        finding.severity = Severity.INFO
        finding.evidence["accepted"] = {"reason": entry.reason, "expires": entry.expires.isoformat()}
    accepted = Counter(finding.check for finding, _ in parts.accepted)
    for metric in result.metrics:
        counted = sum(accepted[check] for check, metric_id in COUNTED_BY.items() if metric_id == metric.id)
        if counted:
            metric.value -= counted
            metric.passed = metric.value == 0
    result.metrics.append(Metric("crosswrite_accepted", "both", len(parts.accepted), "findings",
                                 evidence="findings with evidence.accepted"))
    result.findings += expired_findings(AREA, parts.expired, today)
    result.passed = gate(result.metrics, result.findings)
    return result


def scratch_database(run: Run, configured: str | None, legacy_url: str) -> str:
    """The database both apps share: the configured one, else a new SQLite file in the run's folder when legacy is
    SQLite (AreaSkipped otherwise: a PostgreSQL legacy needs a scratch database of its kind, named by the user)."""
    if configured is not None:
        return configured
    if not legacy_url.startswith("sqlite"):
        raise AreaSkipped("legacy's database is not SQLite: set data.crosswrite_database_url to a scratch database "
                          "both apps may share (it is seeded when empty and written to)")
    return f"sqlite:///{run.path(FOLDER, 'shared.sqlite3')}"


def own_process(target: TargetSettings) -> TargetSettings:
    """The target as it can run on a second database in this process: an in-process app configured at import
    (not a factory called with its settings) is served by a spawned server instead."""
    if target.kind != "wsgi" or _factory(target):
        return target
    return dataclasses.replace(target, kind="spawn", port=0)


def _factory(target: TargetSettings) -> bool:
    module, _, attribute = (target.app or "").partition(":")
    if attribute.endswith("()") or target.factory is not None:
        return attribute.endswith("()") or bool(target.factory)
    return looks_like_factory(getattr(importlib.import_module(module), attribute, None))
