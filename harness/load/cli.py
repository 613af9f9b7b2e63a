"""`harness load`: the load area's command (the `load` click group, mounted by harness/cli.py).

    harness load [--profile smoke|baseline|peak|soak|spike|capacity] [--config FILE] [--legacy ...]
                 [--candidate ...] [--out DIR] [--json]
    harness load profiles        the profiles of the configured file, with their bounds

Both apps are served under gunicorn and loaded one after the other with the profile (area.py); the figures and
the gates' verdict go to reports/<run-id>/load.json, load.junit.xml, load.md and the load/ folder (per side:
samples.json, locust's own CSV and HTML as evidence, the per-operation CSV). Exit codes: 0 every gate passed,
1 a gate failed or the run was invalid (the generator was the bottleneck), 2 a bad setting or profile, 3 an app
could not be served or locust could not run.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from harness.core.command import CommonOptions, common_options, harness_errors, run_area_command
from harness.core.config import Settings

__all__ = ["load"]


@click.group("load", invoke_without_command=True)
@common_options
@click.option("--profile", metavar="NAME",
              help="The load profile (default: [load] profile, else smoke); `harness load profiles` lists them.")
@click.pass_context
def load(ctx: click.Context, options: CommonOptions, profile: str | None) -> None:
    """Load: real journeys under locust, exact p95, server-side queries and cache hits, capacity.

    Without a subcommand: both apps under the profile. Exit 0 when every gate passes, 1 when one fails or the
    run is invalid, 2 on a bad setting, 3 when an app cannot be served."""
    ctx.obj = options
    if ctx.invoked_subcommand is None:
        raise SystemExit(run_area_command(options, ("load",), before=_print_summary,
                                          adjust=None if profile is None else _with_profile(profile)))


def _with_profile(name: str):
    def adjust(settings: Settings) -> Settings:
        sections = {**settings.sections, "load": {**settings.section("load"), "profile": name}}
        return dataclasses.replace(settings, sections=sections)
    return adjust


def _print_summary(results: list) -> None:
    from harness.report.summaries import summary_lines

    for result in results:
        click.echo("\n".join(summary_lines(result)[1:]))


@load.command("profiles")
@click.pass_obj
def profiles(options: CommonOptions) -> None:
    """List the configured profiles and their bounds."""
    from .area import LOAD_SETTINGS
    from .profiles import load_profiles

    with harness_errors():
        values = options.settings().area_settings(LOAD_SETTINGS)
        for profile in load_profiles(Path(values["profiles"])).values():
            if profile.kind == "capacity":
                bounds = (f"capacity search {profile.start_users}–{profile.max_users} users, ≤ {profile.max_steps} "
                          f"steps of {profile.step_warmup_s + profile.step_duration_s:g} s")
            else:
                bounds = f"{profile.users} users, {profile.duration_s:g} s"
            click.echo(f"{profile.name:<10} {bounds}, ≤ {profile.max_requests:,} requests — {profile.description}")
