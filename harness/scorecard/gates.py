"""The scorecard's reviewed gates file (`scenarios/scorecard.toml`): each row's target, whether it blocks, and what
counts as a regression against the previous run.

    gates = load_gates(path, row_ids)      # ScorecardInputError (exit 2, one line) on anything malformed
    gates.row("p95_ms").target.met(41.2)   # True
    gates.row("p95_ms").regressed(46.0, 41.2, lower_is_better=True)
"""
from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.reviewed import read_reviewed_toml

from .errors import ScorecardInputError

_OPERATORS: Mapping[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq}
_TARGET = re.compile(r"^\s*(<=|>=|==|<|>)\s*(legacy|-?\d+(?:\.\d+)?)\s*$")
_SHOWN = {"<=": "≤", ">=": "≥", "==": "=", "<": "<", ">": ">"}
NOT_MEASURED = ("warn", "fail")


@dataclass(frozen=True, slots=True)
class Target:
    """"< 100" or ">= legacy": a comparison against a number, or against the legacy app's value in the same run."""

    op: str
    bound: float | None  # None: the legacy app's value
    label: str = ""

    def met(self, value: float | None, legacy: float | None = None) -> bool | None:
        """True or False; None when it cannot be judged (no value, or no legacy value to compare with)."""
        bound = legacy if self.bound is None else self.bound
        if value is None or bound is None:
            return None
        return _OPERATORS[self.op](value, bound)

    def shown(self, unit: str = "") -> str:
        if self.label:
            return self.label
        if self.bound is None:
            return f"{_SHOWN[self.op]} legacy"
        number = f"{self.bound:,.0f}" if self.bound == int(self.bound) else f"{self.bound:g}"
        return f"{_SHOWN[self.op]} {number} {unit}".rstrip()


@dataclass(frozen=True, slots=True)
class Regression:
    """Worse than the previous run by more than `absolute` plus `relative` of the previous value."""

    relative: float = 0.0
    absolute: float = 0.0

    def worse(self, now: float | None, before: float | None, *, lower_is_better: bool) -> bool:
        if now is None or before is None:
            return False
        slack = self.absolute + self.relative * abs(before)
        return now > before + slack if lower_is_better else now < before - slack


@dataclass(frozen=True, slots=True)
class RowGate:
    target: Target
    blocks: bool
    reason: str = ""
    regression: Regression | None = None
    blocks_regression: bool = False


@dataclass(frozen=True, slots=True)
class ScorecardGates:
    path: Path
    rows: Mapping[str, RowGate]
    areas_block: bool = True
    not_measured: str = "warn"
    history_runs: int = 10
    carry_over_days: int = 30

    def row(self, row_id: str) -> RowGate:
        return self.rows[row_id]


def parse_target(text: Any, where: str, label: str = "") -> Target:
    found = _TARGET.match(text) if isinstance(text, str) else None
    if found is None:
        raise ScorecardInputError(f"{where}: target {text!r} is not like \"< 100\", \">= 80\", \"== 0\" or "
                                  f"\">= legacy\"")
    op, bound = found.groups()
    return Target(op, None if bound == "legacy" else float(bound), label)


def load_gates(path: Path, row_ids: Iterable[str]) -> ScorecardGates:
    """Read and check the gates file: every row of the page named once, nothing it does not know."""
    data = read_reviewed_toml(path, "scorecard gates")
    unknown = sorted(set(data) - {"verdict", "rows", "areas"})
    if unknown:
        raise ScorecardInputError(f"{path}: unknown table [{unknown[0]}] (tables: verdict, rows, areas)")
    rows = _table(data, "rows", path)
    wanted = list(row_ids)
    missing = [row for row in wanted if row not in rows]
    extra = sorted(set(rows) - set(wanted))
    if missing:
        raise ScorecardInputError(f"{path}: no [rows.{missing[0]}]: every row of the scorecard needs its gate")
    if extra:
        raise ScorecardInputError(f"{path}: [rows.{extra[0]}] is not a scorecard row (rows: {', '.join(wanted)})")
    verdict = _table(data, "verdict", path)
    not_measured = verdict.get("not_measured", "warn")
    if not_measured not in NOT_MEASURED:
        raise ScorecardInputError(f"{path}: [verdict] not_measured must be \"warn\" or \"fail\", not {not_measured!r}")
    return ScorecardGates(
        path=path, rows={row: _row_gate(rows[row], f"{path} [rows.{row}]") for row in wanted},
        areas_block=_flag(_table(data, "areas", path).get("blocks", True), f"{path} [areas] blocks"),
        not_measured=not_measured,
        history_runs=_count(verdict.get("history_runs", 10), f"{path} [verdict] history_runs", 1, 100),
        carry_over_days=_count(verdict.get("carry_over_days", 30), f"{path} [verdict] carry_over_days", 0, 3650))


def _table(data: Mapping[str, Any], name: str, path: Path) -> Mapping[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ScorecardInputError(f"{path}: [{name}] must be a table")
    return table


def _row_gate(table: Any, where: str) -> RowGate:
    if not isinstance(table, dict):
        raise ScorecardInputError(f"{where} must be a table")
    unknown = sorted(set(table) - {"target", "label", "blocks", "reason", "regression", "blocks_regression"})
    if unknown:
        raise ScorecardInputError(f"{where}: unknown key {unknown[0]!r}")
    if "target" not in table:
        raise ScorecardInputError(f"{where}: no target")
    blocks = _flag(table.get("blocks", True), f"{where} blocks")
    reason = table.get("reason", "")
    if not blocks and (not isinstance(reason, str) or len(reason.strip()) < 10):
        raise ScorecardInputError(f"{where}: a row that does not block needs a reason (10 characters or more)")
    return RowGate(target=parse_target(table["target"], where, str(table.get("label", ""))), blocks=blocks,
                   reason=str(reason), regression=_regression(table.get("regression"), where),
                   blocks_regression=_flag(table.get("blocks_regression", False), f"{where} blocks_regression"))


def _regression(value: Any, where: str) -> Regression | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value or set(value) - {"relative", "absolute"}:
        raise ScorecardInputError(f"{where}: regression must be a table of relative and/or absolute")
    for key, number in value.items():
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise ScorecardInputError(f"{where}: regression {key} must be a number ≥ 0, not {number!r}")
    return Regression(relative=float(value.get("relative", 0)), absolute=float(value.get("absolute", 0)))


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ScorecardInputError(f"{where} must be true or false, not {value!r}")
    return value


def _count(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ScorecardInputError(f"{where} must be a whole number from {low} to {high}, not {value!r}")
    return value
