"""The one result schema every area returns (DESIGN.md "One result schema"; `result.schema.json`).

Results are plain dataclasses: an area builds one `AreaResult`, `write_area` stores it as
`reports/<run-id>/<area>.json`, and only the scorecard renders them.
"""
from __future__ import annotations

import enum
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from .errors import ConfigError

SCHEMA_PATH = Path(__file__).with_name("result.schema.json")
#: What `reports/latest` falls back to where the file system refuses symlinks: the newest run id, as text.
LATEST_LINK, LATEST_TEXT = "latest", "latest.txt"
#: How a run as a whole ended (completed, interrupted by a signal, or stopped by an error): `<run>/run.json`.
RUN_RECORD = "run.json"


class ReportsError(ConfigError, click.ClickException):
    """The reports folder cannot be written (`--out`/`HARNESS_OUT` under a file, in /proc, read-only...): exit 2
    with one line. Also a click exception, so a command that writes results outside `harness_errors()` still
    shows `Error: <reason>` rather than a traceback."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        click.ClickException.__init__(self, message)

    def __str__(self) -> str:
        return self.message


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


#: Findings that fail an area's gate unless the area decides otherwise.
BLOCKING = frozenset({Severity.CRITICAL, Severity.HIGH})
SIDES = ("legacy", "candidate", "both")


@dataclass(slots=True)
class Metric:
    """One measured number on one side, e.g. p95_ms of the candidate against the target "< 100"."""

    id: str
    side: str  # legacy | candidate | both
    value: float | int | None
    unit: str = ""
    target: str | None = None
    passed: bool | None = None  # None: informational, not a gate
    evidence: str | None = None  # a path relative to the run's folder

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"metric {self.id!r}: side must be one of {', '.join(SIDES)}, not {self.side!r}")


@dataclass(slots=True)
class Finding:
    """One fault, with what is needed to reproduce it (request, both responses, seed)."""

    id: str
    check: str
    severity: Severity
    message: str
    operation: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    reproduce: str = ""

    def __post_init__(self) -> None:
        self.severity = Severity(self.severity)


@dataclass(slots=True)
class AreaResult:
    """What one area found. `started`, `duration_s` and `targets` are filled by `run_area` when left empty."""

    area: str
    passed: bool
    metrics: list[Metric] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    started: str = ""  # ISO 8601, UTC
    duration_s: float = 0.0
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The stop signal ("SIGTERM") that cut this area short: the result holds only what was done before it.
    interrupted: str | None = None
    #: Why the area did not run at all (a target it needs lacks something); a skipped area does not fail.
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        ordered = {key: data[key] for key in ("area", "started", "duration_s", "passed", "targets", "metrics",
                                              "findings")}
        for key in ("interrupted", "skipped"):  # only when set, so complete results keep their shape
            if data[key] is not None:
                ordered[key] = data[key]
        for finding in ordered["findings"]:
            finding["severity"] = str(finding["severity"])
        return ordered

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AreaResult:
        return cls(area=data["area"], passed=data["passed"], started=data["started"],
                   duration_s=data["duration_s"], targets=data["targets"],
                   metrics=[Metric(**m) for m in data["metrics"]],
                   findings=[Finding(**f) for f in data["findings"]],
                   interrupted=data.get("interrupted"), skipped=data.get("skipped"))


def gate(metrics: list[Metric], findings: list[Finding], blocking: frozenset[Severity] = BLOCKING) -> bool:
    """The default gate: no metric missed its target and no finding is critical or high."""
    return all(m.passed is not False for m in metrics) and not any(f.severity in blocking for f in findings)


def write_area(run_dir: Path, result: AreaResult) -> Path:
    """Write `<run_dir>/<area>.json` and point `<reports>/latest` at this run if it is the newest.

    ReportsError (exit 2, one line) when the folder cannot be written."""
    path = run_dir / f"{result.area}.json"
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
        point_latest(run_dir)
    except OSError as exc:
        raise ReportsError(f"cannot write {path}: {exc.strerror or exc} (give --out a writable folder)") from None
    return path


def read_area(path: Path) -> AreaResult:
    return AreaResult.from_dict(json.loads(path.read_text(encoding="utf-8")))


def latest_run(root: Path) -> Path | None:
    """The newest run's folder under `root` (the reports folder), from the link or its text fallback."""
    link, text = root / LATEST_LINK, root / LATEST_TEXT
    if link.is_symlink() and link.resolve().is_dir():
        return link.resolve()
    if text.is_file():
        run = root / text.read_text(encoding="utf-8").strip()
        return run if run.is_dir() else None
    return None


def point_latest(run_dir: Path) -> None:
    """Run ids sort by time, so `latest` only ever moves forward even when runs finish out of order."""
    root, run_id = run_dir.parent, run_dir.name
    current = latest_run(root)
    if current is not None and current.name > run_id:
        return
    temporary = root / f".{LATEST_LINK}-{run_id}-{os.getpid()}"
    try:
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(run_id, target_is_directory=True)
        os.replace(temporary, root / LATEST_LINK)  # atomic: readers see the old run or the new one
    except (OSError, NotImplementedError):
        temporary.unlink(missing_ok=True)
        (root / LATEST_TEXT).write_text(run_id + "\n", encoding="utf-8")
        return
    (root / LATEST_TEXT).unlink(missing_ok=True)
