"""The load gates, k6-style thresholds from one reviewed file (scenarios/gates.toml), and the checks that apply
them to what a run measured (`SideFigures`, figures.py). Each check is a small function returning findings; each
gated figure is also a metric with its target.

    latency_p95       the candidate's p95, overall and per operation, under the SLO
    latency_regression the candidate's p95 not worse than legacy's beyond the tolerance (confidence-aware)
    error_rate        failed requests under the rate, overall; the operations that failed are named
    queries           SQL statements per request: the most on any operation ≤ queries_max, median ≤ queries_median
    cache_hit_ratio   hits / lookups on the cached reads ≥ the ratio (no lookup at all: the cache is off)
    generator_health  a run whose generator added too much latency or ran too hot is invalid, never judged
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError
from harness.core.results import Finding, Metric, Severity

from .figures import OperationFigures, SideFigures
from .profiles import read_reviewed


@dataclass(frozen=True, slots=True)
class Limits:
    p95_ms: float = 100.0
    error_rate: float = 0.01
    queries_max: int = 10


@dataclass(frozen=True, slots=True)
class Gates:
    overall: Limits = Limits()
    queries_median: float = 5.0
    cache_hit_ratio: float = 0.80
    min_samples: int = 20
    regression_percent: float = 10.0
    regression_ms: float = 2.0
    cached: tuple[str, ...] = ()
    generator_added_p95_ms: float = 10.0
    generator_cpu_percent: float = 80.0
    operations: Mapping[str, Limits] = field(default_factory=dict)

    def limits(self, operation: str) -> Limits:
        return self.operations.get(operation, self.overall)


_TABLES = {"overall", "not_worse_than_legacy", "cached", "generator_health", "operations"}
_OVERALL = {"p95_ms", "error_rate", "queries_max", "queries_median", "cache_hit_ratio", "min_samples"}
_LIMITS = {"p95_ms", "error_rate", "queries_max"}


def load_gates(path: Path) -> Gates:
    """The gates of a file. ConfigError (exit 2, one line) on a file or value at fault."""
    document = read_reviewed(path, "load gates")
    where = f"load gates {path}"
    unknown = sorted(set(document) - _TABLES)
    if unknown:
        raise ConfigError(f"{where}: unknown table [{unknown[0]}] (known: {', '.join(sorted(_TABLES))})")
    for name in _TABLES:
        if not isinstance(document.get(name, {}), dict):
            raise ConfigError(f"{where}: {name} must be a table ([{name}])")
    overall = _table(document, "overall", _OVERALL, where)
    worse = _table(document, "not_worse_than_legacy", {"percent", "ms"}, where)
    health = _table(document, "generator_health", {"added_p95_ms", "cpu_percent"}, where)
    cached = document.get("cached", {}).get("operations", [])
    if not isinstance(cached, list) or not all(isinstance(op, str) for op in cached):
        raise ConfigError(f"{where}: [cached] operations must be a list of operation names")
    base = Limits(**{key: overall[key] for key in _LIMITS if key in overall})
    operations = {name: _operation(base, name, values, where)
                  for name, values in document.get("operations", {}).items()}
    return Gates(overall=base, queries_median=overall.get("queries_median", 5.0),
                 cache_hit_ratio=overall.get("cache_hit_ratio", 0.80),
                 min_samples=int(overall.get("min_samples", 20)),
                 regression_percent=worse.get("percent", 10.0), regression_ms=worse.get("ms", 2.0),
                 cached=tuple(cached), generator_added_p95_ms=health.get("added_p95_ms", 10.0),
                 generator_cpu_percent=health.get("cpu_percent", 80.0), operations=operations)


def _table(document: Mapping[str, Any], name: str, allowed: set[str], where: str) -> dict[str, float]:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{name}] must be a table")
    for key, value in table.items():
        if key not in allowed:
            raise ConfigError(f"{where}: [{name}] has an unknown key {key!r} (known: {', '.join(sorted(allowed))})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{where}: [{name}] {key} = {value!r}: expected a number ≥ 0")
    return dict(table)


def _operation(base: Limits, name: str, values: Any, where: str) -> Limits:
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: [operations.{name!r}] must be a table")
    checked = _table({"op": values}, "op", _LIMITS, f"{where} [operations.{name!r}]")
    return Limits(**{**{key: getattr(base, key) for key in _LIMITS}, **checked})


# -- the checks --------------------------------------------------------------------------------------------------

Check = Callable[[Gates, SideFigures, "SideFigures | None"], tuple[list[Metric], list[Finding]]]


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} ms"


def latency_p95(gates: Gates, candidate: SideFigures, legacy: SideFigures | None) -> tuple[list[Metric], list[Finding]]:
    overall = candidate.overall
    metrics = [Metric("p95_ms", candidate.side, overall.p95_ms, "ms", f"< {gates.overall.p95_ms:g}",
                      _below(overall.p95_ms, gates.overall.p95_ms), candidate.evidence)]
    findings = []
    for op in candidate.judged(gates.min_samples):
        limit = gates.limits(op.operation).p95_ms
        if op.p95_ms is not None and op.p95_ms >= limit:
            findings.append(Finding(
                id=f"load.latency_p95.{candidate.side}.{op.operation}", check="latency_p95", severity=Severity.HIGH,
                operation=op.operation,
                message=(f"{op.operation}: p95 {_ms(op.p95_ms)} is not under {limit:g} ms on the {candidate.side} "
                         f"({op.requests} requests, 95 % CI {_ms(op.p95_ci[0])}–{_ms(op.p95_ci[1])}; "
                         f"server p95 {_ms(op.server_p95_ms)})"),
                evidence=op.evidence()))
    if overall.p95_ms is not None and overall.p95_ms >= gates.overall.p95_ms and not findings:
        findings.append(Finding(id=f"load.latency_p95.{candidate.side}", check="latency_p95", severity=Severity.HIGH,
                                message=f"overall p95 {_ms(overall.p95_ms)} is not under {gates.overall.p95_ms:g} ms",
                                evidence=overall.evidence()))
    return metrics, findings


def _compared(gates: Gates, candidate: SideFigures, legacy: SideFigures) -> list[tuple[OperationFigures,
                                                                                      OperationFigures]]:
    """Overall, then every operation with enough requests on both sides."""
    pairs = [(candidate.overall, legacy.overall)]
    for op in candidate.judged(gates.min_samples):
        old = legacy.operations.get(op.operation)
        if old is not None and old.requests >= gates.min_samples:
            pairs.append((op, old))
    return [(new, old) for new, old in pairs if new.p95_ms is not None and old.p95_ms is not None]


def latency_regression(gates: Gates, candidate: SideFigures,
                       legacy: SideFigures | None) -> tuple[list[Metric], list[Finding]]:
    if legacy is None:
        return [], []
    findings = []
    for new, old in _compared(gates, candidate, legacy):
        allowed = old.p95_ms * (1 + gates.regression_percent / 100) + gates.regression_ms
        if new.p95_ci[0] is not None and new.p95_ci[0] > allowed:
            findings.append(Finding(
                id=f"load.latency_regression.{new.operation}", check="latency_regression", severity=Severity.HIGH,
                operation=None if new.operation == "overall" else new.operation,
                message=(f"{new.operation}: the candidate's p95 {_ms(new.p95_ms)} (CI from {_ms(new.p95_ci[0])}) is "
                         f"worse than legacy's {_ms(old.p95_ms)} beyond the tolerance "
                         f"({gates.regression_percent:g} % + {gates.regression_ms:g} ms: {_ms(allowed)})"),
                evidence={"candidate": new.evidence(), "legacy": old.evidence()}))
    ratio = (candidate.overall.p95_ms / legacy.overall.p95_ms
             if candidate.overall.p95_ms and legacy.overall.p95_ms else None)
    metric = Metric("p95_ratio_to_legacy", "candidate", None if ratio is None else round(ratio, 3), "×",
                    f"≤ {1 + gates.regression_percent / 100:g} (+{gates.regression_ms:g} ms)",
                    not any(f.operation is None for f in findings) if ratio is not None else None)
    return [metric], findings


def error_rate(gates: Gates, candidate: SideFigures, legacy: SideFigures | None) -> tuple[list[Metric], list[Finding]]:
    overall = candidate.overall
    rate = overall.error_rate
    limit = gates.overall.error_rate
    metrics = [Metric("error_rate", candidate.side, None if rate is None else round(rate, 5), "ratio",
                      f"< {limit:g}", None if rate is None else rate < limit, candidate.evidence)]
    failing = [op for op in candidate.operations.values()
               if op.failures and op.error_rate is not None and op.error_rate >= gates.limits(op.operation).error_rate]
    findings = [Finding(
        id=f"load.error_rate.{candidate.side}.{op.operation}", check="error_rate",
        severity=Severity.HIGH if rate is not None and rate >= limit else Severity.MEDIUM, operation=op.operation,
        message=(f"{op.operation}: {op.failures} of {op.requests} requests failed ({op.error_rate:.1%}) on the "
                 f"{candidate.side}: {op.top_error()}"),
        evidence=op.evidence()) for op in sorted(failing, key=lambda o: -o.failures)]
    if rate is not None and rate >= limit and not findings:
        findings.append(Finding(id=f"load.error_rate.{candidate.side}", check="error_rate", severity=Severity.HIGH,
                                message=f"{rate:.1%} of requests failed (limit {limit:.0%})",
                                evidence=overall.evidence()))
    return metrics, findings


def queries(gates: Gates, candidate: SideFigures, legacy: SideFigures | None) -> tuple[list[Metric], list[Finding]]:
    measured = [op for op in candidate.operations.values() if op.queries_max is not None]
    if not measured:
        return [Metric("queries_per_request_max", candidate.side, None, "queries", f"≤ {gates.overall.queries_max}",
                       None, candidate.evidence)], [Finding(
            id=f"load.queries.{candidate.side}.unmeasured", check="queries", severity=Severity.MEDIUM,
            message=f"the {candidate.side} sent no Server-Timing db count: queries per request not measured")]
    most = max(op.queries_max or 0 for op in measured)
    median = candidate.overall.queries_median
    metrics = [Metric("queries_per_request_max", candidate.side, most, "queries", f"≤ {gates.overall.queries_max}",
                      most <= gates.overall.queries_max, candidate.evidence),
               Metric("queries_per_request_median", candidate.side, median, "queries", f"≤ {gates.queries_median:g}",
                      None if median is None else median <= gates.queries_median, candidate.evidence)]
    findings = [Finding(
        id=f"load.queries.{candidate.side}.{op.operation}", check="queries", severity=Severity.HIGH,
        operation=op.operation,
        message=(f"{op.operation}: up to {op.queries_max} SQL statements per request on the {candidate.side} "
                 f"(limit {gates.limits(op.operation).queries_max}; median {op.queries_median:g})"),
        evidence=op.evidence())
        for op in measured if (op.queries_max or 0) > gates.limits(op.operation).queries_max]
    return metrics, findings


def cache_hit_ratio(gates: Gates, candidate: SideFigures,
                    legacy: SideFigures | None) -> tuple[list[Metric], list[Finding]]:
    if not gates.cached:
        return [], []
    cached = [candidate.operations[name] for name in gates.cached if name in candidate.operations]
    hits = sum(op.cache_hits for op in cached)
    lookups = hits + sum(op.cache_misses for op in cached)
    requests = sum(op.requests for op in cached)
    ratio = hits / lookups if lookups else (0.0 if requests else None)
    metric = Metric("cache_hit_ratio", candidate.side, None if ratio is None else round(ratio, 4), "ratio",
                    f"≥ {gates.cache_hit_ratio:g}", None if ratio is None else ratio >= gates.cache_hit_ratio,
                    candidate.evidence)
    if ratio is None or ratio >= gates.cache_hit_ratio:
        return [metric], []
    why = (f"{requests} requests to the cached reads made no cache lookup: the cache is off or not reported"
           if not lookups else f"{hits} hits in {lookups} lookups ({ratio:.0%})")
    return [metric], [Finding(
        id=f"load.cache_hit_ratio.{candidate.side}", check="cache_hit_ratio", severity=Severity.HIGH,
        message=f"cache hit ratio on the cached reads ({', '.join(gates.cached)}) under {gates.cache_hit_ratio:.0%}: "
                f"{why}", evidence={op.operation: {"hits": op.cache_hits, "misses": op.cache_misses,
                                                   "requests": op.requests} for op in cached})]


CHECKS: tuple[Check, ...] = (latency_p95, latency_regression, error_rate, queries, cache_hit_ratio)


def judge(gates: Gates, candidate: SideFigures, legacy: SideFigures | None,
          only: tuple[str, ...] | None = None, profile: str = "") -> tuple[list[Metric], list[Finding]]:
    """Every check on the candidate's figures (legacy's as the baseline). A check the profile does not judge
    (`only`) is still run and shown: its metrics lose their verdict and its findings become information. An
    invalid run is not judged: its gated metrics lose their verdict and one finding says why."""
    metrics: list[Metric] = []
    findings: list[Finding] = []
    for check in CHECKS:
        found_metrics, found = check(gates, candidate, legacy)
        if only is not None and check.__name__ not in only:
            found_metrics, found = _informational(found_metrics, found, profile)
        metrics += found_metrics
        findings += found
    invalid = [side for side in (candidate, legacy) if side is not None and side.invalid]
    if not invalid:
        return metrics, findings
    for metric in metrics:
        metric.passed = None
    return metrics, [Finding(
        id=f"load.generator_health.{side.side}", check="generator_health", severity=Severity.HIGH,
        message=(f"the {side.side} run is invalid, its figures are reported but not judged: "
                 f"{'; '.join(side.invalid)}"), evidence=side.generator) for side in invalid]


def _informational(metrics: list[Metric], findings: list[Finding],
                   profile: str) -> tuple[list[Metric], list[Finding]]:
    for metric in metrics:
        metric.passed = None
    for finding in findings:
        finding.severity = Severity.INFO
        finding.message = f"(not judged under the {profile or 'this'} profile) {finding.message}"
    return metrics, findings


def _below(value: float | None, limit: float) -> bool | None:
    return None if value is None else value < limit


__all__ = ["CHECKS", "Gates", "Limits", "OperationFigures", "SideFigures", "judge", "load_gates"]
