"""What the recorder wrote, read back: exact percentiles from its HDR histograms, with a confidence interval.

    samples = load_samples(path)                       # samples.json (harness/load/__init__.py has the format)
    op = samples.operations["GET /courses/{id}"]       # or samples.overall(): every operation merged
    summarize(op.latency).p95_ms                       # and op.intended, op.lag, op.server alike
    percentile_ci(op.latency, 0.95)                    # the p95's 95 % interval, distribution-free

Percentiles are nearest-rank order statistics (the value at rank ceil(q·n)), read as the top of the histogram
bucket holding that rank: within the histogram's precision (3 significant digits, 0.1 %) of the exact sample
value. The interval is the classic order-statistic one: ranks n·q ± z·sqrt(n·q·(1−q)), which holds whatever
the distribution's shape. Values are stored in µs and reported in ms. Reading this file never imports locust.
"""
from __future__ import annotations

import json
import math
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from statistics import NormalDist
from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3
HISTOGRAMS = ("latency", "intended", "lag", "server")
OVERALL = "overall"


class SamplesError(ValueError):
    """samples.json is missing, unreadable or not in the recorder's format."""


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def merged(histograms: Iterable[HdrHistogram]) -> HdrHistogram:
    """One histogram holding every sample of the given ones."""
    total = new_histogram()
    for histogram in histograms:
        total.add(histogram)
    return total


@dataclass(frozen=True, slots=True)
class Distribution:
    """A histogram's figures in ms; every figure is None when it holds no sample."""
    count: int
    min_ms: float | None = None
    mean_ms: float | None = None
    p50_ms: float | None = None
    p90_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Interval:
    """The q-quantile (value_ms) and the interval [low_ms, high_ms] that holds the true one with `confidence`."""
    q: float
    confidence: float
    value_ms: float
    low_ms: float
    high_ms: float


@dataclass(frozen=True, slots=True)
class QueryCounts:
    """SQL statements per request (Server-Timing db;count), over the requests that reported it."""
    requests: int
    max: int
    median: float
    p95: float


@dataclass(slots=True)
class Operation:
    """One request name's figures (warm-up excluded)."""
    name: str
    requests: int = 0
    failures: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    latency: HdrHistogram = field(default_factory=new_histogram)
    intended: HdrHistogram = field(default_factory=new_histogram)
    lag: HdrHistogram = field(default_factory=new_histogram)
    server: HdrHistogram = field(default_factory=new_histogram)
    queries: dict[int, int] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def error_rate(self) -> float | None:
        return self.failures / self.requests if self.requests else None

    @property
    def cache_hit_ratio(self) -> float | None:
        """Hits over lookups; None when the app never looked its cache up for this operation."""
        lookups = self.cache_hits + self.cache_misses
        return self.cache_hits / lookups if lookups else None

    def query_counts(self) -> QueryCounts | None:
        return query_counts(self.queries)

    def add(self, other: Operation) -> None:
        """Fold another operation's figures into this one."""
        self.requests += other.requests
        self.failures += other.failures
        self.cache_hits += other.cache_hits
        self.cache_misses += other.cache_misses
        for counts in ("statuses", "errors", "queries"):
            mine, theirs = getattr(self, counts), getattr(other, counts)
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count
        for name in HISTOGRAMS:
            getattr(self, name).add(getattr(other, name))


@dataclass(frozen=True, slots=True)
class WorkerLoad:
    worker: str
    cpu_percent_max: float
    cpu_percent_mean: float
    users_max: int


@dataclass(slots=True)
class Samples:
    """samples.json, decoded."""
    started: float
    stopped: float
    warmup_s: float
    measured_s: float
    operations: dict[str, Operation]
    warmup_requests: int
    timeline: list[tuple[int, int, int]]
    workers: list[WorkerLoad]
    master_cpu_percent_max: float
    master_cpu_percent_mean: float | None
    stopped_by: str

    @property
    def requests(self) -> int:
        """Measured requests (warm-up excluded)."""
        return sum(op.requests for op in self.operations.values())

    def overall(self) -> Operation:
        """Every operation merged into one."""
        total = Operation(OVERALL)
        for op in self.operations.values():
            total.add(op)
        return total

    def rps(self, op: Operation | None = None) -> float | None:
        """Requests per second over the measured span, of one operation or of all."""
        requests = self.requests if op is None else op.requests
        return requests / self.measured_s if self.measured_s > 0 else None


# -- figures ----------------------------------------------------------------------------------------------------
def rank_of(q: float, n: int) -> int:
    """The nearest rank (1-based) of the q-quantile among n samples."""
    return math.ceil(q * n - 1e-9)


def values_at_ranks(histogram: HdrHistogram, ranks: Iterable[int]) -> list[float]:
    """The values (ms) of the rank-th smallest samples (1-based, clamped to 1..n), each read as the top of the
    histogram bucket that holds it."""
    cumulative = list(accumulate(histogram.counts[:histogram.counts_len]))
    found = []
    for rank in ranks:
        index = bisect_left(cumulative, min(max(rank, 1), cumulative[-1]))
        found.append(histogram.get_highest_equivalent_value(histogram.get_value_from_index(index)) / 1000)
    return found


