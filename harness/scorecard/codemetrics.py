"""The scorecard's two code metrics for each app: test coverage (coverage.py, branch) and maintainability (radon MI).

The migration plan asks for "test coverage > 90 %" and "maintainability index > 80"; both come from code tools, not
from traffic, so this module measures them:

    cov = run_coverage(DEFAULT_TEST_COMMANDS["legacy"], source=[DEFAULT_SOURCES["legacy"]], cwd=project_root,
                       out=Path("reports/coverage-legacy.json"))     # runs the app's own tests under coverage
    cov = read_coverage(Path("reports/coverage-legacy.json"))        # or a `.coverage` data file measured earlier
    mi = maintainability(project_root / DEFAULT_SOURCES["legacy"])   # radon MI of every module

`Coverage.percent` is coverage.py's own total (branch-aware when branch data exists; `branch=False` means line
coverage only). `Maintainability` gives radon's MI per module, the SLOC-weighted mean, the five worst modules and
the count of modules per MI band: MI > 80 is stricter than most real code (Flask's own included), so the
distribution says more than the mean.

Nothing here renders: each result is a frozen dataclass whose `to_dict()` is JSON-ready (floats rounded to two
decimals). Bad input (a missing or malformed file, a module radon cannot parse, a test command that crashes or
hangs) raises `ScorecardInputError`: exit code 2 with a one-line message that says what to do.
"""
from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import coverage
from coverage.exceptions import CoverageException
from radon.metrics import mi_rank, mi_visit
from radon.raw import analyze

from harness.scorecard.errors import ScorecardInputError

#: The source folder of each bundled app, relative to the project root (coverage's --source, radon's root).
DEFAULT_SOURCES: dict[str, str] = {"legacy": "legacy_flask", "candidate": "reference_django"}

# tests/api runs every test against both apps: its ids carry the in-process app's kind first (`[flask-sqlite]`) or
# after a leading parameter (`[video-flask-sqlite]`); `[flask-sqlite-django]` is the flask app with a django
# worker. The apps' own folders are matched by name, and the one unparametrized tests/api test checks the
# candidate's cookie parser against legacy's. Checked against `pytest --collect-only`: each expression selects
# exactly that app's 1320 (legacy) or 1508 (candidate) tests, PostgreSQL ones included (skipped without a server).
_LEGACY_TESTS = "legacy_flask or [flask- or -flask-"
_CANDIDATE_TESTS = ("reference_django or [django- or -django- "
                    "or test_the_candidate_reads_any_cookie_header_as_legacy_does")

#: Each app's own test suite, as `run_coverage` takes it (a module run with `-m`, then its arguments), run from the
#: project root. xdist stays on (the project's `-n auto`): run_coverage measures its workers too.
#: Under run_coverage on a 2-core machine (xdist: 2 workers): legacy 1320 tests in about 250 s (96.3 % branch
#: coverage); candidate 1508 tests take more than 300 s (stopped there at 85 %), so allow well over 5 minutes.
DEFAULT_TEST_COMMANDS: dict[str, list[str]] = {
    "legacy": ["pytest", "-q", "-p", "no:cacheprovider", "tests/legacy_flask", "tests/api", "-k", _LEGACY_TESTS],
    "candidate": ["pytest", "-q", "-p", "no:cacheprovider", "tests/reference_django", "tests/api",
                  "-k", _CANDIDATE_TESTS],
}

DEFAULT_EXCLUDE = ("migrations", "tests", "__pycache__")
WORST = 5
# (label, lower bound inclusive, upper bound exclusive); radon's MI lies in 0..100.
MI_BANDS = (("< 20", float("-inf"), 20.0), ("20–50", 20.0, 50.0), ("50–65", 50.0, 65.0), ("65–80", 65.0, 80.0),
            ("≥ 80", 80.0, float("inf")))
MI_TARGET = 80.0

SQLITE_MAGIC = b"SQLite format 3\x00"
# Environment a test run of our own may carry that would change the child's measurement: pytest-cov's
# subprocess hooks, xdist's worker identity, and a parent coverage's subprocess measurement.
_INHERITED_NOISE = ("COV_CORE_", "PYTEST_XDIST_", "COVERAGE_PROCESS_")
# `patch = subprocess` makes coverage measure every Python child (xdist's workers, the apps' servers) and implies
# parallel data files, combined afterwards; without it an xdist run measures only the idle controller.
_RCFILE = "[run]\npatch = subprocess\n"


