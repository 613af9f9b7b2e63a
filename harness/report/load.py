"""The load area's summary lines and its evidence files, rendered from load.json alone (and, for the latency
histograms, the samples.json each side's run left).

    load/operations.csv          one row per side and operation: requests, failures, exact p50/p90/p95 (with its
                                 95 % CI)/p99/max, server p95, intended-time p95, send lag p95, queries, cache
    load/<side>_latency.hgrm     HdrHistogram's percentile distribution of every measured request (client side)
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from harness.core.results import BLOCKING, AreaResult, Finding

CSV_COLUMNS = ("side", "operation", "requests", "failures", "error_rate", "rps", "p50_ms", "p90_ms", "p95_ms",
               "p95_ci_low_ms", "p95_ci_high_ms", "p99_ms", "max_ms", "server_p95_ms", "intended_p95_ms",
               "lag_p95_ms", "queries_max", "queries_median", "cache_hits", "cache_misses")
TOP = 10


def _figures(result: AreaResult) -> list[Finding]:
    return [f for f in result.findings if f.check == "load_figures"]


def _ms(value: Any) -> str:
    return "—" if value is None else f"{value:.1f}"


def load_summary(result: AreaResult) -> list[str]:
    lines = [f"load gate: {'PASS' if result.passed else 'FAIL'} in {result.duration_s:.1f}s"]
    sides = {f.evidence["side"]: f.evidence for f in _figures(result)}
    for side, evidence in sides.items():
        overall = evidence["overall"]
        validity = "INVALID: " + "; ".join(evidence["invalid"]) if evidence["invalid"] else "generator healthy"
        lines.append(f"  {side}: {evidence['users']} users, {overall['requests']} requests in "
                     f"{evidence['measured_s']:.0f} s, p50/p95/p99 {_ms(overall['p50_ms'])}/{_ms(overall['p95_ms'])}/"
                     f"{_ms(overall['p99_ms'])} ms (server p95 {_ms(overall['server_p95_ms'])}), "
                     f"{overall['failures']} failed, queries max {overall['queries_max']}; {validity}")
    lines += _top_lines(sides)
    for finding in result.findings:
        if finding.check == "capacity":
            lines.append(f"  {finding.message}")
    blocking = [f for f in result.findings if f.severity in BLOCKING]
    lines.append(f"  blocking findings: {len(blocking)} of {len(result.findings)}")
    lines += [f"  FAIL {f.check}: {f.message}" for f in blocking[:50]]
    return lines


def _top_lines(sides: dict[str, dict[str, Any]]) -> list[str]:
    if not sides:
        return []
    busiest = next(iter(sides.values()))["operations"]
    names = sorted(busiest, key=lambda name: -busiest[name]["requests"])[:TOP]
    header = f"  {'operation':<58}" + "".join(f"{side + ' p95':>16}{'n':>7}" for side in sides)
    lines = [f"  top {len(names)} operations (ms):", header]
    for name in names:
        cells = ""
        for evidence in sides.values():
            op = evidence["operations"].get(name, {})
            cells += f"{_ms(op.get('p95_ms')):>16}{op.get('requests', 0):>7}"
        lines.append(f"  {name[:58]:<58}{cells}")
    return lines


def operations_csv(result: AreaResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for finding in _figures(result):
        evidence = finding.evidence
        rows = {"overall": evidence["overall"], **evidence["operations"]}
        for name, op in rows.items():
            requests = op["requests"]
            low, high = op.get("p95_ci_ms") or (None, None)
            writer.writerow([evidence["side"], name, requests, op["failures"],
                             round(op["failures"] / requests, 5) if requests else "",
                             _number(requests / evidence["measured_s"] if evidence["measured_s"] else None),
                             *(_number(op.get(key)) for key in ("p50_ms", "p90_ms", "p95_ms")),
                             _number(low), _number(high),
                             *(_number(op.get(key)) for key in ("p99_ms", "max_ms", "server_p95_ms",
                                                                  "intended_p95_ms", "lag_p95_ms", "queries_max",
                                                                  "queries_median", "cache_hits", "cache_misses"))])
    return out.getvalue()


def _number(value: Any) -> Any:
    if value is None:
        return ""
    return round(value, 3) if isinstance(value, float) else value


def latency_distribution(samples: Path) -> str | None:
    """HdrHistogram's percentile distribution (.hgrm) of one side's measured requests, from its samples.json."""
    from harness.load.latency import SamplesError, load_samples

    try:
        overall = load_samples(samples).overall()
    except SamplesError:
        return None
    out = io.BytesIO()
    overall.latency.output_percentile_distribution(out, 1000.0)  # µs recorded, shown in ms
    return out.getvalue().decode("utf-8", "replace")


def write_load_files(run_dir: Path, result: AreaResult) -> list[Path]:
    """load/operations.csv and each side's latency distribution."""
    folder = run_dir / "load"
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "operations.csv"]
    written[0].write_text(operations_csv(result), encoding="utf-8")
    for finding in _figures(result):
        samples = finding.evidence.get("samples")
        text = latency_distribution(run_dir / samples) if samples else None
        if text:
            path = folder / f"{finding.evidence['side']}_latency.hgrm"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
