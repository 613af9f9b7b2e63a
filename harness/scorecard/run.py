"""Scoring a run folder: the settings and gates checked, the code measured, the card built and kept in the history.

    prepared = prepare(settings)                       # before any area runs: a bad gates file fails fast (exit 2)
    card, extra = score(prepared, run_dir)             # harness verify's last step, harness scorecard RUN
    card, extra = score(prepared, run_b, baseline=run_a, record=False)   # harness scorecard --compare A B
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core import paths
from harness.core.config import Settings

from .build import build
from .codemetrics import git_commit
from .gates import ScorecardGates, load_gates
from .history import History
from .measure import ScorecardOptions, measure, scorecard_options
from .model import Scorecard
from .rows import ROW_IDS
from .runfolder import RunFolder


@dataclass(frozen=True, slots=True)
class Prepared:
    options: ScorecardOptions
    gates: ScorecardGates


def prepare(settings: Settings) -> Prepared:
    options = scorecard_options(settings)
    return Prepared(options, load_gates(options.gates, ROW_IDS))


def score(prepared: Prepared, run_dir: Path, *, gated_areas: Iterable[str] = (), baseline: Path | None = None,
          record: bool = True) -> tuple[Scorecard, dict[str, Any]]:
    run = RunFolder.open(run_dir)
    before = None if baseline is None else RunFolder.open(baseline)
    extra = measure(prepared.options, run.path)
    history = History(prepared.options.history)
    card = build(run, prepared.gates, extra=extra, history=history, baseline=before, gated_areas=gated_areas)
    if record and before is None:
        history.record(card, git_commit(paths.PROJECT))
        card = build(run, prepared.gates, extra=extra, history=history, gated_areas=gated_areas)
    return card, extra
