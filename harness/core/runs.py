"""A run: one folder under the reports folder that every area of one `harness` invocation writes into, and what
the run owns until it ends (the process groups it started, the signals that stop it).

Run ids are UTC timestamps to the microsecond (`20251126T093512.123456Z`), so sorting them as text sorts
them by time, which is how `reports/latest` knows which run is the newest.

Signals (DESIGN.md "The command"): while `handle_signals()` is active, SIGINT, SIGTERM and SIGHUP raise
`Interrupted` in the main thread, which unwinds through every cleanup (targets stopped, prepare steps killed);
every process group the run started is also registered here (`track_group`), and whatever is still registered
when the interpreter exits is stopped (the backstop). An interrupted run exits 128 + the signal's number.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .results import RUN_RECORD, AreaResult, ReportsError, point_latest, write_area

RUN_ID_FORMAT = "%Y%m%dT%H%M%S.%fZ"
#: The signals that stop a run, and the exit code each gives (128 + its number, as a shell reports it).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
POLL_INTERVAL_S = 0.05


def _quiet(message: str) -> None:
    """Progress goes nowhere unless the CLI is on a terminal."""


@dataclass(frozen=True, slots=True)
class Run:
    """What every area of one invocation shares: where to write, and the seed the targets were given."""

    run_id: str
    out_dir: Path  # reports/<run-id>
    seed: int
    scale: str
    started: datetime
    #: Long work reports progress here (`run.progress("contract: fuzzing")`); a terminal shows it, CI does not.
    progress: Callable[[str], None] = field(default=_quiet, compare=False, repr=False)
    #: What the user should know about the run as a whole ("candidate is an external service: not seeded"),
    #: printed with the verdict and kept in run.json.
    notes: list[str] = field(default_factory=list, compare=False, repr=False)

    @property
    def root(self) -> Path:
        """The reports folder that holds this run and the `latest` pointer."""
        return self.out_dir.parent

    def path(self, *parts: str) -> Path:
        """A path inside the run's folder (parents created), for an area's evidence files."""
        target = self.out_dir.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def write(self, result: AreaResult) -> Path:
        return write_area(self.out_dir, result)

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def write_record(self, status: str, results: list[AreaResult], *, interrupted: Interrupted | None = None,
                     error: str | None = None, move_latest: bool = False) -> Path:
        """`<run>/run.json`: how the run as a whole ended (`status`: completed | interrupted | error), the areas it
        wrote, its notes and, for an interrupted run, the signal, its exit code and what was going on
        (result.schema.json `$defs/run`)."""
        record: dict[str, Any] = {
            "run_id": self.run_id, "started": self.started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "finished": utc_now_iso(), "status": status, "seed": self.seed, "scale": self.scale,
            "passed": status == "completed" and all(result.passed for result in results),
            "areas": {result.area: ("interrupted" if result.interrupted else "passed" if result.passed else "failed")
                      for result in results},
            "notes": list(self.notes)}
        if interrupted is not None:
            record["interrupted"] = {"signal": interrupted.name, "exit_code": interrupted.exit_code,
                                     "during": interrupted.during}
        if error is not None:
            record["error"] = error
        path = self.out_dir / RUN_RECORD
        try:
            path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
            if move_latest:
                point_latest(self.out_dir)
        except OSError as exc:
            raise ReportsError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path


def new_run(out: Path, *, seed: int, scale: str, now: datetime | None = None,
            progress: Callable[[str], None] = _quiet) -> Run:
    """Create a fresh run folder under `out`; two runs started in the same microsecond still get two folders.

    ReportsError (exit 2, one line) when `out` cannot hold run folders: under a file, in /proc, read-only...
    """
    started = now or datetime.now(UTC)
    try:
        if out.exists() and not out.is_dir():
            raise NotADirectoryError(20, "it is a file, not a folder")
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportsError(f"cannot create the reports folder {out}: {_reason(exc)} (set --out or HARNESS_OUT "
                           f"to a writable folder)") from None
    while True:
        run_id = started.strftime(RUN_ID_FORMAT)
        try:
            (out / run_id).mkdir()
        except FileExistsError:
            started += timedelta(microseconds=1)
            continue
        except OSError as exc:
            raise ReportsError(f"cannot create a run folder in {out}: {_reason(exc)} (set --out or HARNESS_OUT "
                               f"to a writable folder)") from None
        return Run(run_id=run_id, out_dir=(out / run_id).resolve(), seed=seed, scale=scale, started=started,
                   progress=progress)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- signals ------------------------------------------------------------------------------------------------------

class Interrupted(KeyboardInterrupt):
    """A stop signal arrived: raised in the main thread so that every `finally` and exit stack runs on the way
    out. A KeyboardInterrupt, so no `except Exception` in an area swallows it."""

    def __init__(self, signum: int, during: str = "") -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.during = during  # what the run was doing (its last progress message)
        self.run: Run | None = None  # set by run_areas on its way out
        self.results: list[AreaResult] = []

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class _SignalState:
    def __init__(self) -> None:
        self.received: int | None = None  # the first stop signal of the active handle_signals() block
        self.raised = False
        self.deferring = 0  # > 0 inside deferred_signals(): the signal is raised when the block ends
        self.active = 0


_STATE = _SignalState()


def _on_signal(signum: int, frame: Any) -> None:
    if _STATE.received is not None:
        return  # a second signal while the first one's cleanup runs: the cleanup is bounded, let it finish
    _STATE.received = signum
    if not _STATE.deferring:
        _STATE.raised = True
        raise Interrupted(signum)


@contextlib.contextmanager
def handle_signals(signals: tuple[signal.Signals, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Turn the stop signals into `Interrupted` for the duration of the block (main thread only; elsewhere, and
    when already active, the block runs as is). The previous handlers are put back afterwards."""
    if threading.current_thread() is not threading.main_thread() or _STATE.active:
        yield
        return
    previous = {}
    _STATE.received, _STATE.raised, _STATE.active = None, False, 1
    try:
        for sig in signals:
            previous[sig] = signal.signal(sig, _on_signal)
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        _STATE.active = 0
        _STATE.received, _STATE.raised = None, False


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """A critical section (start a process and register it, stop a server): a stop signal arriving inside it
    is raised when it ends, so the section is never left half done."""
    _STATE.deferring += 1
    try:
        yield
    finally:
        _STATE.deferring -= 1
        if not _STATE.deferring:
            raise_if_interrupted()


