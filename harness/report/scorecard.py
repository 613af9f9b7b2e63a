"""The scorecard's files: `scorecard.html` (scorecard_html.py), `scorecard.md` (fits GitHub's job summary, under
1 MiB), `scorecard.junit.xml` (a test case per gate) and `scorecard.json` (the whole model), and the lines the
terminal shows.

    write_scorecard_files(run_dir, card, extra)   -> the paths written
    scorecard_markdown(card) / scorecard_junit(card) / scorecard_text(card) / compare_markdown(card, baseline)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from harness.core.results import ReportsError
from harness.scorecard.model import FAIL, NOT_MEASURED, PASS, Row, Scorecard

from .scorecard_html import scorecard_html

SUMMARY_LIMIT = 1024 * 1024  # GitHub's $GITHUB_STEP_SUMMARY takes up to 1 MiB per step
MARKS = {PASS: "✅", FAIL: "❌", NOT_MEASURED: "⚪"}


def _mark(row: Row) -> str:
    if row.status == FAIL and not row.blocks:
        return "⚠️"
    return MARKS.get(row.status, "ℹ️")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown_head(card: Scorecard) -> list[str]:
    lines = [f"## {card.verdict.title}", ""]
    lines += [f"- {_cell(why)}" for why in card.verdict.because]
    if card.verdict.not_blocking:
        lines += ["", "Plan targets missed that do not block:"]
        lines += [f"- {_cell(why)}" for why in card.verdict.not_blocking]
    if card.notes:
        lines += ["", "Against the previous run:"] + [f"- {_cell(note)}" for note in card.notes]
    gated = f" · gate on {', '.join(card.gated_areas)} only" if card.gated_areas else ""
    return [*lines, "", f"Run `{card.run_id}`{gated}"]


def _markdown_row(row: Row) -> str:
    missing = "not judged" if row.candidate.measured else "not measured"
    how = row.method if row.status != NOT_MEASURED else f"{missing}: run `{row.how_to_measure}`"
    if row.status == FAIL and row.candidate.note:
        how = f"{row.candidate.note}. {how}"
    regressed = f" ▲ regressed (was {row.previous:g} in {row.previous_run})" if row.regression else ""
    return (f"| {_mark(row)} | {_cell(row.title)}{regressed} | {_cell(row.target)} | {_cell(row.legacy.display)} | "
            f"{_cell(row.candidate.display)} | {_cell(row.delta)} | {_cell(how)[:300]} |")


def scorecard_markdown(card: Scorecard) -> str:
    lines = _markdown_head(card)
    for section in card.sections:
        rows = card.section_rows(section)
        if rows:
            lines += ["", f"### {section}", "", "| | metric | target | legacy | candidate | Δ | how |",
                      "|---|---|---|---|---|---|---|", *(_markdown_row(row) for row in rows)]
    text = "\n".join(lines) + "\n"
    if len(text.encode("utf-8")) > SUMMARY_LIMIT:  # a row's text is bounded; kept as the contract all the same
        text = text.encode("utf-8")[:SUMMARY_LIMIT - 64].decode("utf-8", "ignore") + "\n\n(cut at 1 MiB)\n"
    return text


def scorecard_junit(card: Scorecard) -> str:
    """A test case per row that gates (its target on the candidate), failed when the row blocks and misses it, or
    regressed and the regression blocks; skipped when it was not measured."""
    considered = [row for row in card.rows if not card.gated_areas or row.area in card.gated_areas]
    failures = sum(row.blocking_failure for row in considered)
    suite = ET.Element("testsuite", name="harness.scorecard", tests=str(len(considered)), failures=str(failures),
                       skipped=str(sum(row.status == NOT_MEASURED for row in considered)))
    for row in considered:
        case = ET.SubElement(suite, "testcase", classname=f"scorecard.{row.section}", name=row.id)
        if row.blocking_failure:
            ET.SubElement(case, "failure", message=row.failure,
                          type=row.id).text = row.regression or row.method
        elif row.status == NOT_MEASURED:
            ET.SubElement(case, "skipped", message=f"not measured: run {row.how_to_measure}")
        else:
            ET.SubElement(case, "system-out").text = (
                f"legacy {row.legacy.display}; candidate {row.candidate.display}; {row.status}"
                + (f"; not blocking: {row.reason}" if row.status == FAIL else "")
                + (f"; {row.regression}" if row.regression else ""))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def scorecard_text(card: Scorecard) -> str:
    """The terminal's lines: the verdict, then each row that failed, regressed or was not measured."""
    lines = [f"Scorecard: {card.verdict.headline}"]
    for row in card.rows:
        if row.status == FAIL or row.regression or (row.status == NOT_MEASURED and row.blocks):
            lines.append(f"  {_mark(row)} {row.failure}; legacy {row.legacy.display}"
                         f"{'  ▲ ' + row.regression if row.regression else ''}")
    return "\n".join(lines)


def compare_markdown(card: Scorecard, baseline: str) -> str:
    """`harness scorecard --compare A B`: each row's candidate figure in A and in B, and what regressed."""
    lines = [f"## Run {card.run_id} against run {baseline}", "", "| metric | target | in " + baseline + " | in "
             + card.run_id + " | regressed |", "|---|---|---|---|---|"]
    for row in card.rows:
        before = "not measured" if row.previous is None else f"{row.previous:g}"
        lines.append(f"| {_cell(row.title)} | {_cell(row.target)} | {before} | {_cell(row.candidate.display)} | "
                     f"{'▲ yes' + (' (blocks)' if row.regression_blocks else '') if row.regression else ''} |")
    return "\n".join(lines) + "\n"


def write_scorecard_files(run_dir: Path, card: Scorecard, extra: dict[str, Any] | None = None) -> list[Path]:
    files = {"scorecard.html": scorecard_html(card, extra), "scorecard.md": scorecard_markdown(card),
             "scorecard.junit.xml": scorecard_junit(card),
             "scorecard.json": json.dumps(card.to_dict(), indent=2, default=str) + "\n"}
    written = []
    for name, text in files.items():
        path = run_dir / name
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReportsError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written
