"""Reports: everything the harness shows people and CI, rendered from the areas' results.

The result schema (harness/core/results.py) is the contract between the two halves: an area returns an
`AreaResult` and renders nothing; this package turns results into

    <area>.junit.xml   a test case per operation per check, a failure per blocking finding (junit.py)
    <area>.md          the area's summary and its findings as a table, for a CI step summary (markdown.py)
    terminal text      the run's verdict, each area's summary lines, a short text per command (terminal.py,
                       summaries.py)
    spec-diff reports  `harness contract diff` in Markdown, JSON or JUnit (specdiff.py)

`conclude(run, results, ...)` is what a command that ran areas does last: write each area's report files
beside its JSON, print the verdict (or the JSON document) and return the exit code.
"""
from __future__ import annotations

from .files import conclude, conclude_interrupted, write_reports

__all__ = ["conclude", "conclude_interrupted", "write_reports"]
