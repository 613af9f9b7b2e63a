"""What the scorecard says, as data: the verdict, the rows (both apps, the delta, the gate), the charts' series and
the trends. harness/report renders it (HTML, Markdown, JUnit XML, JSON); nothing here renders.

Every figure carries its sources: `"load.json#/metrics/0/value"` — a file relative to the run folder and a JSON
pointer — and the figure's value is the sum of the values they name, times `scale` (a ratio shown in %). A test
resolves each one against the file and compares it with what the page shows.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PASS, FAIL, NOT_MEASURED, INFO = "pass", "fail", "not measured", "info"
VERDICT_TITLES = {"yes": "Safe to switch: yes", "no": "Safe to switch: no",
                  "not proven": "Safe to switch: not proven yet"}


@dataclass(frozen=True, slots=True)
class Figure:
    value: float | None
    display: str
    sources: tuple[str, ...] = ()
    scale: float = 1.0
    note: str = ""
    #: The run a carried-over figure came from (this run did not measure it), else "".
    from_run: str = ""

    @property
    def measured(self) -> bool:
        return self.value is not None


MISSING = Figure(None, "not measured")


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    section: str
    title: str
    area: str
    unit: str
    lower_is_better: bool
    target: str
    blocks: bool
    method: str
    legacy: Figure
    candidate: Figure
    #: pass | fail | not measured | info (a row that does not block and misses its target is "fail", not blocking)
    status: str
    legacy_status: str
    delta: str = ""
    how_to_measure: str = ""
    reason: str = ""
    evidence: str = ""
    previous: float | None = None
    previous_run: str = ""
    regression: str = ""
    regression_blocks: bool = False
    trend: tuple[tuple[str, float | None, float | None], ...] = ()

    @property
    def failure(self) -> str:
        """What the candidate's figure is against the target, with why it fails when the figure alone meets it."""
        why = f"; {self.candidate.note}" if self.candidate.note and self.status == FAIL else ""
        return f"{self.title}: {self.candidate.display} (target {self.target}{why})"

    @property
    def blocking_failure(self) -> bool:
        return (self.status == FAIL and self.blocks) or (bool(self.regression) and self.regression_blocks)


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    kind: str  # bars | distribution | stacked | trend
    title: str
    unit: str = ""
    labels: tuple[str, ...] = ()
    series: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    threshold: float | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str  # yes | no | not proven
    because: tuple[str, ...]
    not_blocking: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        return VERDICT_TITLES[self.state]

    @property
    def headline(self) -> str:
        return f"{self.title}, because {'; '.join(self.because)}" if self.because else self.title


@dataclass(frozen=True, slots=True)
class Scorecard:
    run_id: str
    started: str
    run_dir: str
    gates_file: str
    verdict: Verdict
    rows: tuple[Row, ...]
    charts: tuple[Chart, ...]
    sections: tuple[str, ...]
    passed: bool
    gated_areas: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def section_rows(self, section: str) -> list[Row]:
        return [row for row in self.rows if row.section == section]

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"]["headline"] = self.verdict.headline
        return data