def _rounded(value: float) -> float:
    return round(value, 2)


# -- maintainability ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModuleMI:
    """One module: its path relative to the measured root (POSIX), radon's MI, MI rank and source lines."""

    path: str
    mi: float
    rank: str
    sloc: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "mi": _rounded(self.mi), "rank": self.rank, "sloc": self.sloc}


@dataclass(frozen=True)
class Maintainability:
    """radon MI over a source tree: every module, the means, the worst five and the spread over MI bands."""

    root: str
    modules: tuple[ModuleMI, ...]
    weighted_mean: float
    mean: float
    median: float
    worst: tuple[ModuleMI, ...]
    bands: tuple[tuple[str, int], ...]
    share_at_least_80: float

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "modules": [module.to_dict() for module in self.modules],
                "weighted_mean": _rounded(self.weighted_mean), "mean": _rounded(self.mean),
                "median": _rounded(self.median), "worst": [module.to_dict() for module in self.worst],
                "bands": [[label, count] for label, count in self.bands],
                "share_at_least_80": _rounded(self.share_at_least_80)}


def maintainability(root: Path, *, exclude: Sequence[str] = DEFAULT_EXCLUDE) -> Maintainability:
    """radon MI of every `*.py` under `root`, skipping paths with a folder or file named in `exclude` (below root)."""
    root = Path(root)
    modules = tuple(measure_module(root, path) for path in python_files(root, exclude))
    return summarize_maintainability(root.as_posix(), modules)


def python_files(root: Path, exclude: Sequence[str]) -> list[Path]:
    if not root.is_dir():
        raise ScorecardInputError(f"source folder {root} does not exist: give the app's source folder, "
                                  f"e.g. {DEFAULT_SOURCES['legacy']}")
    # Only the components below root count, so a root that itself sits under a `tests` folder is still measured.
    found = sorted(path for path in root.rglob("*.py")
                   if path.is_file() and not set(path.relative_to(root).parts) & set(exclude))
    if not found:
        raise ScorecardInputError(f"no Python module in {root} (outside {', '.join(exclude)}): "
                                  "give the app's source folder")
    return found


def measure_module(root: Path, path: Path) -> ModuleMI:
    """radon's MI (comments counted, as `radon mi -s` and tools/quality.py do) and SLOC of one module."""
    try:
        code = path.read_text(encoding="utf-8")
        mi = mi_visit(code, multi=True)
        sloc = analyze(code).sloc
    except SyntaxError as exc:
        raise _unparsable(path, exc.lineno, exc.msg) from None
    except tokenize.TokenError as exc:
        raise _unparsable(path, exc.args[1][0] if len(exc.args) > 1 else None, exc.args[0]) from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise _unparsable(path, line, "not UTF-8") from None
    except (OSError, ValueError) as exc:  # unreadable, or a NUL byte that the parser refuses outright
        raise _unparsable(path, None, str(exc)) from None
    return ModuleMI(path.relative_to(root).as_posix(), mi, mi_rank(mi), sloc)


def _unparsable(path: Path, line: int | None, reason: str) -> ScorecardInputError:
    where = f"{path}:{line}" if line else str(path)
    return ScorecardInputError(f"{where}: radon cannot parse this module ({reason}); fix it or exclude its folder")


def summarize_maintainability(root: str, modules: Sequence[ModuleMI]) -> Maintainability:
    """The figures over measured modules (at least one): means, worst five (ties by path), bands, share ≥ 80."""
    ordered = tuple(sorted(modules, key=lambda module: module.path))
    values = [module.mi for module in ordered]
    bands = tuple((label, sum(low <= value < high for value in values)) for label, low, high in MI_BANDS)
    at_least = sum(value >= MI_TARGET for value in values)
    return Maintainability(
        root=root, modules=ordered, weighted_mean=sloc_weighted_mean(ordered), mean=statistics.fmean(values),
        median=statistics.median(values), worst=tuple(sorted(ordered, key=lambda m: (m.mi, m.path))[:WORST]),
        bands=bands, share_at_least_80=100.0 * at_least / len(values))


