"""Run folders for the scorecard's tests, written the way the areas write theirs (harness.core.results.write_area),
with the figures a test chooses: the scorecard must show exactly these, and say "not measured" for what is left out.

    run = write_run(tmp_path / "reports", "20261208T010000.000000Z", p95=(17.3, 22.6))
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.results import AreaResult, Finding, Metric, Severity, write_area

SIDES = ("legacy", "candidate")
OPERATIONS = {"GET /api/v1/courses": (16.5, 10.4, 5, 3), "GET /api/v1/courses/{course_id}": (21.3, 14.0, 4, 1),
              "PUT /api/v1/student/videos/{video_id}/progress": (53.7, 78.6, 7, 6)}


@dataclass
class Figures:
    """Each figure per side (legacy, candidate); None leaves it out of the area's result."""

    p95: tuple[float | None, float | None] = (17.3, 22.6)
    queries: tuple[int | None, int | None] = (7, 6)
    cache: tuple[float | None, float | None] = (None, 0.89)
    capacity: tuple[int | None, int | None] | None = None
    users: int = 12
    grade: tuple[tuple[int, str], tuple[int, str]] = ((10, "F"), (130, "A+"))
    probes: tuple[int, int] = (160, 160)
    documentation: tuple[float, float] = (100.0, 100.0)
    unexplained: int = 0
    schema_differences: int = 0
    differing_rows: int = 0
    rows_after: int = 0
    paths: tuple[int, ...] = (0, 0, 0, 0)
    crosswrite: tuple[int, int] = (0, 0)
    high_findings: dict[str, int] = field(default_factory=dict)
    operations: dict[str, tuple[float, float, int, int]] = field(default_factory=lambda: dict(OPERATIONS))
    areas: tuple[str, ...] = ("targets", "data", "contract", "data-crosswrite", "load", "security")
    failed_areas: tuple[str, ...] = ()


