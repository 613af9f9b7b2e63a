"""What every area command shares (DESIGN.md "The command"): the common options, the exit codes, progress on a
terminal only, and the verdict printed once at the end.

    @data.command()
    @common_options
    def rows(options: CommonOptions) -> None:
        with harness_errors():
            settings = options.settings()
            ...
"""
from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from .config import Settings, load_settings
from .errors import HarnessError
from .results import BLOCKING, AreaResult
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


#: A failed area's blocking findings shown under its line (the rest are in <area>.json).
SHOWN_FINDINGS = 3


def verdict(run: Run, results: list[AreaResult], *, as_json: bool, interrupted: Interrupted | None = None) -> int:
    """Print the results (a summary, or JSON on stdout) and return the exit code: 0 all gates passed, 1 not,
    128 + the signal's number for an interrupted run (whose results are partial)."""
    passed = interrupted is None and all(result.passed for result in results)
    if as_json:
        document = {"run_id": run.run_id, "out_dir": str(run.out_dir), "passed": passed,
                    "areas": [result.to_dict() for result in results], "notes": list(run.notes)}
        if interrupted is not None:
            document["interrupted"] = {"signal": interrupted.name, "exit_code": interrupted.exit_code,
                                       "during": interrupted.during}
        click.echo(json.dumps(document, indent=2, default=str))
    else:
        click.echo(f"Run {run.run_id} (seed {run.seed}, scale {run.scale}): {run.out_dir}")
        width = max((len(result.area) for result in results), default=0)
        for result in results:
            blocking = [finding for finding in result.findings if finding.severity in BLOCKING]
            state = ("skipped" if result.skipped else "passed" if result.passed
                     else "INTERRUPTED" if result.interrupted else "FAILED")
            click.echo(f"  {result.area:<{width}}  {state}  {result.duration_s:7.1f} s  {len(result.findings)} "
                       f"findings ({len(blocking)} critical/high)")
            if result.skipped:
                click.echo(f"      {result.skipped}")
            if not result.passed:
                for finding in blocking[:SHOWN_FINDINGS]:
                    message = (finding.message.strip().splitlines() or [finding.id])[0]
                    click.echo(f"      {message[:300]}")
                if len(blocking) > SHOWN_FINDINGS:
                    click.echo(f"      ... and {len(blocking) - SHOWN_FINDINGS} more in {result.area}.json")
        for note in run.notes:
            click.echo(f"Note: {note}")
        failed = [result.area for result in results if not result.passed]
        if interrupted is not None:
            click.echo(f"Interrupted by {interrupted.name} while {interrupted.during}: partial results")
        elif failed:
            click.echo(f"Failed: {', '.join(failed)}")
        else:
            click.echo(f"All {len(results)} area(s) passed.")
    if interrupted is not None:
        return interrupted.exit_code
    return EXIT_OK if passed else EXIT_GATE_FAILED


def interrupted_verdict(exc: Interrupted, *, as_json: bool) -> int:
    """What an interrupted run prints (the partial verdict on stdout, one line on stderr), and its exit code,
    128 + the signal's number. The terminal may be gone (SIGHUP): printing is best effort."""
    with contextlib.suppress(OSError):
        if exc.run is None:
            click.echo(f"Interrupted by {exc.name}: no run folder was written", err=True)
            return exc.exit_code
        verdict(exc.run, exc.results, as_json=as_json, interrupted=exc)
        click.echo(f"Interrupted by {exc.name}: every process the harness started is stopped; partial results in "
                   f"{exc.run.out_dir} (latest points at it)", err=True)
    return exc.exit_code
