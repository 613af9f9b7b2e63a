"""The candidate's management commands, as the migration paths run them.

    commands = DjangoCommands(manage=("{python}", "-m", "yourapp.manage"), env={"DJANGO_SETTINGS_MODULE": "..."})
    check_runnable(commands)                      # DataInputError (exit 2) when it names nothing that can run
    step = run_step("migrate", commands.migrate(), database_url, commands)

The command and its environment come from the candidate's configuration: the harness names no app. Each step
runs in its own process group with DATABASE_URL set, is stopped on every way out, and is recorded with its
output's tail and the passwords in its URLs hidden.
"""
from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import sqlalchemy as sa

from harness.core.runs import deferred_signals, stop_group, track_group

from .connect import DataInputError


@dataclass(frozen=True, slots=True)
class DjangoCommands:
    """How the candidate's management commands run: `manage` is the argv prefix (`{python}` is this
    interpreter), `env` is added to the environment besides DATABASE_URL."""

    manage: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    cwd: Path | None = None
    timeout_s: float = 900.0

    def argv(self, *args: str) -> list[str]:
        return [part.replace("{python}", sys.executable) for part in self.manage] + list(args)

    def migrate(self) -> list[str]:
        return self.argv("migrate", "--noinput")

    def fake_initial(self) -> list[str]:
        return self.argv("migrate", "--noinput", "--fake-initial")

    def copy(self, legacy_url: str, batch_size: int) -> list[str]:
        return self.argv("copy_legacy_rows", "--from", legacy_url, "--batch-size", str(batch_size))


@dataclass(slots=True)
class StepRun:
    """One command of a path, as it ran (database passwords hidden)."""

    name: str  # migrate | copy | fake-initial
    argv: list[str]
    environment: dict[str, str]  # what the step added to the environment, DATABASE_URL included
    returncode: int
    seconds: float
    output: str  # the tail of stdout and stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def reproduce(self) -> str:
        assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.environment.items())
        return f"{assignments} {shlex.join(self.argv)}"


def run_step(name: str, argv: list[str], database_url: str, commands: DjangoCommands) -> StepRun:
    """Run one command with DATABASE_URL set to `database_url`."""
    added = {**commands.env, "DATABASE_URL": database_url}
    env = {**os.environ, **added}
    started = time.perf_counter()
    with deferred_signals():  # started and registered, or not started at all
        try:
            process = subprocess.Popen(argv, env=env, cwd=commands.cwd, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                                       start_new_session=True)
        except OSError as exc:  # the command itself is wrong (a missing program): bad input, not a failed check
            raise DataInputError(f"cannot run the candidate's manage command `{shlex.join(argv)}`: "
                                 f"{exc.strerror or exc}") from None
        track_group(process.pid, f"data: {name} {shlex.join(argv)}")
    try:  # its own process group, stopped on every way out (an interrupt included): nothing it starts outlives it
        output, _ = process.communicate(timeout=commands.timeout_s)
        code = process.returncode
    except subprocess.TimeoutExpired:
        code, output = -1, f"timed out after {commands.timeout_s:g} s"
    finally:
        with deferred_signals():
            stop_group(process, process.pid, grace=5.0)
    return StepRun(name, [hidden(part) if "://" in part else part for part in argv],
                   {k: hidden(v) if k == "DATABASE_URL" else v for k, v in added.items()}, code,
                   round(time.perf_counter() - started, 3), _tail(output))


# -- is the command runnable? ------------------------------------------------------------------------------------

_PYTHON_FLAGS = ("-u", "-B", "-E", "-s", "-S", "-O", "-OO")


def check_runnable(commands: DjangoCommands, what: str = "the manage command") -> None:
    """DataInputError (exit 2) when `commands.manage` names nothing that can run (`RUNNABLE_CHECKS`). Cheap
    checks only (nothing is started); a command that runs and fails is a finding."""
    argv = commands.argv()
    program, cwd = argv[0], commands.cwd or Path.cwd()
    arguments = [part for part in argv[1:] if part not in _PYTHON_FLAGS]
    for check in RUNNABLE_CHECKS:
        problem = check(program, arguments, cwd)
        if problem:
            raise DataInputError(f"{what} `{' '.join(commands.manage)}`: {problem}")


def _no_program(program: str, arguments: list[str], cwd: Path) -> str | None:
    """A path to a file that is not there or not executable, or a name not on PATH."""
    if os.sep in program or (os.altsep and os.altsep in program):
        path = Path(program) if Path(program).is_absolute() else cwd / program
        return None if path.is_file() and os.access(path, os.X_OK) else f"{program} is not an executable file"
    return None if shutil.which(program) else f"no program {program!r} on PATH"


def _is_python(program: str) -> bool:
    return Path(program).name.startswith("python") or program == sys.executable


def _no_module(program: str, arguments: list[str], cwd: Path) -> str | None:
    """`python -m MODULE` (this interpreter) whose module it cannot find."""
    if not (_is_python(program) and len(arguments) >= 2 and arguments[0] == "-m"):
        return None
    if Path(program).resolve() != Path(sys.executable).resolve() or _module_exists(arguments[1], cwd):
        return None
    return f"no module {arguments[1]!r} for {program}"


def _no_script(program: str, arguments: list[str], cwd: Path) -> str | None:
    """`python X.py` whose script is missing."""
    if _is_python(program) and arguments and arguments[0].endswith(".py") and not (cwd / arguments[0]).is_file():
        return f"no script {arguments[0]}"
    return None


#: What makes a manage command not runnable, checked in this order.
RUNNABLE_CHECKS: tuple[Callable[[str, list[str], Path], str | None], ...] = (_no_program, _no_module, _no_script)


def _module_exists(name: str, cwd: Path) -> bool:
    """Whether `python -m name`, run in `cwd`, finds the module (its parent packages are imported to look)."""
    added = str(cwd) not in sys.path
    if added:
        sys.path.insert(0, str(cwd))
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False
    finally:
        if added:
            sys.path.remove(str(cwd))


# -- small pieces ------------------------------------------------------------------------------------------------

def hidden(url: str) -> str:
    """A database URL with its password hidden (other text as it is)."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
