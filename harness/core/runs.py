"""A run: one folder under the reports folder that every area of one `harness` invocation writes into.

Run ids are UTC timestamps to the microsecond (`20251126T093512.123456Z`), so sorting them as text sorts
them by time, which is how `reports/latest` knows which run is the newest.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from .results import AreaResult, write_area

RUN_ID_FORMAT = "%Y%m%dT%H%M%S.%fZ"


def _quiet(message: str) -> None:
    """Progress goes nowhere unless the CLI is on a terminal."""


@dataclass(frozen=True, slots=True)
class Run:
    """What every area of one invocation shares: where to write, and the seed the targets were given."""

    run_id: str
    out_dir: Path  # reports/<run-id>
    seed: int
    scale: str
    started: datetime
    #: Long work reports progress here (`run.progress("contract: fuzzing")`); a terminal shows it, CI does not.
    progress: Callable[[str], None] = field(default=_quiet, compare=False, repr=False)

    @property
    def root(self) -> Path:
        """The reports folder that holds this run and the `latest` pointer."""
        return self.out_dir.parent

    def path(self, *parts: str) -> Path:
        """A path inside the run's folder (parents created), for an area's evidence files."""
        target = self.out_dir.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, result: AreaResult) -> Path:
        return write_area(self.out_dir, result)


def new_run(out: Path, *, seed: int, scale: str, now: datetime | None = None,
            progress: Callable[[str], None] = _quiet) -> Run:
    """Create a fresh run folder under `out`; two runs started in the same microsecond still get two folders."""
    started = now or datetime.now(UTC)
    out.mkdir(parents=True, exist_ok=True)
    while True:
        run_id = started.strftime(RUN_ID_FORMAT)
        try:
            (out / run_id).mkdir()
        except FileExistsError:
            started += timedelta(microseconds=1)
            continue
        return Run(run_id=run_id, out_dir=(out / run_id).resolve(), seed=seed, scale=scale, started=started,
                   progress=progress)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