def sloc_weighted_mean(modules: Sequence[ModuleMI]) -> float:
    """MI weighted by source lines, so an empty `__init__` (MI 100, 0 SLOC) does not lift the mean; the plain mean
    when every module is empty."""
    total = sum(module.sloc for module in modules)
    if not total:
        return statistics.fmean(module.mi for module in modules)
    return sum(module.mi * module.sloc for module in modules) / total


# -- coverage -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    """coverage.py's totals for one test run; `worst` is the five least covered files as (path, percent)."""

    percent: float
    covered_lines: int
    statements: int
    covered_branches: int
    branches: int
    files: int
    branch: bool
    commit: str | None
    measured_at: str
    data_file: str
    command: str | None
    worst: tuple[tuple[str, float], ...]
    #: The measured test run's exit code (None: not known, a report from elsewhere): 0 every test passed; coverage
    #: of a suite that failed is a measurement of a broken run, which the scorecard shows but does not judge.
    exit_code: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"percent": _rounded(self.percent), "covered_lines": self.covered_lines,
                "statements": self.statements, "covered_branches": self.covered_branches,
                "branches": self.branches, "files": self.files, "branch": self.branch, "commit": self.commit,
                "measured_at": self.measured_at, "data_file": self.data_file, "command": self.command,
                "worst": [[path, _rounded(percent)] for path, percent in self.worst], "exit_code": self.exit_code}


def read_coverage(path: Path) -> Coverage:
    """A coverage.py JSON report (`coverage json`) or data file (`.coverage`), with its `<path>.meta.json` sidecar
    (commit, command, measured_at) when there is one."""
    path = Path(path)
    head = _head(path)
    is_data_file = head.startswith(SQLITE_MAGIC)
    report = _report_from_data_file(path) if is_data_file else _load_json(path, "a coverage.py JSON report")
    sidecar = _read_sidecar(path)
    measured_at = sidecar.get("measured_at") or (_mtime_utc(path) if is_data_file else None)
    return coverage_from_report(report, path, sidecar, measured_at)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise ScorecardInputError(f"coverage file {path} does not exist: measure the app's tests first "
                                  "(run_coverage, or `coverage run --branch -m pytest` then `coverage json`)") from None
    except OSError as exc:
        raise ScorecardInputError(f"cannot read coverage file {path} ({exc.strerror}): "
                                  "give a readable coverage.py JSON report or .coverage file") from None


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ScorecardInputError(f"{path} is not {what} ({_one_line(exc)}): "
                                  f"write it again (`coverage json -o {path}`, or run_coverage)") from None


def _report_from_data_file(path: Path) -> dict[str, Any]:
    # config_file=False: the report must not depend on whichever .coveragerc the reader's directory holds.
    with tempfile.TemporaryDirectory(prefix="harness-coverage-") as tmp:
        target = Path(tmp) / "coverage.json"
        try:
            measured = coverage.Coverage(data_file=str(path), config_file=False)
            measured.load()
            measured.json_report(outfile=str(target))
        except (CoverageException, sqlite3.Error) as exc:
            raise ScorecardInputError(f"cannot report coverage data {path} ({_one_line(exc)}): read it in the "
                                      "checkout where it was measured, or give its `coverage json` report") from None
        return json.loads(target.read_text(encoding="utf-8"))


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = sidecar_path(path)
    if not sidecar.exists():
        return {}
    found = _load_json(sidecar, "a coverage sidecar (JSON with commit, command, measured_at)")
    if not isinstance(found, dict):
        raise ScorecardInputError(f"{sidecar} is not a coverage sidecar (a JSON object with commit, command, "
                                  "measured_at): delete it or measure again")
    return found


def sidecar_path(path: Path) -> Path:
    """`<path>.meta.json`: the commit and command a measurement came from, which coverage.py does not record."""
    return path.with_name(path.name + ".meta.json")


