"""`harness contract`: the contract area's commands (the `contract` click group, mounted by harness/cli.py).

    harness contract [--config FILE] [--legacy ...] [--candidate ...] [--out DIR] [--json]
                     the contract gate on both configured targets, as `harness verify` runs it
    harness contract diff OLD NEW [--format json|markdown|junit] [--out FILE]
                                  [--fail-on breaking|warning|never] [--both-directions]

Exit codes (DESIGN.md "The command"): the gate: 0 the candidate matches legacy with no unexplained
difference, 1 otherwise, 2 a bad setting, 3 a target could not be started or reached. diff: 0 nothing at or
above --fail-on, 1 something is, 2 a document that cannot be read or is not valid OpenAPI 3.x (one line).
"""
from __future__ import annotations

from pathlib import Path

import click

from harness.contract.specdiff import FAIL_ON, SpecError, compare, gate_failed, load_spec
from harness.core.command import EXIT_GATE_FAILED, CommonOptions, common_options, harness_errors, run_area_command
from harness.core.errors import ConfigError
from harness.report.specdiff import RENDERERS, summary_line

__all__ = ["contract"]


@click.group("contract", invoke_without_command=True)
@common_options
@click.pass_context
def contract(ctx: click.Context, options: CommonOptions) -> None:
    """API contract parity: conformance, differential, coverage and spec diff.

    Without a subcommand: the contract gate on both targets (reports/<run-id>/contract.json, contract.junit.xml,
    contract.md). Exit 0 when the candidate matches legacy with no unexplained difference, 1 otherwise, 2 on a bad
    setting, 3 when a target could not be started or reached."""
    ctx.obj = options  # the subcommands take them with @click.pass_obj
    if ctx.invoked_subcommand is None:
        raise SystemExit(run_area_command(options, ("contract",), before=_print_summary))


def _print_summary(results: list) -> None:
    """Cases sent, pairs compared, operations and statuses covered: the gate's summary, before the verdict."""
    from harness.report.summaries import summary_lines

    for result in results:
        click.echo("\n".join(summary_lines(result)[1:]))


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
    with harness_errors():
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
