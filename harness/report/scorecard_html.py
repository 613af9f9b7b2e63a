"""`scorecard.html`: the managers' page, one self-contained file.

Inline SVG charts (harness/report/svg.py), one inline stylesheet allowed by its hash, and a Content-Security-Policy
meta that forbids everything else: no script, no font, no image or stylesheet from anywhere (a `data:` image at
most). It opens from disk and prints to PDF (print styles keep a row or a chart on one page). Each figure's cell
carries `data-value`, `data-scale` and `data-source` (the file and JSON pointer it was read from).
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from harness.scorecard.model import FAIL, NOT_MEASURED, PASS, Chart, Figure, Row, Scorecard

from . import svg

TEMPLATES = Path(__file__).with_name("templates")
SEVERITY_COLORS = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#f59e0b", "low": "#60a5fa", "info": "#d1d5db"}
STYLE = """
:root{color-scheme:light}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1400px;
padding:1.5rem;color:#111827;background:#fff}
h1{font-size:1.6rem;margin:.2rem 0 1rem}h2{font-size:1.2rem;margin:1.6rem 0 .6rem}
.run{color:#4b5563;margin:0}
.verdict{border:3px solid;border-radius:8px;padding:.8rem 1.2rem}
.verdict h2{margin:0 0 .3rem;font-size:1.5rem}.verdict ul{margin:.2rem 0 .4rem}
.verdict-yes{border-color:#15803d;background:#f0fdf4}.verdict-no{border-color:#b91c1c;background:#fef2f2}
.verdict-not-proven{border-color:#b45309;background:#fffbeb}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:.45rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f3f4f6;font-weight:600}
td.figure{font-variant-numeric:tabular-nums;white-space:nowrap;font-weight:600}
td small,th small{display:block;font-weight:400;color:#4b5563;white-space:normal;max-width:22rem}
tr.status-fail>th,tr.status-fail td.verdict-cell{color:#b91c1c}
tr.status-fail td.side-candidate{background:#fee2e2;color:#991b1b}
tr.status-soft td.side-candidate{background:#fef3c7}
tr.status-pass td.side-candidate{background:#dcfce7}
tr.status-missing td.side-candidate{background:#f3f4f6;color:#6b7280}
td.status-fail.side-legacy{color:#991b1b}
small.regression{color:#b45309;font-weight:600}
td.method{color:#374151;max-width:34rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:1rem;align-items:start}
.charts h2{grid-column:1/-1;margin-bottom:0}
figure{margin:0;border:1px solid #e5e7eb;border-radius:6px;padding:.5rem;overflow-x:auto}
figure svg{max-width:100%;height:auto}
figcaption{color:#4b5563;font-size:12px}
footer{margin-top:2rem;color:#4b5563;font-size:12px}
@media print{body{max-width:none;padding:0;font-size:11px}tr,figure,.verdict{break-inside:avoid}
a{color:inherit;text-decoration:none}td.method{max-width:none}}
"""


def style_hash(style: str = STYLE) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(style: str = STYLE) -> str:
    return (f"default-src 'none'; style-src '{style_hash(style)}'; img-src data:; base-uri 'none'; "
            "form-action 'none'")


@dataclass(frozen=True, slots=True)
class _Side:
    name: str
    value: float | None
    scale: str
    sources: str
    display: str
    note: str
    css: str


def _side(name: str, found: Figure, status: str) -> _Side:
    return _Side(name=name, value=None if found.value is None else svg.value_text(found.value),
                 scale=svg.value_text(found.scale), sources=" ".join(found.sources), display=found.display,
                 note=found.note, css=status.replace(" ", "-"))


def _verdict_text(row: Row) -> str:
    if row.status == PASS:
        return "✔ pass"
    if row.status == FAIL:
        return "✘ FAIL" if row.blocks else "✘ misses the target (not blocking)"
    if row.status == NOT_MEASURED:
        return f"{'not judged' if row.candidate.measured else 'not measured'}: run {row.how_to_measure}"
    return "information"


def _row_view(row: Row) -> dict[str, Any]:
    css = {PASS: "pass", NOT_MEASURED: "missing"}.get(row.status, "fail" if row.blocks else "soft")
    if row.status not in (PASS, FAIL, NOT_MEASURED):
        css = "info"
    values = [candidate for _, _, candidate in row.trend]
    spark = svg.sparkline(f"spark-{row.id}", values, label=row.title) if sum(v is not None for v in values) > 1 else ""
    return {"id": row.id, "title": row.title, "target": row.target, "status": row.status, "blocks": row.blocks,
            "css": css, "delta": row.delta, "verdict": _verdict_text(row), "regression": row.regression,
            "previous_run": row.previous_run, "previous_shown": svg.with_unit(row.previous, row.unit),
            "method": row.method, "evidence": row.evidence, "reason": row.reason, "sparkline": spark,
            "sides": [_side("legacy", row.legacy, row.legacy_status), _side("candidate", row.candidate, row.status)]}


def chart_svg(chart: Chart) -> str:
    if chart.kind == "distribution":
        return svg.distribution_chart(chart.key, chart.title, chart.series, unit=chart.unit, threshold=chart.threshold,
                                      threshold_label="target")
    if chart.kind == "stacked":
        return svg.stacked_bar_chart(chart.key, chart.title, chart.labels, chart.series, colors=SEVERITY_COLORS)
    if chart.kind == "trend":
        return svg.trend_chart(chart.key, chart.title, chart.labels, chart.series, unit=chart.unit,
                               threshold=chart.threshold)
    return svg.bar_chart(chart.key, chart.title, chart.labels, chart.series, unit=chart.unit,
                         threshold=chart.threshold, threshold_label="target" if chart.threshold is not None else "")


def _modules(extra: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for side, (data, _) in sorted((extra.get("maintainability") or {}).items()):
        for module in data.get("worst", [])[:5]:
            found.append({"side": side, "path": module["path"], "mi": f"{module['mi']:.1f}", "rank": module["rank"],
                          "sloc": module["sloc"]})
    return found


def scorecard_html(card: Scorecard, extra: dict[str, Any] | None = None) -> str:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    verdict = {"state": card.verdict.state, "title": card.verdict.title, "because": card.verdict.because,
               "not_blocking": card.verdict.not_blocking}
    view = {"run_id": card.run_id, "started": card.started, "gated_areas": card.gated_areas, "verdict": verdict,
            "notes": card.notes, "gates_file": card.gates_file, "history": card.history, "run_dir": card.run_dir}
    sections = [{"title": title, "anchor": f"section-{index}",
                 "rows": [_row_view(row) for row in card.section_rows(title)]}
                for index, title in enumerate(card.sections)]
    charts = [{"svg": chart_svg(chart), "caption": f"Source: {chart.source}", "source": chart.source}
              for chart in card.charts]
    return environment.get_template("scorecard.html.j2").render(
        card=view, sections=[s for s in sections if s["rows"]], charts=charts, modules=_modules(extra or {}),
        csp=content_security_policy(), style=STYLE)
