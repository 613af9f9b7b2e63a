"""`harness security`: the security area's command (the `security` click group, mounted by harness/cli.py).

    harness security [--config FILE] [--legacy ...] [--candidate ...] [--out DIR] [--json]
                     [--check static|audit|passive|grade|probes ...] [--zap-report FILE]
    harness security baseline [--config FILE]    record each app's current bandit issues as its baseline

Both apps are scanned (area.py) and the verdict goes to reports/<run-id>/security.json, security.junit.xml,
security.md and the security/ folder: bandit JSON, SARIF and HTML, the ZAP traditional-json, HTML and SARIF
reports, the grade report, the audit and the probes. Exit codes: 0 every gate passed, 1 a gate failed, 2 a bad
setting or input file, 3 an app could not be served. ZAP's own exit code (0 pass, 1 FAIL, 2 WARN, 3 error) over
each side's alerts is in the summary and in security.json (`zap_exit_code`).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from harness.core.command import CommonOptions, common_options, harness_errors, run_area_command
from harness.core.config import Settings

__all__ = ["security"]

CHECKS = ("static", "audit", "passive", "grade", "probes")


@click.group("security", invoke_without_command=True)
@common_options
@click.option("--check", "checks", multiple=True, type=click.Choice(CHECKS),
              help="Run only these checks (repeat the option; default: [security] checks, else all).")
@click.option("--zap-report", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Judge this ZAP traditional-json report (from a ZAP run elsewhere) as the candidate's passive "
                   "scan, by the same rules file.")
@click.pass_context
def security(ctx: click.Context, options: CommonOptions, checks: tuple[str, ...], zap_report: Path | None) -> None:
    """Security: bandit, the dependency audit, ZAP-rule passive DAST, the Observatory grade over TLS, probes.

    Without a subcommand: both apps. Exit 0 when every gate passes, 1 when one fails, 2 on a bad setting or
    input file, 3 when an app cannot be served."""
    ctx.obj = options
    if ctx.invoked_subcommand is None:
        raise SystemExit(run_area_command(options, ("security",), before=_print_summary,
                                          adjust=_with(checks, zap_report)))


def _with(checks: tuple[str, ...], zap_report: Path | None):
    def adjust(settings: Settings) -> Settings:
        section = dict(settings.section("security"))
        if checks:
            section["checks"] = list(checks)
        if zap_report is not None:
            from .zap import read_zap_report

            read_zap_report(zap_report)  # refused (exit 2, one line) before any app is started
            section["zap_report"] = str(zap_report.resolve())
        return dataclasses.replace(settings, sections={**settings.sections, "security": section})
    return adjust


def _print_summary(results: list) -> None:
    from harness.report.summaries import summary_lines

    for result in results:
        click.echo("\n".join(summary_lines(result)[1:]))


@security.command("baseline")
@click.pass_obj
def baseline(options: CommonOptions) -> None:
    """Record each app's current bandit issues (at the gates' thresholds) as its baseline: later runs report
    only what is new, counted per copy. Review the file's diff like code."""
    from .area import options_from
    from .sides import baseline_path
    from .static import filter_issues, run_bandit, write_baseline

    with harness_errors():
        settings = options.settings()
        opts = options_from(settings)
        if opts.gates.bandit_baseline is None:
            raise click.UsageError(f"{opts.gates.source}: [static] baseline names no file to write")
        for side in opts.sides:
            root = opts.sources.get(side)
            path = baseline_path(opts.gates.bandit_baseline, side)
            if root is None or path is None:
                click.echo(f"{side}: no source folder: set [security] {side}_source", err=True)
                continue
            scanned = run_bandit(root, settings.out / f"bandit-{side}.json")
            issues = filter_issues(scanned.issues, opts.gates.static_severity, opts.gates.static_confidence)
            write_baseline(path, issues)
            click.echo(f"{side}: {len(issues)} issues of {root} recorded in {path}")
