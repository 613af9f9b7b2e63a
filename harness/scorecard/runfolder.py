"""A run folder as the scorecard reads it: `run.json` and each area's result, every figure with the JSON pointer it
came from, so the page can say where each number lives.

    run = RunFolder.open(path)                    # ScorecardInputError (exit 2) when it is not a run folder
    run.metric("load", "p95_ms", "candidate")     # Sourced(value=41.2, source="load.json#/metrics/0/value")
    run.finding("load", "load.figures.candidate") # (the finding, "load.json#/findings/3")
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.results import RUN_RECORD

from .errors import ScorecardInputError


@dataclass(frozen=True, slots=True)
class Sourced:
    """A value and where it was read: a path relative to the run folder, `#`, an RFC 6901 JSON pointer."""

    value: Any
    source: str


def pointer(*parts: str | int) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(slots=True)
class RunFolder:
    path: Path
    record: dict[str, Any]
    _areas: dict[str, dict[str, Any]] = field(default_factory=dict)
    _files: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path) -> RunFolder:
        if not path.is_dir():
            raise ScorecardInputError(f"{path} is not a run folder (give reports/<run-id>, or leave RUN out for "
                                      f"reports/latest)")
        record = _read_json(path / RUN_RECORD) if (path / RUN_RECORD).is_file() else None
        areas = {}
        for file in sorted(path.glob("*.json")):
            if file.name in (RUN_RECORD, "scorecard.json"):
                continue
            data = _read_json(file)
            if isinstance(data, dict) and isinstance(data.get("area"), str) and "metrics" in data:
                areas[data["area"]] = data
        if record is None and not areas:
            raise ScorecardInputError(f"{path} holds no run.json and no area result: not a run folder")
        return cls(path=path.resolve(), record=record or {"run_id": path.name}, _areas=areas)

    @property
    def run_id(self) -> str:
        return str(self.record.get("run_id") or self.path.name)

    @property
    def started(self) -> str:
        return str(self.record.get("started") or "")

    def areas(self) -> dict[str, dict[str, Any]]:
        return dict(self._areas)

    def area(self, name: str) -> dict[str, Any] | None:
        return self._areas.get(name)

    def _metric_at(self, area: str, metric_id: str, side: str) -> tuple[int, dict[str, Any]] | None:
        for index, metric in enumerate((self._areas.get(area) or {}).get("metrics", [])):
            if metric.get("id") == metric_id and metric.get("side") == side:
                return index, metric
        return None

    def metric(self, area: str, metric_id: str, side: str) -> Sourced | None:
        found = self._metric_at(area, metric_id, side)
        if found is None:
            return None
        index, metric = found
        return Sourced(metric.get("value"), f"{area}.json#{pointer('metrics', index, 'value')}")

    def metric_record(self, area: str, metric_id: str, side: str) -> dict[str, Any] | None:
        """The whole metric as the area wrote it (its target and whether the area judged it)."""
        found = self._metric_at(area, metric_id, side)
        return None if found is None else found[1]

    def finding(self, area: str, finding_id: str) -> tuple[dict[str, Any], str] | None:
        data = self._areas.get(area)
        if data is None:
            return None
        for index, finding in enumerate(data.get("findings", [])):
            if finding.get("id") == finding_id:
                return finding, f"{area}.json#{pointer('findings', index)}"
        return None

    def file(self, relative: str) -> Any:
        """A JSON evidence file inside the run folder (None when absent or unreadable: the row says not measured)."""
        if relative not in self._files:
            path = self.path / relative
            try:
                self._files[relative] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
            except (OSError, ValueError):
                self._files[relative] = None
        return self._files[relative]

    def text(self, relative: str) -> str | None:
        path = self.path / relative
        try:
            return path.read_text(encoding="utf-8") if path.is_file() else None
        except OSError:
            return None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScorecardInputError(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ScorecardInputError(f"{path} is not valid JSON ({exc})") from None
