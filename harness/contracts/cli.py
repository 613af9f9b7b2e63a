"""The contract area's subcommands, attached to the `harness contract` group of harness/cli.py.

    harness contract diff OLD NEW [--format json|markdown|junit] [--out FILE]
                                  [--fail-on breaking|warning|never] [--both-directions]

Exit codes (DESIGN.md "The command"): 0 nothing at or above --fail-on, 1 something is, 2 a document that cannot be
read or is not valid OpenAPI 3.x (with a one-line reason).
"""
from __future__ import annotations

from pathlib import Path

import click

from harness.cli import EXIT_GATE_FAILED, ConfigError, contract
from harness.contracts.specdiff import FAIL_ON, SpecError, compare, gate_failed, load_spec
from harness.contracts.specdiff_render import RENDERERS, summary_line

__all__ = ["contract"]


@contract.command("diff")
@click.argument("old", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "output_format", type=click.Choice(list(RENDERERS)),
              help="Report format [default: markdown, or json with `harness contract --json`]; JUnit has one test "
                   "case per operation, failing on its breaking changes.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the report to FILE and print only a summary.")
@click.option("--fail-on", type=click.Choice(list(FAIL_ON)), default="breaking", show_default=True,
              help="Exit 1 when a change at or above this level is found.")
@click.option("--both-directions", is_flag=True,
              help="Also compare NEW against OLD: for two apps' specs, what either offers that the other does not.")
@click.pass_obj
def diff(options, old: Path, new: Path, output_format: str | None, out: Path | None, fail_on: str,
         both_directions: bool) -> None:
    """Classify the changes from the OpenAPI 3.x document OLD to NEW as breaking, warning or info."""
    output_format = output_format or ("json" if getattr(options, "json", False) else "markdown")
    try:
        diffs = compare(load_spec(old), load_spec(new), old_label=str(old), new_label=str(new),
                        both_directions=both_directions)
    except SpecError as exc:
        raise ConfigError(str(exc)) from None
    report = RENDERERS[output_format](diffs)
    if out is None:
        click.echo(report, nl=not report.endswith("\n"))
    else:
        try:
            out.write_text(report, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write {out}: {exc.strerror or exc}") from None
        click.echo(f"{summary_line(diffs)}\nReport written to {out}")
    if gate_failed(diffs, fail_on):
        raise SystemExit(EXIT_GATE_FAILED)
