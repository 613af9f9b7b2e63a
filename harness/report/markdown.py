"""Markdown of one area's result, for people and `$GITHUB_STEP_SUMMARY`: the verdict, the area's summary
lines in a code block, then every finding, most severe first."""
from __future__ import annotations

from harness.core.results import AreaResult, Severity

from .summaries import summary_lines


def area_markdown(result: AreaResult) -> str:
    lines = [f"# {result.area.capitalize()} gate: {'PASS' if result.passed else 'FAIL'}", "",
             "```", *summary_lines(result), "```", "",
             "| severity | check | operation | message |", "|---|---|---|---|"]
    order = list(Severity)
    for finding in sorted(result.findings, key=lambda f: (order.index(f.severity), f.check)):
        message = finding.message.replace("|", "/").replace("\n", " ")
        lines.append(f"| {finding.severity} | {finding.check} | {finding.operation or ''} | {message} |")
    lines += ["", f"Each finding in {result.area}.json carries its evidence and a command that reproduces it."]
    return "\n".join(lines) + "\n"
