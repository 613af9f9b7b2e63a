"""The report files of a run, and the end of every command that ran areas.

    write_reports(run_dir, results)   <area>.junit.xml and <area>.md beside each <area>.json
    conclude(run, results, as_json=..., interrupted=...)   write them, print the verdict, return the exit code
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from harness.core.results import AreaResult, ReportsError

from .junit import area_junit
from .load import write_load_files
from .markdown import area_markdown
from .security import write_security_files
from .terminal import run_passed, verdict_json, verdict_text

if TYPE_CHECKING:
    from harness.core.runs import Interrupted, Run

EXIT_OK, EXIT_GATE_FAILED = 0, 1
#: Each report file of an area, by suffix: the renderer that makes it from the area's result.
AREA_FILES: tuple[tuple[str, Callable[[AreaResult], str]], ...] = (
    ("junit.xml", area_junit),
    ("md", area_markdown),
)
#: An area's evidence files beyond those (written into the run folder from its result).
AREA_EXTRAS: dict[str, Callable[[Path, AreaResult], list[Path]]] = {"load": write_load_files,
                                                                     "security": write_security_files}


def write_reports(run_dir: Path, results: list[AreaResult]) -> list[Path]:
    """Every area's report files; ReportsError (exit 2, one line) when the folder cannot be written."""
    written = []
    for result in results:
        for suffix, render in AREA_FILES:
            path = run_dir / f"{result.area}.{suffix}"
            try:
                path.write_text(render(result), encoding="utf-8")
            except OSError as exc:
                raise ReportsError(f"cannot write {path}: {exc.strerror or exc} (give --out a writable folder)") \
                    from None
            written.append(path)
        extra = AREA_EXTRAS.get(result.area)
        if extra is not None:
            try:
                written += extra(run_dir, result)
            except OSError as exc:
                raise ReportsError(f"cannot write the {result.area} evidence in {run_dir}: {exc.strerror or exc}") \
                    from None
    return written


def conclude(run: Run, results: list[AreaResult], *, as_json: bool, interrupted: Interrupted | None = None,
             before: Callable[[], None] | None = None) -> int:
    """Write the report files, print the verdict (or the JSON document on stdout) and return the exit code: 0
    every gate passed, 1 one failed, 128 + the signal's number for an interrupted run (whose results are
    partial; printing is best effort then, the terminal may be gone). `before` prints first (a summary)."""
    with contextlib.suppress(ReportsError) if interrupted is not None else contextlib.nullcontext():
        write_reports(run.out_dir, results)
    with contextlib.suppress(OSError) if interrupted is not None else contextlib.nullcontext():
        if before is not None and not as_json:
            before()
        click.echo(verdict_json(run, results, interrupted) if as_json else verdict_text(run, results, interrupted))
    if interrupted is not None:
        return interrupted.exit_code
    return EXIT_OK if run_passed(results) else EXIT_GATE_FAILED


def conclude_interrupted(exc: Interrupted, *, as_json: bool) -> int:
    """What an interrupted run prints (the partial verdict on stdout, one line on stderr), and its exit code,
    128 + the signal's number."""
    with contextlib.suppress(OSError):
        if exc.run is None:
            click.echo(f"Interrupted by {exc.name}: no run folder was written", err=True)
            return exc.exit_code
        conclude(exc.run, exc.results, as_json=as_json, interrupted=exc)
        click.echo(f"Interrupted by {exc.name}: every process the harness started is stopped; partial results in "
                   f"{exc.run.out_dir} (latest points at it)", err=True)
    return exc.exit_code
