"""What one app's load run measured, per operation and overall, as the gates and reports read it: exact
percentiles from the recorder's histograms (latency.py), the send lag and the intended-time latency beside them,
the server's own p95, queries per request, cache lookups and errors; and whether the generator stayed healthy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OVERALL = "overall"


@dataclass(slots=True)
class OperationFigures:
    operation: str
    requests: int = 0
    failures: int = 0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    mean_ms: float | None = None
    p95_ci: tuple[float | None, float | None] = (None, None)
    intended_p95_ms: float | None = None
    lag_p95_ms: float | None = None
    server_p50_ms: float | None = None
    server_p95_ms: float | None = None
    server_samples: int = 0
    queries_max: int | None = None
    queries_median: float | None = None
    queries_p95: float | None = None
    cache_hits: int = 0
    cache_misses: int = 0
    rps: float | None = None
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None

    def top_error(self) -> str:
        if not self.errors:
            return "no error text"
        message, count = max(self.errors.items(), key=lambda item: item[1])
        return f"{message} (×{count})"

    def evidence(self) -> dict[str, Any]:
        """The figures a finding carries."""
        return {"requests": self.requests, "failures": self.failures, "p50_ms": self.p50_ms, "p90_ms": self.p90_ms,
                "p95_ms": self.p95_ms, "p95_ci_ms": list(self.p95_ci), "p99_ms": self.p99_ms, "max_ms": self.max_ms,
                "mean_ms": self.mean_ms, "server_p50_ms": self.server_p50_ms, "server_p95_ms": self.server_p95_ms,
                "intended_p95_ms": self.intended_p95_ms, "lag_p95_ms": self.lag_p95_ms,
                "queries_max": self.queries_max, "queries_median": self.queries_median,
                "cache_hits": self.cache_hits, "cache_misses": self.cache_misses, "statuses": self.statuses,
                "errors": dict(sorted(self.errors.items(), key=lambda item: -item[1])[:5])}


@dataclass(slots=True)
class SideFigures:
    side: str  # legacy | candidate
    overall: OperationFigures
    operations: dict[str, OperationFigures] = field(default_factory=dict)
    measured_s: float = 0.0
    users: int = 0
    stopped_by: str = ""
    warmup_requests: int = 0
    generator: dict[str, Any] = field(default_factory=dict)
    #: why the run is invalid (the generator added too much or ran too hot); empty: valid
    invalid: list[str] = field(default_factory=list)
    evidence: str | None = None  # the run-relative path of the per-operation CSV
    timeline: list[list[float]] = field(default_factory=list)

    def judged(self, min_samples: int) -> list[OperationFigures]:
        """The operations with enough measured requests to be judged on latency."""
        return [op for op in self.operations.values() if op.requests >= min_samples]

    def top(self, count: int = 10) -> list[OperationFigures]:
        """The busiest operations first."""
        return sorted(self.operations.values(), key=lambda op: (-op.requests, op.operation))[:count]


def _operation_figures(name: str, op: Any, rps: float | None) -> OperationFigures:
    from .latency import percentile, percentile_ci, summarize

    latency = summarize(op.latency)
    ci = percentile_ci(op.latency, 0.95)
    server = summarize(op.server)
    queries = op.query_counts()
    return OperationFigures(
        operation=name, requests=op.requests, failures=op.failures, p50_ms=latency.p50_ms, p90_ms=latency.p90_ms,
        p95_ms=latency.p95_ms, p99_ms=latency.p99_ms, max_ms=latency.max_ms, mean_ms=latency.mean_ms,
        p95_ci=(None, None) if ci is None else (ci.low_ms, ci.high_ms),
        intended_p95_ms=percentile(op.intended, 0.95), lag_p95_ms=percentile(op.lag, 0.95),
        server_p50_ms=server.p50_ms, server_p95_ms=server.p95_ms, server_samples=server.count,
        queries_max=None if queries is None else queries.max,
        queries_median=None if queries is None else queries.median,
        queries_p95=None if queries is None else queries.p95,
        cache_hits=op.cache_hits, cache_misses=op.cache_misses, rps=rps,
        statuses=dict(op.statuses), errors=dict(op.errors))


def figures_from(path: Any, side: str) -> SideFigures:
    """One side's figures from the samples.json the recorder wrote (latency.SamplesError when it is unreadable)."""
    from .latency import load_samples

    samples = load_samples(path)
    overall = samples.overall()
    return SideFigures(
        side=side, overall=_operation_figures(OVERALL, overall, samples.rps()),
        operations={name: _operation_figures(name, op, samples.rps(op)) for name, op in samples.operations.items()},
        measured_s=samples.measured_s, stopped_by=samples.stopped_by, warmup_requests=samples.warmup_requests,
        generator={"workers": [{"worker": w.worker, "cpu_percent_max": w.cpu_percent_max,
                                "cpu_percent_mean": w.cpu_percent_mean, "users_max": w.users_max}
                               for w in samples.workers],
                   "master_cpu_percent_max": samples.master_cpu_percent_max,
                   "master_cpu_percent_mean": samples.master_cpu_percent_mean},
        timeline=[list(entry) for entry in samples.timeline])
