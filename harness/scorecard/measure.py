"""The scorecard's settings (`[scorecard]` in harness.toml) and the figures it measures itself, written into the run
folder as evidence: each app's maintainability index (radon over its source) and its test coverage (the file its
last `harness scorecard coverage` run left, with that run's commit and date).

    options = scorecard_options(settings)
    extra = measure(options, run_dir)

`extra["maintainability"][side]` and `extra["coverage"][side]` are (the figures, the evidence file's path relative
to the run folder: scorecard/maintainability.<side>.json, scorecard/coverage.<side>.json).
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core import paths
from harness.core.config import AreaKeys, Key, Settings
from harness.core.parsers import command, existing_dir, existing_file, path
from harness.core.targets import app_source

from .codemetrics import DEFAULT_TEST_COMMANDS, maintainability, read_coverage
from .errors import ScorecardInputError

SIDES = ("legacy", "candidate")
SCORECARD_SETTINGS = AreaKeys("scorecard", (
    Key("gates", existing_file, paths.SCENARIOS / "scorecard.toml"),
    Key("legacy_source", existing_dir),
    Key("candidate_source", existing_dir),
    Key("legacy_coverage", path),
    Key("candidate_coverage", path),
    Key("legacy_test_command", command, tuple(DEFAULT_TEST_COMMANDS["legacy"])),
    Key("candidate_test_command", command, tuple(DEFAULT_TEST_COMMANDS["candidate"])),
    Key("history", path),
))


@dataclass(frozen=True, slots=True)
class ScorecardOptions:
    gates: Path
    sources: Mapping[str, Path | None]
    coverage: Mapping[str, Path]
    test_commands: Mapping[str, tuple[str, ...]]
    history: Path


def scorecard_options(settings: Settings) -> ScorecardOptions:
    values = settings.area_settings(SCORECARD_SETTINGS)
    return ScorecardOptions(
        gates=values["gates"],
        sources={side: values[f"{side}_source"] or app_source(settings.target(side)) for side in SIDES},
        coverage={side: values[f"{side}_coverage"] or settings.out / "coverage" / f"{side}.json" for side in SIDES},
        test_commands={side: tuple(values[f"{side}_test_command"]) for side in SIDES},
        history=values["history"] or settings.out / "history.sqlite")


def measure(options: ScorecardOptions, run_dir: Path) -> dict[str, Any]:
    """Each app's MI and coverage, each written to `<run>/scorecard/` (the page links there). A source that is not
    configured or a coverage file that does not exist yet leaves the figure out (the row says how to measure it);
    a coverage file that exists but cannot be read is an error (exit 2)."""
    folder = run_dir / "scorecard"
    extra: dict[str, Any] = {"maintainability": {}, "coverage": {}}
    for side in SIDES:
        source = options.sources.get(side)
        if source is not None:
            extra["maintainability"][side] = _write(folder, f"maintainability.{side}.json",
                                                    _maintainability(source), run_dir)
        found = options.coverage.get(side)
        if found is not None and found.is_file():
            extra["coverage"][side] = _write(folder, f"coverage.{side}.json", read_coverage(found).to_dict(), run_dir)
    return extra


#: radon's figures per source tree, keyed by every file's path, size and modification time: scoring several runs
#: in one process (the tests, `--compare`) measures an unchanged tree once.
_MEASURED: dict[tuple[Any, ...], dict[str, Any]] = {}


def _maintainability(source: Path) -> dict[str, Any]:
    files = sorted(source.rglob("*.py"))
    key = (str(source.resolve()), *((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    if key not in _MEASURED:
        _MEASURED[key] = maintainability(source).to_dict()
    return _MEASURED[key]


def _write(folder: Path, name: str, data: dict[str, Any], run_dir: Path) -> tuple[dict[str, Any], str]:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ScorecardInputError(f"cannot write {folder / name}: {exc.strerror or exc}") from None
    return data, str((folder / name).relative_to(run_dir))