def coverage_from_report(report: Any, path: Path, sidecar: Mapping[str, Any], measured_at: str | None) -> Coverage:
    """The `Coverage` of a parsed coverage.py JSON report (`measured_at` None: the report's own timestamp)."""
    try:
        meta, totals, files = report["meta"], report["totals"], report["files"]
        per_file = sorted(((name, float(data["summary"]["percent_covered"])) for name, data in files.items()),
                          key=lambda item: (item[1], item[0]))
        return Coverage(
            percent=float(totals["percent_covered"]), covered_lines=int(totals["covered_lines"]),
            statements=int(totals["num_statements"]), covered_branches=int(totals.get("covered_branches", 0)),
            branches=int(totals.get("num_branches", 0)), files=len(files),
            branch=bool(meta.get("branch_coverage", False)), commit=sidecar.get("commit"),
            measured_at=str(measured_at or meta.get("timestamp", "")), data_file=str(path),
            command=sidecar.get("command"), worst=tuple(per_file[:WORST]),
            exit_code=sidecar.get("exit_code") if isinstance(sidecar.get("exit_code"), int) else None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ScorecardInputError(f"{path} is not a coverage.py JSON report (bad or missing {_one_line(exc)}): "
                                  f"write one with `coverage json -o {path}`") from None


def run_coverage(command: Sequence[str], *, source: Sequence[str], cwd: Path, out: Path,
                 timeout_s: float = 1800) -> Coverage:
    """Run `python -m <command>` in `cwd` under `coverage run --branch --source <source>`, subprocesses (xdist
    workers) included; write the JSON report to `out` and its sidecar `out.meta.json`; return what they say.

    The child's output goes to stderr. Exit code 0 or 1 (pytest: tests failed) is a measurement; any other code,
    or a run longer than `timeout_s` (its whole process group is killed), is a `ScorecardInputError`.
    """
    if not command:
        raise ScorecardInputError("no test command to measure: give the test runner module and its arguments")
    cwd, out = Path(cwd).resolve(), Path(out).absolute()
    shown = shlex.join(command)
    with tempfile.TemporaryDirectory(prefix="harness-coverage-") as tmp:
        data, rcfile = Path(tmp) / ".coverage", Path(tmp) / "coveragerc"
        rcfile.write_text(_RCFILE, encoding="utf-8")
        argv = [sys.executable, "-m", "coverage", "run", "--rcfile", str(rcfile), "--branch",
                "--source", ",".join(source), "--data-file", str(data), "-m", *command]
        code = run_measured(argv, cwd=cwd, timeout_s=timeout_s, shown=shown)
        out.parent.mkdir(parents=True, exist_ok=True)
        _combine_and_report(data, out, shown)
    meta = {"commit": git_commit(cwd), "command": shown,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "exit_code": code}
    sidecar_path(out).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return read_coverage(out)


def run_measured(argv: Sequence[str], *, cwd: Path, timeout_s: float, shown: str) -> int:
    """Run the coverage child in its own process group (so a timeout stops its xdist workers and servers too)."""
    try:
        # stdout=2: the child's report joins our stderr, leaving our stdout to whatever the caller prints.
        child = subprocess.Popen(argv, cwd=cwd, env=child_environment(os.environ), stdout=2,
                                 start_new_session=True)
    except OSError as exc:
        raise ScorecardInputError(f"cannot start `{shown}` in {cwd} ({exc.strerror}): "
                                  "give an existing project folder") from None
    try:
        code = child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(child)
        raise ScorecardInputError(f"`{shown}` ran longer than {timeout_s:g} s under coverage and was stopped: "
                                  "raise the timeout or measure a smaller suite") from None
    except BaseException:  # Ctrl-C or any failure here must not leave the test suite running unattended
        _kill_group(child)
        raise
    if code not in (0, 1):
        raise ScorecardInputError(f"`{shown}` exited with code {code} under coverage (0 or 1 expected): "
                                  "run it alone to see why")
    return code


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without what an enclosing pytest-cov, xdist worker or coverage run would leak into the child."""
    return {name: value for name, value in environ.items() if not name.startswith(_INHERITED_NOISE)}


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    child.wait()


def _combine_and_report(data: Path, out: Path, shown: str) -> None:
    # Paths in the report are relative to our working directory when under it (coverage.py's rule).
    try:
        combined = coverage.Coverage(data_file=str(data), config_file=False)
        combined.combine(data_paths=[str(data.parent)])
        combined.json_report(outfile=str(out))
    except CoverageException as exc:
        raise ScorecardInputError(f"`{shown}` measured nothing under coverage ({_one_line(exc)}): check the "
                                  "source folders and that the command runs the app's code") from None


def git_commit(cwd: Path) -> str | None:
    """`git rev-parse HEAD` in `cwd`, or None outside a repository (or without git)."""
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _mtime_utc(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
