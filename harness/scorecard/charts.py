"""The series of the scorecard's charts, read from the run folder: the latency distribution per app (HdrHistogram's
percentile files), p95 and queries per operation (the load area's per-operation figures), findings by severity and
area, and each plan metric's trend over the last runs (the history). Data only: harness/report draws them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .model import Chart, Row
from .rows import PLAN, SIDES, load_figures
from .runfolder import RunFolder

SEVERITIES = ("critical", "high", "medium", "low", "info")
TOP_OPERATIONS = 10
#: The rows whose trend the page draws (the others show a sparkline in their row).
TRENDS = ("p95_ms", "queries_per_request", "cache_hit_ratio", "test_coverage", "security_grade", "maintainability")


def charts_of(run: RunFolder, rows: Sequence[Row], extra: Mapping[str, Any]) -> tuple[Chart, ...]:
    charts = [_distribution(run), *_operations(run), _findings(run), _maintainability(extra)]
    charts += [_trend(row) for row in rows if row.id in TRENDS and row.section == PLAN]
    return tuple(chart for chart in charts if chart is not None)


def percentiles(text: str) -> list[tuple[float, float]]:
    """(percentile in %, value) from HdrHistogram's percentile distribution output; the 100th is left out."""
    points = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 4 or parts[0].startswith("#"):
            continue
        try:
            value, quantile = float(parts[0]), float(parts[1])
        except ValueError:
            continue
        if quantile < 1.0:
            points.append((round(quantile * 100, 6), value))
    return points


def _distribution(run: RunFolder) -> Chart | None:
    series = {}
    for side in SIDES:
        text = run.text(f"load/{side}_latency.hgrm")
        if text:
            series[side] = tuple(percentiles(text))
    if not series:
        return None
    return Chart("latency-distribution", "distribution", "Latency distribution (all operations)", "ms",
                 series=series, threshold=100.0, source="load/<side>_latency.hgrm")


def _operations(run: RunFolder) -> list[Chart]:
    figures = {side: (load_figures(run, side) or {}).get("operations", {}) for side in SIDES}
    names = sorted(set(figures["legacy"]) | set(figures["candidate"]))
    if not names:
        return []
    charts = []
    for key, field, title, threshold, unit in (
            ("p95-per-operation", "p95_ms", "p95 per operation (slowest)", 100.0, "ms"),
            ("queries-per-operation", "queries_max", "SQL statements per request, per operation (most)", 10.0, "")):
        top = sorted(names, key=lambda name: -max(_value(figures, side, name, field) or 0 for side in SIDES))
        top = top[:TOP_OPERATIONS]
        charts.append(Chart(key, "bars", title, unit, labels=tuple(top), threshold=threshold,
                            series={side: tuple(_value(figures, side, name, field) for name in top) for side in SIDES},
                            source="load.json#/findings (load_figures: operations)"))
    return charts


def _value(figures: dict[str, Any], side: str, name: str, field: str) -> float | None:
    found = figures[side].get(name, {}).get(field)
    return None if found is None else float(found)


def _findings(run: RunFolder) -> Chart | None:
    areas = run.areas()
    if not areas:
        return None
    names = tuple(sorted(areas))
    stacks = {severity: tuple(sum(found.get("severity") == severity for found in areas[name].get("findings", []))
                              for name in names) for severity in SEVERITIES}
    return Chart("findings", "stacked", "Findings by severity and area", labels=names, series=stacks,
                 source="<area>.json#/findings")


def _maintainability(extra: Mapping[str, Any]) -> Chart | None:
    found = {side: data for side, (data, _) in (extra.get("maintainability") or {}).items()}
    if not found:
        return None
    first = next(iter(found.values()))
    labels = tuple(band for band, _ in first["bands"])
    return Chart("mi-distribution", "bars", "Modules by maintainability index (radon MI)", "modules", labels=labels,
                 series={side: tuple(count for _, count in found[side]["bands"]) if side in found else
                         tuple(None for _ in labels) for side in SIDES},
                 threshold=None, source="scorecard/maintainability.json")


def _trend(row: Row) -> Chart | None:
    if len(row.trend) < 1:
        return None
    labels = tuple(_short(run_id) for run_id, _, _ in row.trend)
    series = {"legacy": tuple(legacy for _, legacy, _ in row.trend),
              "candidate": tuple(candidate for _, _, candidate in row.trend)}
    return Chart(f"trend-{row.id}", "trend", f"Trend: {row.title}", row.unit, labels=labels, series=series,
                 source="reports/history.sqlite")


def _short(run_id: str) -> str:
    """20261208T012842.165507Z -> 12-08 01:28"""
    if len(run_id) >= 13 and run_id[8] == "T":
        return f"{run_id[4:6]}-{run_id[6:8]} {run_id[9:11]}:{run_id[11:13]}"
    return run_id[:12]
