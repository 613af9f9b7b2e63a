"""`harness scorecard` and `harness coverage`.

    harness scorecard [RUN] [--gate AREA]... [--compare RUN_A RUN_B] [--config FILE] [--out DIR] [--json]
    harness coverage [legacy|candidate]... [--config FILE] [--out DIR] [--timeout SECONDS]

`scorecard` renders a run folder (reports/latest by default) into scorecard.html, .md, .junit.xml and .json,
appends it to the history and exits 0 when every blocking row passes, 1 when one fails, 2 on a bad input.
`--gate contract` judges only that area's rows (a merge gate). `--compare A B` judges B against A rather than
against the previous run in the history, and prints the comparison. `coverage` runs each app's configured test
suite under coverage.py (branch) and keeps the result where the next scorecard reads it.
"""
from __future__ import annotations

from pathlib import Path

import click

from harness.core.command import CommonOptions, common_options, harness_errors
from harness.core.paths import PROJECT
from harness.core.results import latest_run

from .codemetrics import run_coverage
from .errors import ScorecardInputError
from .run import prepare, score

SIDES = ("legacy", "candidate")


@click.command()
@click.argument("run", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--gate", "gates", multiple=True, metavar="AREA",
              help="Judge only this area's rows (repeatable): a merge gate on one area.")
@click.option("--compare", nargs=2, type=click.Path(path_type=Path, file_okay=False), metavar="RUN_A RUN_B",
              help="Judge RUN_B against RUN_A instead of the previous run in the history.")
@common_options
def scorecard(options: CommonOptions, run: Path | None, gates: tuple[str, ...],
              compare: tuple[Path, Path] | None) -> None:
    """Render a run's scorecard (reports/latest by default): HTML, Markdown, JUnit XML, JSON and the history."""
    from harness.report.scorecard import compare_markdown, scorecard_text, write_scorecard_files

    with harness_errors():
        settings = options.settings()
        prepared = prepare(settings)
        if compare and run is not None:
            raise ScorecardInputError("give either RUN or --compare RUN_A RUN_B, not both")
        baseline, target = compare if compare else (None, run or _latest(settings.out))
        card, extra = score(prepared, _run_dir(target, settings.out), gated_areas=_gated(gates),
                            baseline=None if baseline is None else _run_dir(baseline, settings.out),
                            record=baseline is None)
        written = write_scorecard_files(Path(card.run_dir), card, extra)
        if options.json:
            click.echo(written[-1].read_text(encoding="utf-8"), nl=False)
        elif baseline is not None:
            click.echo(compare_markdown(card, Path(baseline).name), nl=False)
            click.echo(scorecard_text(card))
        else:
            click.echo(scorecard_text(card))
            click.echo(f"Scorecard: {written[0]}")
    raise SystemExit(0 if card.passed else 1)


def _latest(out: Path) -> Path:
    found = latest_run(out)
    if found is None:
        raise ScorecardInputError(f"no run in {out} yet: run `harness verify` (or an area) first, or give RUN")
    return found


def _run_dir(given: Path, out: Path) -> Path:
    """A run folder as given, or a run id under the reports folder."""
    if given.is_dir():
        return given
    if (out / given).is_dir():
        return out / given
    raise ScorecardInputError(f"{given} is not a run folder (nor a run id in {out})")


def _gated(areas: tuple[str, ...]) -> tuple[str, ...]:
    from .rows import ROWS

    known = {spec.area for spec in ROWS} | {"targets", "data-crosswrite"}
    unknown = sorted(set(areas) - known)
    if unknown:
        raise ScorecardInputError(f"--gate {unknown[0]}: not an area of the scorecard (areas: "
                                  f"{', '.join(sorted(known))})")
    return areas


@click.command()
@click.argument("sides", nargs=-1, type=click.Choice(SIDES))
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=1800.0, show_default=True,
              help="Seconds one app's test suite may take.")
@common_options
def coverage(options: CommonOptions, sides: tuple[str, ...], timeout_s: float) -> None:
    """Run each app's own test suite under coverage.py (branch) for the scorecard (both apps by default)."""
    with harness_errors():
        prepared = prepare(options.settings())
        for side in sides or SIDES:
            source = prepared.options.sources.get(side)
            if source is None:
                raise ScorecardInputError(f"no source folder for the {side} app: set [scorecard] {side}_source")
            out = prepared.options.coverage[side]
            click.echo(f"{side}: {' '.join(prepared.options.test_commands[side])} (under coverage, source "
                       f"{source})", err=True)
            measured = run_coverage(prepared.options.test_commands[side], source=[str(source)], cwd=PROJECT, out=out,
                                    timeout_s=timeout_s)
            kind = "branch" if measured.branch else "line"
            click.echo(f"{side}: {measured.percent:.1f} % ({kind} coverage) -> {out}")
