"""Spec-diff reports: `harness contract diff` results (`specdiff.compare(...)`) as JSON, Markdown or JUnit XML.

Every renderer takes the list of `SpecDiff`s (one, or two with --both-directions) and returns text; none of them
decides the exit code (`specdiff.gate_failed` does).

- JSON: `{"old", "new", "summary", "changes": [...]}`, plus `"reverse"` (the same shape) for the other direction.
- Markdown: per direction, a count line and one table row per change, breaking ones first.
- JUnit: one <testsuite> per direction with one <testcase> per operation; the breaking changes of an operation
  are its <failure>, its warnings and info go to <system-out>, so CI shows exactly the operations that break.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict

from harness.contract.specdiff import Level, SpecChange, SpecDiff

_BY_SEVERITY = sorted(Level, key=lambda level: -level.rank)  # breaking, warning, info


def _summary(diff: SpecDiff) -> dict[str, int]:
    return {level.value: diff.count(level) for level in _BY_SEVERITY}


def _counts_text(diff: SpecDiff) -> str:
    breaking, warnings, info = (diff.count(level) for level in _BY_SEVERITY)
    return f"{breaking} breaking, {warnings} warning{'s' * (warnings != 1)}, {info} info"


def render_json(diffs: list[SpecDiff]) -> str:
    def direction(diff: SpecDiff) -> dict:
        return {"old": diff.old, "new": diff.new, "summary": _summary(diff),
                "changes": [asdict(change) for change in diff.changes]}

    document = direction(diffs[0])
    if len(diffs) > 1:
        document["reverse"] = direction(diffs[1])
    return json.dumps(document, indent=2, default=str)  # YAML dates and the like become strings


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(diffs: list[SpecDiff]) -> str:
    lines: list[str] = []
    for diff in diffs:
        lines += [f"## Contract diff: `{diff.old}` → `{diff.new}`", ""]
        if not diff.changes:
            lines += ["No changes.", ""]
            continue
        lines += [f"**{_counts_text(diff)}** across {len({c.operation for c in diff.changes})} operations.", "",
                  "| Level | Rule | Operation | Location | Change |", "|---|---|---|---|---|"]
        for change in sorted(diff.changes, key=lambda change: -change.level.rank):
            location = f"`{_cell(change.location)}`" if change.location else "(the operation)"
            lines.append(f"| {change.level.value} | `{change.rule_id}` | `{_cell(change.operation)}` | {location} | "
                         f"{_cell(change.message)} |")
        lines.append("")
    return "\n".join(lines)


def _line(change: SpecChange) -> str:
    where = f"{change.location}: " if change.location else ""
    return f"[{change.level.value}] {change.rule_id} {where}{change.message}"


def render_junit(diffs: list[SpecDiff]) -> str:
    suites = ET.Element("testsuites", name="contract diff")
    total_tests = total_failures = 0
    for diff in diffs:
        tests, failures = _junit_suite(suites, diff)
        total_tests += tests
        total_failures += failures
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _junit_suite(suites: ET.Element, diff: SpecDiff) -> tuple[int, int]:
    """One direction's <testsuite>, one <testcase> per operation; its number of tests and of failures."""
    by_operation: dict[str, list[SpecChange]] = {operation: [] for operation in diff.operations}
    for change in diff.changes:
        by_operation.setdefault(change.operation, []).append(change)
    failures = sum(any(c.level is Level.BREAKING for c in changes) for changes in by_operation.values())
    suite = ET.SubElement(suites, "testsuite", name=f"{diff.old} -> {diff.new}", tests=str(len(by_operation)),
                          failures=str(failures), errors="0", skipped="0")
    for operation, changes in by_operation.items():
        _junit_case(suite, operation, changes)
    return len(by_operation), failures


def _junit_case(suite: ET.Element, operation: str, changes: list[SpecChange]) -> None:
    """An operation's <testcase>: its breaking changes are the <failure>, the others go to <system-out>."""
    case = ET.SubElement(suite, "testcase", classname="contract.diff", name=operation)
    breaking = [c for c in changes if c.level is Level.BREAKING]
    if breaking:
        failure = ET.SubElement(case, "failure", type="breaking",
                                message=f"{len(breaking)} breaking change{'s' * (len(breaking) != 1)}")
        failure.text = "\n".join(_line(c) for c in breaking)
    others = [c for c in changes if c.level is not Level.BREAKING]
    if others:
        ET.SubElement(case, "system-out").text = "\n".join(_line(c) for c in others)


RENDERERS: dict[str, Callable[[list[SpecDiff]], str]] = {
    "json": render_json,
    "markdown": render_markdown,
    "junit": render_junit,
}


def summary_line(diffs: list[SpecDiff]) -> str:
    """One line per direction, for the terminal when the report goes to a file."""
    return "\n".join(f"{diff.old} -> {diff.new}: {_counts_text(diff)}" for diff in diffs)
