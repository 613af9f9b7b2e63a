"""latency.py on histograms built from known samples: exact percentiles, the p95's confidence interval, the
per-operation and overall figures, and a clear error for a samples file that is missing or malformed."""
from __future__ import annotations

import json
import math
import random
from statistics import NormalDist

import pytest

from harness.load.latency import (
    SamplesError,
    load_samples,
    merged,
    new_histogram,
    percentile_ci,
    query_counts,
    summarize,
)

MU, SIGMA = math.log(20_000), 0.5  # a lognormal around 20 ms, in µs


def draw(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [max(1, round(rng.lognormvariate(MU, SIGMA))) for _ in range(n)]


def histogram_of(values: list[int]):
    histogram = new_histogram()
    for value in values:
        histogram.record_value(value)
    return histogram


def exact(values: list[int], q: float) -> float:
    """The nearest-rank q-quantile of the values, in ms."""
    ordered = sorted(values)
    return ordered[math.ceil(q * len(ordered)) - 1] / 1000


def true_quantile_ms(q: float) -> float:
    return math.exp(MU + SIGMA * NormalDist().inv_cdf(q)) / 1000


def test_the_percentiles_are_the_exact_order_statistics_within_the_histograms_precision():
    values = draw(10_000, seed=1)
    figures = summarize(histogram_of(values))
    assert figures.count == 10_000
    for q, got in ((0.50, figures.p50_ms), (0.90, figures.p90_ms), (0.95, figures.p95_ms), (0.99, figures.p99_ms)):
        assert got == pytest.approx(exact(values, q), rel=1e-3), q
    assert figures.min_ms == pytest.approx(min(values) / 1000, rel=1e-3)
    assert figures.max_ms == pytest.approx(max(values) / 1000, rel=1e-3)
    assert figures.mean_ms == pytest.approx(sum(values) / len(values) / 1000, rel=1e-3)


def test_an_empty_histogram_has_a_count_and_no_figures():
    figures = summarize(new_histogram())
    assert figures.count == 0 and figures.p95_ms is None and figures.max_ms is None
    assert percentile_ci(new_histogram(), 0.95) is None


def test_the_p95_interval_holds_the_true_p95_and_narrows_as_samples_grow():
    truth = true_quantile_ms(0.95)
    widths = []
    for n in (1_000, 10_000, 100_000):
        interval = percentile_ci(histogram_of(draw(n, seed=n)), 0.95)
        assert interval.low_ms <= truth <= interval.high_ms, (n, interval, truth)
        assert interval.low_ms <= interval.value_ms <= interval.high_ms
        widths.append(interval.high_ms - interval.low_ms)
    assert widths[0] > widths[1] > widths[2]
    assert widths[2] < widths[0] / 5  # ~sqrt(100) narrower


def test_the_interval_covers_the_true_p95_about_as_often_as_it_says():
    truth = true_quantile_ms(0.95)
    runs = 200
    covered = sum(interval.low_ms <= truth <= interval.high_ms
                  for interval in (percentile_ci(histogram_of(draw(400, seed=seed)), 0.95) for seed in range(runs)))
    assert 0.88 <= covered / runs <= 0.995


def test_a_wider_confidence_gives_a_wider_interval():
    histogram = histogram_of(draw(5_000, seed=3))
    narrow, wide = percentile_ci(histogram, 0.95, confidence=0.80), percentile_ci(histogram, 0.95, confidence=0.99)
    assert wide.low_ms <= narrow.low_ms and wide.high_ms >= narrow.high_ms
    assert (wide.high_ms - wide.low_ms) > (narrow.high_ms - narrow.low_ms)


def test_a_percent_instead_of_a_fraction_is_refused():
    with pytest.raises(ValueError, match="fractions"):
        percentile_ci(histogram_of([1000]), 95)


def test_merged_histograms_hold_every_sample():
    first, second = draw(3_000, seed=4), [value * 3 for value in draw(1_000, seed=5)]
    figures = summarize(merged([histogram_of(first), histogram_of(second)]))
    assert figures.count == 4_000
    assert figures.p95_ms == pytest.approx(exact(first + second, 0.95), rel=1e-3)


def test_queries_per_request_from_the_counts():
    counts = query_counts({2: 90, 4: 4, 30: 6})
    assert (counts.requests, counts.max, counts.median, counts.p95) == (100, 30, 2.0, 30.0)
    assert query_counts({}) is None


def write_samples(path, **overrides):
    slow, fast = histogram_of([40_000] * 95 + [90_000] * 5), histogram_of([10_000] * 50)
    lag = histogram_of([0] * 100)
    empty = new_histogram().encode().decode()

    def encode(histogram):
        return histogram.encode().decode()

    document = {
        "version": 1, "unit": "us", "significant_digits": 3, "started": 1000.0, "stopped": 1012.0,
        "warmup_s": 2.0, "measured_s": 10.0,
        "operations": {
            "GET /slow": {"requests": 100, "failures": 5, "statuses": {"200": 95, "503": 5},
                          "errors": {"BadStatusCode 503": 5}, "latency": encode(slow), "intended": encode(slow),
                          "lag": encode(lag), "server": encode(histogram_of([39_000] * 95)),
                          "queries": {"4": 95}, "cache_hits": 30, "cache_misses": 65},
            "GET /fast": {"requests": 50, "failures": 0, "statuses": {"200": 50}, "errors": {},
                          "latency": encode(fast), "intended": encode(fast), "lag": empty, "server": empty,
                          "queries": {"2": 50}, "cache_hits": 0, "cache_misses": 0}},
        "warmup_requests": 20, "timeline": [[0, 10, 0], [1, 10, 0], [2, 150, 5]],
        "generator": {"workers": [{"worker": "w1", "cpu_percent_max": 40.0, "cpu_percent_mean": 20.0,
                                   "users_max": 5}], "master_cpu_percent_max": 3.0},
        "stopped_by": "time"}
    document.update(overrides)
    path.write_text(json.dumps(document))
    return path


def test_a_samples_file_reads_back_per_operation_and_overall(tmp_path):
    samples = load_samples(write_samples(tmp_path / "samples.json"))
    slow = samples.operations["GET /slow"]
    assert summarize(slow.latency).p95_ms == pytest.approx(40.0, rel=1e-3)
    assert summarize(slow.latency).p99_ms == pytest.approx(90.0, rel=1e-3)
    assert summarize(slow.server).count == 95
    assert slow.error_rate == 0.05 and slow.cache_hit_ratio == pytest.approx(30 / 95)
    assert samples.operations["GET /fast"].cache_hit_ratio is None
    overall = samples.overall()
    assert overall.requests == 150 and overall.failures == 5
    assert overall.statuses == {"200": 145, "503": 5}
    assert summarize(overall.latency).count == 150
    assert overall.query_counts().max == 4 and overall.query_counts().median == 4.0
    assert samples.rps() == 15.0 and samples.rps(samples.operations["GET /fast"]) == 5.0
    assert samples.warmup_requests == 20 and samples.stopped_by == "time"
    assert samples.workers[0].users_max == 5 and samples.master_cpu_percent_max == 3.0
    assert samples.timeline[-1] == (2, 150, 5)


def test_a_missing_samples_file_errors_clearly(tmp_path):
    with pytest.raises(SamplesError, match="no samples file"):
        load_samples(tmp_path / "samples.json")


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not readable as JSON"),
    (json.dumps({"version": 2, "unit": "us"}), "expected 1"),
    (json.dumps({"version": 1, "unit": "us"}), "not a recorder samples file"),
])
def test_a_malformed_samples_file_errors_clearly(tmp_path, content, message):
    path = tmp_path / "samples.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        load_samples(path)


def test_a_corrupt_histogram_errors_clearly(tmp_path):
    path = write_samples(tmp_path / "samples.json")
    document = json.loads(path.read_text())
    document["operations"]["GET /fast"]["latency"] = "HISTFAAAAnotahistogram"
    path.write_text(json.dumps(document))
    with pytest.raises(SamplesError, match="does not decode"):
        load_samples(path)