def received_signal() -> int | None:
    """The stop signal received in the active handle_signals() block, if any."""
    return _STATE.received


def raise_if_interrupted(during: str = "", *, always: bool = False) -> None:
    """Raise `Interrupted` if a stop signal arrived and was not raised yet (it was deferred) or, with `always`
    (the area loop), also when it was raised but swallowed by code that caught KeyboardInterrupt."""
    if _STATE.received is not None and (always or not _STATE.raised):
        _STATE.raised = True
        raise Interrupted(_STATE.received, during)


# -- process groups the run started -------------------------------------------------------------------------------

_GROUPS: dict[int, str] = {}  # process group id -> what it is ("candidate: prepare step", "legacy: server")
_GROUPS_LOCK = threading.Lock()


def track_group(group: int, label: str) -> None:
    """Remember a process group the run started (the leader's pid), so it is stopped even on an exit path that
    skipped its owner's cleanup."""
    with _GROUPS_LOCK:
        _GROUPS[group] = label


def untrack_group(group: int) -> None:
    with _GROUPS_LOCK:
        _GROUPS.pop(group, None)


def tracked_groups() -> dict[int, str]:
    with _GROUPS_LOCK:
        return dict(_GROUPS)


def signal_group(group: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, sig)


def group_alive(group: int) -> bool:
    """Whether a process of the group still runs (zombies waiting for their reaper do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            return True
    return False


def stop_group(process: subprocess.Popen[Any] | None, group: int, grace: float) -> None:
    """SIGTERM to the group, SIGKILL after `grace` seconds; returns when no process of the group is left (the
    leader reaped when it is our child)."""
    signal_group(group, signal.SIGTERM)
    if process is not None:
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            signal_group(group, signal.SIGKILL)
            process.wait()
    # Workers may outlive their leader for a moment; give them the same grace, then kill what is left.
    deadline = time.monotonic() + grace
    while group_alive(group) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S)
    if group_alive(group):
        signal_group(group, signal.SIGKILL)
        deadline = time.monotonic() + 2.0
        while group_alive(group) and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL_S)
    untrack_group(group)


def stop_tracked_groups(grace: float = 2.0) -> list[str]:
    """Stop every process group still registered (the backstop at interpreter exit); what was stopped."""
    stopped = []
    for group, label in tracked_groups().items():
        if group_alive(group):
            stop_group(None, group, grace)
            stopped.append(label)
        untrack_group(group)
    return stopped


atexit.register(stop_tracked_groups)
