"""One run folder (and the history before it) in, the `Scorecard` out: each row judged by the reviewed gates, the
delta between the apps, the regression against the previous run, the trends, the charts' series, the verdict.

    card = build(run, gates, extra=measure_code(settings), history=history)
    card = build(run_b, gates, extra=..., history=None, baseline=run_a)    # harness scorecard --compare A B
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .charts import charts_of
from .gates import RowGate, ScorecardGates
from .history import History
from .model import FAIL, INFO, MISSING, NOT_MEASURED, PASS, Figure, Row, Scorecard, Verdict
from .rows import AREAS, BLOCKING, PLAN, PROMISES, ROWS, Reading, RowSpec, number
from .runfolder import RunFolder


@dataclass(frozen=True, slots=True)
class Context:
    gates: ScorecardGates
    extra: Mapping[str, Any]
    history: History | None
    baseline: RunFolder | None
    baseline_rows: Mapping[str, Row]


def build(run: RunFolder, gates: ScorecardGates, *, extra: Mapping[str, Any] | None = None,
          history: History | None = None, baseline: RunFolder | None = None,
          gated_areas: Iterable[str] = ()) -> Scorecard:
    extra = extra or {}
    baseline_rows = {} if baseline is None else {
        row.id: row for row in build(baseline, gates, extra=extra).rows}
    context = Context(gates, extra, history, baseline, baseline_rows)
    rows = [_row(spec, spec.read(run, extra), run, context) for spec in ROWS]
    rows += [_area_row(name, data, gates) for name, data in run.areas().items()]
    gated = tuple(sorted(set(gated_areas)))
    considered = [row for row in rows if not gated or row.area in gated]
    verdict = _verdict(considered, gates)
    passed = verdict.state == "yes" or (verdict.state == "not proven" and gates.not_measured == "warn")
    return Scorecard(run_id=run.run_id, started=run.started, run_dir=str(run.path), gates_file=str(gates.path),
                     verdict=verdict, rows=tuple(rows), charts=charts_of(run, rows, extra),
                     sections=(PLAN, PROMISES, AREAS),
                     passed=passed, gated_areas=gated, history=() if history is None else tuple(
                         run_id for run_id, _, _ in history.runs()[-gates.history_runs:]),
                     notes=_notes(rows))


def _row(spec: RowSpec, reading: Reading, run: RunFolder, context: Context) -> Row:
    gate = context.gates.row(spec.id)
    sides = (("legacy", reading.legacy), ("candidate", reading.candidate))
    if reading.lower_bound:  # 12 users held says nothing of 10,000: only a run that reaches the target counts
        sides = tuple((side, _bound(found, gate)) for side, found in sides)
    legacy, candidate = (_carried(spec, side, found, run, context) for side, found in sides)
    met = gate.target.met(candidate.value, legacy.value)
    if reading.candidate_fails and candidate.measured:
        met = False
        candidate = replace(candidate, note=reading.candidate_fails)
    elif reading.candidate_unjudged and candidate.measured:
        met = None
        candidate = replace(candidate, note=reading.candidate_unjudged)
    compared = gate.target.bound is None or legacy.display == "—"  # a row judged against legacy has no legacy verdict
    row = Row(id=spec.id, section=spec.section, title=spec.title, area=spec.area, unit=spec.unit,
              lower_is_better=spec.lower_is_better, target=gate.target.shown(spec.unit), blocks=gate.blocks,
              method=reading.method, legacy=legacy, candidate=candidate, status=_status(met),
              legacy_status=INFO if compared else _status(gate.target.met(legacy.value)),
              delta=_delta(legacy.value, candidate.value, spec.unit), how_to_measure=spec.how_to_measure,
              reason=gate.reason, evidence=reading.evidence)
    return _with_history(row, gate, run, context)


def _bound(found: Figure, gate: RowGate) -> Figure:
    if gate.target.met(found.value) is False:
        return replace(MISSING, note=f"a fixed-users run held {found.display}: a lower bound, below the target")
    return found


def _status(met: bool | None) -> str:
    return NOT_MEASURED if met is None else PASS if met else FAIL


def _carried(spec: RowSpec, side: str, found: Figure, run: RunFolder, context: Context) -> Figure:
    """A figure this run did not measure, taken from the newest earlier run that did (within the window)."""
    if found.measured or context.history is None or found.display == "—" or not run.started:
        return found
    earlier = context.history.previous(spec.id, side, run.started)
    days = float("inf") if earlier is None else _age_days(earlier.started, run.started)
    if earlier is None or days > context.gates.carry_over_days:
        return found
    prefix = os.path.relpath(earlier.run_dir, run.path).replace(os.sep, "/") + "/"
    return Figure(earlier.value, number(earlier.value, spec.unit),
                  tuple(source if source.startswith(("../", "/")) else prefix + source for source in earlier.sources),
                  note=f"measured in run {earlier.run_id}, {days:.0f} day(s) before this one", from_run=earlier.run_id)


def _age_days(then: str, now: str) -> float:
    try:
        return (_parse(now) - _parse(then)).total_seconds() / 86400
    except ValueError:
        return float("inf")


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _delta(legacy: float | None, candidate: float | None, unit: str) -> str:
    if legacy is None or candidate is None:
        return ""
    change = candidate - legacy
    shown = number(abs(change), "pt" if unit == "%" else unit)
    relative = f" ({change / legacy:+.0%})" if legacy and unit not in ("%", "") else ""
    return f"{'+' if change > 0 else '−' if change < 0 else '±'}{shown}{relative}"


def _with_history(row: Row, gate: RowGate, run: RunFolder, context: Context) -> Row:
    previous, previous_run = None, ""
    if context.baseline is not None:
        before = context.baseline_rows.get(row.id)
        if before is not None and before.candidate.measured:
            previous, previous_run = before.candidate.value, context.baseline.run_id
    elif context.history is not None and run.started:
        earlier = context.history.previous(row.id, "candidate", run.started)
        if earlier is not None:
            previous, previous_run = earlier.value, earlier.run_id
    trend = () if context.history is None or not run.started else tuple(
        context.history.series(row.id, run.started, context.gates.history_runs))
    regressed = (gate.regression is not None and not row.candidate.from_run
                 and gate.regression.worse(row.candidate.value, previous, lower_is_better=row.lower_is_better))
    text = (f"{row.title}: {row.candidate.display} against {number(previous, row.unit)} in run {previous_run}"
            if regressed else "")
    return replace(row, previous=previous, previous_run=previous_run, regression=text,
                   regression_blocks=bool(regressed and gate.blocks_regression), trend=trend)


def _area_row(name: str, data: Mapping[str, Any], gates: ScorecardGates) -> Row:
    findings = data.get("findings", [])
    blocking = sum(found.get("severity") in BLOCKING for found in findings)
    passed = bool(data.get("passed"))
    if data.get("skipped"):
        shown, status = f"skipped: {data['skipped']}", INFO
    elif data.get("interrupted"):
        shown, status = f"interrupted ({data['interrupted']})", FAIL
    else:
        shown, status = ("passed" if passed else f"failed: {blocking} critical/high"), PASS if passed else FAIL
    figure = Figure(1.0 if passed else 0.0, shown, (f"{name}.json#/passed",),
                    note=f"{len(findings)} findings, {data.get('duration_s', 0):.0f} s")
    return Row(id=f"area.{name}", section=AREAS, title=f"{name}", area=name, unit="", lower_is_better=False,
               target="passed", blocks=gates.areas_block, method=f"the {name} area's own gate",
               legacy=Figure(None, "—"),
               candidate=figure, status=status, legacy_status=INFO, how_to_measure=f"harness {name.split('-')[0]}",
               evidence=f"{name}.md")


def _verdict(rows: list[Row], gates: ScorecardGates) -> Verdict:
    failed = [row for row in rows if row.blocking_failure]
    unmeasured = [row for row in rows if row.blocks and row.status == NOT_MEASURED]
    soft = tuple(f"{row.title}: {row.candidate.display} misses {row.target} (not blocking: {row.reason})"
                 for row in rows if row.status == FAIL and not row.blocks)
    if failed:
        return Verdict("no", tuple(_why(row) for row in failed), soft)
    if unmeasured:
        return Verdict("not proven", tuple(
            f"{row.title} was {'not judged' if row.candidate.measured else 'not measured'} (run `{row.how_to_measure}`)"
            for row in unmeasured), soft)
    return Verdict("yes", ("every blocking gate passed",), soft)


def _why(row: Row) -> str:
    if row.status == FAIL and row.blocks:
        return row.failure
    return f"{row.regression} (a blocking regression)"


def _notes(rows: list[Row]) -> tuple[str, ...]:
    return tuple(f"regression: {row.regression}" for row in rows if row.regression and not row.regression_blocks)