def write_run(reports: Path, run_id: str, figures: Figures | None = None, **changes: Any) -> Path:
    figures = figures or Figures(**changes)
    run_dir = reports / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    started = f"{run_id[:4]}-{run_id[4:6]}-{run_id[6:8]}T{run_id[9:11]}:{run_id[11:13]}:{run_id[13:15]}Z"
    writers = {"targets": _targets, "data": _data, "contract": _contract, "data-crosswrite": _crosswrite,
               "load": _load, "security": _security}
    for area in figures.areas:
        result = writers[area](figures, run_dir)
        result.started, result.duration_s = started, 1.0
        if area in figures.failed_areas:
            result.passed = False
            result.findings.append(Finding(f"{area}.injected", "injected", Severity.HIGH, "an injected failure"))
        write_area(run_dir, result)
    record = {"run_id": run_id, "started": started, "finished": started, "status": "completed", "seed": 0,
              "scale": "small", "passed": not figures.failed_areas,
              "areas": {area: "failed" if area in figures.failed_areas else "passed" for area in figures.areas},
              "notes": []}
    (run_dir / "run.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return run_dir


def _targets(figures: Figures, run_dir: Path) -> AreaResult:
    return AreaResult("targets", True, [Metric("health_status", side, 200, "", "== 200", True) for side in SIDES])


def _load(figures: Figures, run_dir: Path) -> AreaResult:
    metrics, findings = [], []
    for index, side in enumerate(SIDES):
        judged = side == "candidate"
        p95, queries, cache = figures.p95[index], figures.queries[index], figures.cache[index]
        if p95 is not None:
            metrics.append(Metric("p95_ms", side, p95, "ms", "< 100", p95 < 100 if judged else None,
                                  f"load/{side}/run/samples.json"))
        if queries is not None:
            metrics.append(Metric("queries_per_request_max", side, queries, "queries", "≤ 10",
                                  queries <= 10 if judged else None))
        metrics.append(Metric("cache_hit_ratio", side, cache, "ratio", "≥ 0.8", None))
        metrics.append(Metric("error_rate", side, 0.0, "ratio", "< 0.01", True if judged else None))
        metrics.append(Metric("users", side, figures.users, "users"))
        if figures.capacity is not None and figures.capacity[index] is not None:
            metrics.append(Metric("capacity_users", side, figures.capacity[index], "users"))
        operations = {name: {"requests": 30, "p95_ms": values[index], "queries_max": values[2 + index]}
                      for name, values in figures.operations.items()}
        findings.append(Finding(f"load.figures.{side}", "load_figures", Severity.INFO, f"{side}: figures", evidence={
            "side": side, "profile": "smoke", "users": figures.users, "invalid": [],
            "overall": {"requests": 100 + index, "p95_ms": p95, "p95_ci_ms": [12.0, 50.0], "server_p95_ms": 15.0,
                        "queries_median": 3.0, "cache_hits": 89 if cache else 0, "cache_misses": 11 if cache else 0},
            "operations": operations}))
        _hgrm(run_dir / "load" / f"{side}_latency.hgrm", p95 or 10.0)
    slow = [name for name, values in figures.operations.items() if values[1] >= 100]
    findings += [Finding(f"load.latency_p95.candidate.{name}", "latency_p95", Severity.HIGH, f"{name}: slow",
                         operation=name) for name in slow]
    return AreaResult("load", not slow and all(m.passed is not False for m in metrics), metrics, findings)


def _hgrm(path: Path, p95: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["       Value     Percentile TotalCount 1/(1-Percentile)", ""]
    for quantile, factor in ((0.0, 0.2), (0.5, 0.5), (0.9, 0.8), (0.95, 1.0), (0.99, 1.3), (1.0, 1.5)):
        lines.append(f"{p95 * factor:12.3f} {quantile:.12f} {int(quantile * 100):10d} "
                     f"{'inf' if quantile == 1.0 else f'{1 / (1 - quantile):.2f}':>14}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _security(figures: Figures, run_dir: Path) -> AreaResult:
    metrics, findings = [], []
    for index, side in enumerate(SIDES):
        score, grade = figures.grade[index]
        metrics.append(Metric("observatory_score", side, score, "points", evidence=f"security/{side}/grade.json"))
        metrics.append(Metric("probes_refused", side, figures.probes[index], "probes"))
        (run_dir / "security" / side).mkdir(parents=True, exist_ok=True)
        (run_dir / "security" / side / "grade.json").write_text(json.dumps({"score": score, "grade": grade}))
        findings += [Finding(f"security.zap.{side}.10062.{n}", "zap", Severity.HIGH, "PII")
                     for n in range(figures.high_findings.get(side, 0))]
        findings.append(Finding(f"security.zap.{side}.10096", "zap", Severity.LOW, "timestamp"))
    return AreaResult("security", not any(f.severity == Severity.HIGH for f in findings), metrics, findings)


def _contract(figures: Figures, run_dir: Path) -> AreaResult:
    metrics = [Metric("cases_sent", "both", 1000, "requests"), Metric("pairs_compared", "candidate", 2000, "pairs"),
               Metric("unexplained_differences", "candidate", figures.unexplained, "fields", "== 0",
                      figures.unexplained == 0),
               Metric("rows_after_compared", "both", 300, "rows"),
               Metric("rows_after_differing", "candidate", figures.rows_after, "rows", "== 0", figures.rows_after == 0)]
    metrics += [Metric("documentation_coverage", side, figures.documentation[index], "%", "100",
                       figures.documentation[index] == 100) for index, side in enumerate(SIDES)]
    return AreaResult("contract", all(m.passed is not False for m in metrics), metrics,
                      [Finding("contract.header.x", "header_parity", Severity.INFO, "a header")])


def _data(figures: Figures, run_dir: Path) -> AreaResult:
    metrics = [Metric("schema_differences", "both", figures.schema_differences, "count", "== 0",
                      figures.schema_differences == 0),
               Metric("rows_compared", "both", 269, "rows"),
               Metric("differing_rows", "both", figures.differing_rows, "rows", "== 0", figures.differing_rows == 0)]
    names = ("copy_schema_differences", "copy_differing_rows", "in_place_schema_differences", "in_place_differing_rows")
    metrics += [Metric(name, "both", value, "", "== 0", value == 0) for name, value in zip(names, figures.paths,
                                                                                             strict=True)]
    metrics.append(Metric("copy_rows_copied", "candidate", 269, "rows"))
    findings = [Finding("data.schema.users.x", "schema", Severity.HIGH, "users.x: a column only the candidate has")
                for _ in range(figures.schema_differences)]
    return AreaResult("data", all(m.passed is not False for m in metrics), metrics, findings)


def _crosswrite(figures: Figures, run_dir: Path) -> AreaResult:
    reads, rows = figures.crosswrite
    metrics = [Metric("crosswrite_resources", "both", 38, "steps"),
               Metric("crosswrite_read_differences", "both", reads, "fields", "== 0", reads == 0),
               Metric("crosswrite_row_differences", "both", rows, "rows", "== 0", rows == 0)]
    return AreaResult("data-crosswrite", reads == 0 and rows == 0, metrics)


def score(reports: Path, run_dir: Path | None = None, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    """`harness scorecard --json` on a run folder an area command wrote (the newest under `reports` by default):
    the exit code and the rows by id, for an area's end-to-end test to check what its run puts on the page."""
    from click.testing import CliRunner

    from harness.cli import main

    done = CliRunner().invoke(main, ["scorecard", "--out", str(reports), "--json", *args,
                                     *([str(run_dir)] if run_dir else [])], catch_exceptions=False)
    assert done.exit_code in (0, 1), done.output
    return done.exit_code, {row["id"]: row for row in json.loads(done.output)["rows"]}
