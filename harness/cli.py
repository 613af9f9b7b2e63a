"""The `harness` command (DESIGN.md "The command"): the top-level group, `harness verify`, and the mounting of
every other command.

    harness verify [--config FILE] [--legacy URL|IMPORT] [--candidate URL|IMPORT] [--out DIR] [--json]
    harness contract ... / harness data ...   (each area's own click group, in harness/<area>/cli.py)
    harness seed --db URL --scale small|medium|large --seed N [--reset] [--create-schema] [--json]
    harness serve legacy|candidate [--host 127.0.0.1] [--port 5000] [--db URL] [--seed N] [--scale small]
    harness replay --base-url http://127.0.0.1:5000 [--collection PATH] [--unique-user] [--json]
    (seed, serve and replay live in harness/commands/)

Exit codes: 0 ok, 1 a gate failed, 2 usage or configuration error (with a one-line reason),
3 a target could not be started or reached. Progress goes to stderr and only on a terminal, so
stdout stays clean for `--json` and CI logs stay quiet.
"""
from __future__ import annotations

import importlib

import click

from harness import report
from harness.commands.replay import replay
from harness.commands.seed import seed
from harness.commands.serve import serve
from harness.core import discover_areas, run_areas, select_areas
from harness.core.command import CommonOptions, Interrupted, common_options, harness_errors, terminal_progress
from harness.core.errors import ConfigError

#: Each area's command group, in the area's own package, imported only when used (or listed by --help), so an
#: area that does not exist yet, or does not import, never breaks the other commands. The module defines a click
#: group named after the area, with the common options; without a subcommand it runs the area on the configured
#: targets.
AREA_COMMANDS = {"contract": "harness.contract.cli", "data": "harness.data.cli", "load": "harness.load.cli",
                 "security": "harness.security.cli", "scorecard": "harness.scorecard.cli",
                 "coverage": "harness.scorecard.cli"}


class HarnessGroup(click.Group):
    """The top-level group; it resolves the area commands of AREA_COMMANDS lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *(name for name in AREA_COMMANDS
                                                      if self.get_command(ctx, name) is not None)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in AREA_COMMANDS:
            return super().get_command(ctx, cmd_name)
        try:
            module = importlib.import_module(AREA_COMMANDS[cmd_name])
        except ModuleNotFoundError as exc:
            if exc.name is None or not AREA_COMMANDS[cmd_name].startswith(exc.name):
                return _unavailable(cmd_name, exc)
            return None  # the area has no command module yet
        except Exception as exc:  # noqa: BLE001 - a broken area module must not break the other commands
            return _unavailable(cmd_name, exc)
        found = getattr(module, cmd_name, None)
        return found if isinstance(found, click.Command) else None


def _unavailable(name: str, error: Exception) -> click.Command:
    def fail() -> None:
        with harness_errors():
            raise ConfigError(f"the {name} command is unavailable: {AREA_COMMANDS[name]} does not import "
                              f"({type(error).__name__}: {error})")

    return click.Command(name, callback=fail, help=f"(unavailable: {AREA_COMMANDS[name]} does not import)",
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True})


@click.group(cls=HarnessGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="unpuzzle-migration-harness", prog_name="harness")
def main() -> None:
    """Verify and benchmark the Unpuzzle Flask -> Django migration."""


@main.command()
@common_options
def verify(options: CommonOptions) -> None:
    """Start both targets, run every area against them, write reports/<run-id>/<area>.json, and end with the
    scorecard (scorecard.html, .md, .junit.xml, .json; the history).

    Exit 0 when every gate passed, 1 when one failed (an area's or the scorecard's), 2 on a bad setting, 3 when a
    target could not be started or reached."""
    from harness.report.scorecard import scorecard_text, write_scorecard_files
    from harness.scorecard.run import prepare, score

    with harness_errors():
        settings = options.settings()
        prepared = prepare(settings)  # a bad scorecard setting or gates file fails before anything runs
        discover_areas()
        areas = select_areas(settings)
        try:
            with terminal_progress() as progress:
                run, results = run_areas(settings, areas, progress=progress)
        except Interrupted as exc:  # SIGINT/SIGTERM/SIGHUP: everything stopped, partial results written
            raise SystemExit(report.conclude_interrupted(exc, as_json=settings.json)) from None
        code = report.conclude(run, results, as_json=settings.json)
        card, extra = score(prepared, run.out_dir)
        written = write_scorecard_files(run.out_dir, card, extra)
        if not settings.json:
            click.echo(f"{scorecard_text(card)}\nScorecard: {written[0]}")
    raise SystemExit(code or (0 if card.passed else 1))


for _command in (seed, serve, replay):
    main.add_command(_command)


if __name__ == "__main__":
    main()