def percentile(histogram: HdrHistogram, q: float) -> float | None:
    """The q-quantile (0 < q <= 1) in ms by nearest rank; None for an empty histogram."""
    n = histogram.get_total_count()
    return values_at_ranks(histogram, [rank_of(q, n)])[0] if n else None


def summarize(histogram: HdrHistogram) -> Distribution:
    n = histogram.get_total_count()
    if not n:
        return Distribution(0)
    low, p50, p90, p95, p99 = values_at_ranks(histogram, [1] + [rank_of(q, n) for q in (0.50, 0.90, 0.95, 0.99)])
    return Distribution(n, min_ms=low, mean_ms=histogram.get_mean_value() / 1000, p50_ms=p50, p90_ms=p90,
                        p95_ms=p95, p99_ms=p99, max_ms=histogram.get_max_value() / 1000)


def percentile_ci(histogram: HdrHistogram, q: float, confidence: float = 0.95) -> Interval | None:
    """The q-quantile (a fraction: 0.95 for p95) with its distribution-free confidence interval; None when empty.

    With few samples the ranks are clamped to the smallest and largest sample, so the interval is then wider
    (and its true coverage lower) than asked."""
    if not 0 < q < 1 or not 0 < confidence < 1:
        raise ValueError(f"q and confidence are fractions between 0 and 1 (got q={q}, confidence={confidence})")
    n = histogram.get_total_count()
    if not n:
        return None
    spread = NormalDist().inv_cdf((1 + confidence) / 2) * math.sqrt(n * q * (1 - q))
    value, low, high = values_at_ranks(histogram, [rank_of(q, n), math.floor(n * q - spread),
                                                   math.ceil(n * q + spread)])
    return Interval(q, confidence, value_ms=value, low_ms=low, high_ms=high)


def query_counts(counts: Mapping[int, int]) -> QueryCounts | None:
    """Max, median and p95 of statements per request from {statements: requests}; None without any."""
    ordered = sorted((statements, requests) for statements, requests in counts.items() if requests > 0)
    n = sum(requests for _, requests in ordered)
    if not n:
        return None

    def at(q: float) -> float:
        rank, seen = max(1, rank_of(q, n)), 0
        for statements, requests in ordered:
            seen += requests
            if seen >= rank:
                return float(statements)
        return float(ordered[-1][0])  # pragma: no cover - the rank is at most n

    return QueryCounts(requests=n, max=ordered[-1][0], median=at(0.5), p95=at(0.95))


# -- reading ----------------------------------------------------------------------------------------------------
def load_samples(path: str | Path) -> Samples:
    """samples.json as the recorder wrote it; SamplesError (a ValueError) says what is wrong with it."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SamplesError(f"{path}: no samples file (did the load run reach its end?)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SamplesError(f"{path}: not readable as JSON ({exc})") from None
    try:
        return _samples(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SamplesError(f"{path}: not a recorder samples file ({type(exc).__name__}: {exc})") from None


def _samples(document: dict[str, Any]) -> Samples:
    if document.get("version") != 1 or document.get("unit") != "us":
        raise ValueError(f"version {document.get('version')!r}, unit {document.get('unit')!r}: expected 1 and 'us'")
    generator = document["generator"]
    return Samples(
        started=float(document["started"]), stopped=float(document["stopped"]),
        warmup_s=float(document["warmup_s"]), measured_s=float(document["measured_s"]),
        operations={name: _operation(name, wire) for name, wire in document["operations"].items()},
        warmup_requests=int(document["warmup_requests"]),
        timeline=[(int(second), int(requests), int(failures)) for second, requests, failures in document["timeline"]],
        workers=[WorkerLoad(str(w["worker"]), float(w["cpu_percent_max"]), float(w["cpu_percent_mean"]),
                            int(w["users_max"])) for w in generator["workers"]],
        master_cpu_percent_max=float(generator["master_cpu_percent_max"]),
        master_cpu_percent_mean=_optional_float(generator.get("master_cpu_percent_mean")),
        stopped_by=str(document["stopped_by"]))


def _operation(name: str, wire: dict[str, Any]) -> Operation:
    histograms = {key: _histogram(wire.get(key)) for key in HISTOGRAMS}
    return Operation(name, requests=int(wire["requests"]), failures=int(wire["failures"]),
                     statuses={str(k): int(v) for k, v in wire["statuses"].items()},
                     errors={str(k): int(v) for k, v in wire["errors"].items()},
                     queries={int(k): int(v) for k, v in wire.get("queries", {}).items()},
                     cache_hits=int(wire.get("cache_hits", 0)), cache_misses=int(wire.get("cache_misses", 0)),
                     **histograms)


def _histogram(encoded: str | None) -> HdrHistogram:
    histogram = new_histogram()
    if encoded:
        try:
            histogram.decode_and_add(encoded)
        except Exception as exc:  # noqa: BLE001 - hdrh raises bare zlib/struct/base64 errors on a corrupt string
            raise ValueError(f"a histogram does not decode ({type(exc).__name__}: {exc})") from None
    return histogram


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)
