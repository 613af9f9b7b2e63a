"""What every command shares (DESIGN.md "The command"): the common options, the exit codes, one line and its
exit code for a harness error, and progress on a terminal only. The verdict a command prints at the end is
rendered by harness/report.

    @data.command()
    @common_options
    def rows(options: CommonOptions) -> None:
        with harness_errors():
            settings = options.settings()
            ...
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .config import Settings, load_settings
from .errors import ConfigError, HarnessError
from .runs import Interrupted, Run, handle_signals

EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


class CommandError(click.ClickException):
    """A HarnessError on its way out: `Error: <one line>` on stderr and the error's exit code."""

    def __init__(self, error: HarnessError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code


@contextlib.contextmanager
def harness_errors() -> Iterator[None]:
    """Around a command's work: a HarnessError becomes its one line and exit code, and SIGINT, SIGTERM and
    SIGHUP unwind the work (every process it started is stopped on the way out) and exit 128 + the signal.
    Commands that write a run (verify, contract) catch `Interrupted` themselves to write the partial result."""
    try:
        with handle_signals():
            yield
    except HarnessError as exc:
        raise CommandError(exc) from None
    except Interrupted as exc:
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            click.echo(f"Interrupted by {exc.name}: every process the harness started is stopped", err=True)
        raise SystemExit(exc.exit_code) from None


@dataclass(frozen=True, slots=True)
class CommonOptions:
    config: Path | None = None
    legacy: str | None = None
    candidate: str | None = None
    out: Path | None = None
    json: bool = False

    def settings(self) -> Settings:
        """The run's settings: file < environment < these options (ConfigError on a bad one)."""
        return load_settings(self.config, options={"out": self.out, "json": self.json, "legacy": self.legacy,
                                                   "candidate": self.candidate})


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--config, --legacy, --candidate, --out, --json, handed to the command as one `options: CommonOptions`."""
    @functools.wraps(command)
    def wrapper(*args: Any, config: Path | None, legacy: str | None, candidate: str | None, out: Path | None,
                as_json: bool, **kwargs: Any) -> Any:
        options = CommonOptions(config=config, legacy=legacy, candidate=candidate, out=out, json=as_json)
        return command(*args, options=options, **kwargs)

    decorators = [
        click.option("--config", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
                      help="Settings file (default: ./harness.toml, else [tool.harness] in ./pyproject.toml)."),
        click.option("--legacy", metavar="URL|IMPORT",
                     help="The legacy target: a loopback base URL or an import string (module:app)."),
        click.option("--candidate", metavar="URL|IMPORT",
                     help="The candidate target: a loopback base URL or an import string (module:app)."),
        # Any path is taken: one that cannot hold run folders is refused by new_run in one line, as HARNESS_OUT is.
        click.option("--out", type=click.Path(path_type=Path), metavar="DIR",
                     help="Reports folder (default: reports)."),
        click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout."),
    ]
    for decorate in reversed(decorators):
        wrapper = decorate(wrapper)
    return wrapper


def stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


@contextlib.contextmanager
def terminal_progress(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """A status line on stderr while work goes on, on a terminal only: CI logs stay quiet."""
    console = stderr_console() if enabled else None
    if console is None or not console.is_terminal:
        yield lambda message: None
        return
    with console.status("starting", spinner="dots") as status:
        yield lambda message: status.update(message)


def settings_for(options: CommonOptions, *, out: Path | None = None, as_json: bool = False) -> Settings:
    """The run's settings, with a subcommand's own --out and --json over the group's."""
    return dataclasses.replace(options, out=out or options.out, json=as_json or options.json).settings()


def run_area_command(options: CommonOptions, names: tuple[str, ...],
                     before: Callable[[list[Any]], None] | None = None,
                     adjust: Callable[[Settings], Settings] | None = None) -> int:
    """An area's command without a subcommand: those areas on both configured targets, as `harness verify`
    runs them (a run folder, every result and report file in it, the verdict); returns the exit code.
    `before(results)` prints first (the area's summary), on the terminal only; `adjust(settings)` applies the
    command's own options (`harness load --profile`) to the loaded settings."""
    from harness import report

    from .areas import discover_areas, registered_areas, run_areas

    with harness_errors():
        settings = options.settings()
        if adjust is not None:
            settings = adjust(settings)
        discover_areas()
        areas = [area for area in registered_areas() if area.name in names]
        if len(areas) != len(names):
            raise ConfigError(f"the {' and '.join(names)} area is not registered (its area.py failed to import?)")
        try:
            with terminal_progress() as progress:
                run, results = run_areas(settings, areas, progress=progress)
        except Interrupted as exc:  # SIGINT/SIGTERM/SIGHUP: everything stopped, partial results written
            return report.conclude_interrupted(exc, as_json=settings.json)
    return report.conclude(run, results, as_json=settings.json,
                           before=None if before is None else lambda: before(results))


def new_command_run(settings: Settings, progress: Callable[[str], None] | None = None) -> Run:
    """The run folder of a command that runs no area loop (reports/<run-id>/, `latest` moved when written)."""
    from .runs import new_run

    kwargs = {} if progress is None else {"progress": progress}
    return new_run(settings.out, seed=settings.seed, scale=settings.scale, **kwargs)


def finish_result(run: Run, result: Any, *, as_json: bool, text: Callable[[Any], str]) -> int:
    """Write one result and its report files into `run`, print `text(result)` (or the JSON document) and return
    the exit code (0 passed, 1 not)."""
    from harness import report

    path = run.write(result)
    report.write_reports(run.out_dir, [result])
    click.echo(json.dumps(result.to_dict(), indent=2, default=str) if as_json else f"{text(result)}\nResult: {path}")
    return EXIT_OK if result.passed else EXIT_GATE_FAILED
