"""The scorecard's code metrics: radon MI over a source tree and coverage.py figures of a test run.

Expectations come from radon itself (on a tree written here) and from the known source of a tiny project whose
one test takes one branch of an if/else; the coverage runs start a nested pytest (`-n 0`) of that project.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
from radon.metrics import mi_rank, mi_visit
from radon.raw import analyze

from harness.scorecard.codemetrics import (
    DEFAULT_SOURCES,
    DEFAULT_TEST_COMMANDS,
    Coverage,
    ModuleMI,
    child_environment,
    maintainability,
    read_coverage,
    run_coverage,
    summarize_maintainability,
)
from harness.scorecard.errors import ScorecardInputError

PROJECT = Path(__file__).resolve().parents[3]

# -- maintainability ----------------------------------------------------------------------------------------------

SIMPLE = '''"""Greetings."""


def greet(name):
    return "Hello, " + name
'''

MEDIUM = '''"""Prices."""


def total(items, rate):
    subtotal = sum(price * count for price, count in items)
    if subtotal > 100:
        subtotal = subtotal * 0.9
    return round(subtotal * (1 + rate), 2)
'''


def deep_branching(functions: int = 6, depth: int = 7) -> str:
    """Functions of nested ifs with compound conditions: radon ranks this module B (MI about 11)."""
    lines = []
    for number in range(functions):
        lines.append(f"def route_{number}(a, b, c):")
        for level in range(depth):
            indent = "    " * (level + 1)
            lines.append(f"{indent}if a > {level} and b < {level * 3} or c == {number}:")
            lines.append(f"{indent}    a = a * {level + 2} + b - c")
        lines.append("    " * (depth + 1) + "return a + b * c")
        lines.append("    return -1\n")
    return "\n".join(lines)


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def app_tree(tmp_path) -> Path:
    # Under a folder named `tests`: only components below the root may exclude a module.
    return write_tree(tmp_path / "tests" / "app", {
        "__init__.py": "", "simple.py": SIMPLE, "pricing/medium.py": MEDIUM, "complex.py": deep_branching(),
        "migrations/0001_initial.py": deep_branching(8, 8), "tests/test_simple.py": "def test_x():\n    pass\n",
    })


def expected_module(root: Path, relative: str) -> tuple[str, float, str, int]:
    code = (root / relative).read_text(encoding="utf-8")
    mi = mi_visit(code, multi=True)
    return relative, mi, mi_rank(mi), analyze(code).sloc


def test_every_module_has_radons_mi_and_excluded_folders_are_skipped(app_tree):
    found = maintainability(app_tree)
    expected = [expected_module(app_tree, name)
                for name in ("__init__.py", "complex.py", "pricing/medium.py", "simple.py")]
    assert [(m.path, m.mi, m.rank, m.sloc) for m in found.modules] == expected
    assert found.root == app_tree.as_posix()


def test_the_deeply_branching_module_is_the_worst_and_ranks_low(app_tree):
    found = maintainability(app_tree)
    measured = sorted((expected_module(app_tree, m.path) for m in found.modules), key=lambda m: (m[1], m[0]))
    assert [module.path for module in found.worst] == [path for path, *_ in measured], "lowest MI first"
    assert found.worst[0].path == "complex.py"
    assert found.worst[0].rank in ("B", "C") and found.worst[0].mi < 20


def test_the_means_weigh_by_source_lines_and_leave_out_empty_modules(app_tree):
    found = maintainability(app_tree)
    measured = [expected_module(app_tree, m.path) for m in found.modules]
    weighted = sum(mi * sloc for _, mi, _, sloc in measured) / sum(sloc for _, _, _, sloc in measured)
    assert found.weighted_mean == pytest.approx(weighted)
    assert found.mean == pytest.approx(statistics.fmean(mi for _, mi, _, _ in measured))
    assert found.median == pytest.approx(statistics.median(mi for _, mi, _, _ in measured))
    empty = next(m for m in found.modules if m.path == "__init__.py")
    assert empty.sloc == 0 and empty.mi == 100.0, "listed, but it weighs nothing"
    assert found.weighted_mean < found.mean, "the big complex module pulls the weighted mean down"


def test_bands_and_share_count_the_radon_figures(app_tree):
    found = maintainability(app_tree)
    values = [mi for _, mi, _, _ in (expected_module(app_tree, m.path) for m in found.modules)]
    limits = [("< 20", -1, 20), ("20–50", 20, 50), ("50–65", 50, 65), ("65–80", 65, 80), ("≥ 80", 80, 101)]
    assert found.bands == tuple((label, sum(low <= v < high for v in values)) for label, low, high in limits)
    assert found.share_at_least_80 == pytest.approx(100 * sum(v >= 80 for v in values) / len(values))


def test_the_exclusions_can_be_changed(app_tree):
    found = maintainability(app_tree, exclude=("tests",))
    assert "migrations/0001_initial.py" in [m.path for m in found.modules]
    assert found.worst[0].path == "migrations/0001_initial.py"


def test_band_edges_belong_to_the_band_above():
    modules = [ModuleMI(f"m{i}.py", mi, mi_rank(mi), 10) for i, mi in enumerate([19.99, 20.0, 49.99, 50.0, 65.0,
                                                                                   79.99, 80.0, 100.0])]
    found = summarize_maintainability("src", modules)
    assert found.bands == (("< 20", 1), ("20–50", 2), ("50–65", 1), ("65–80", 2), ("≥ 80", 2))
    assert found.share_at_least_80 == 25.0


def test_the_worst_five_break_ties_by_path():
    modules = [ModuleMI(name, mi, mi_rank(mi), 5) for name, mi in
               [("z.py", 30.0), ("a.py", 30.0), ("m.py", 10.0), ("b.py", 90.0), ("c.py", 60.0), ("d.py", 70.0)]]
    found = summarize_maintainability("src", modules)
    assert [m.path for m in found.worst] == ["m.py", "a.py", "z.py", "c.py", "d.py"]
    assert [m.path for m in found.modules] == ["a.py", "b.py", "c.py", "d.py", "m.py", "z.py"]


def test_a_tree_of_empty_modules_weighs_by_the_plain_mean(tmp_path):
    found = maintainability(write_tree(tmp_path, {"__init__.py": "", "b.py": "# only a comment\n"}))
    assert found.weighted_mean == found.mean == 100.0


def test_to_dict_is_json_ready_and_rounded(app_tree):
    shown = maintainability(app_tree).to_dict()
    assert json.loads(json.dumps(shown)) == shown
    assert shown["bands"][0] == ["< 20", 1]
    assert shown["worst"][0]["path"] == "complex.py"
    assert all(module["mi"] == round(module["mi"], 2) for module in shown["modules"])
    assert shown["weighted_mean"] == round(shown["weighted_mean"], 2)


def test_a_module_radon_cannot_parse_names_file_and_line(app_tree):
    (app_tree / "broken.py").write_text("import os\n\ndef f(:\n    pass\n", encoding="utf-8")
    with pytest.raises(ScorecardInputError) as raised:
        maintainability(app_tree)
    message = str(raised.value)
    assert f"{app_tree / 'broken.py'}:3:" in message and "\n" not in message


@pytest.mark.parametrize("make_root", [lambda tmp: tmp / "absent",
                                       lambda tmp: write_tree(tmp / "src", {"migrations/0001.py": "x = 1\n",
                                                                            "README.md": "no code"})],
                         ids=["missing-root", "no-python-outside-exclusions"])
def test_a_root_without_modules_is_an_input_error(tmp_path, make_root):
    root = make_root(tmp_path)
    with pytest.raises(ScorecardInputError, match=str(root)) as raised:
        maintainability(root)
    assert raised.value.exit_code == 2 and "\n" not in str(raised.value)


def test_the_legacy_app_measures_within_range():
    found = maintainability(PROJECT / DEFAULT_SOURCES["legacy"])
    values = [module.mi for module in found.modules]
    assert len(found.modules) > 10
    assert all(0 <= mi <= 100 for mi in values)
    assert min(values) <= found.weighted_mean <= max(values)
    assert found.worst[0].mi == min(values) and len(found.worst) == 5
    assert sum(count for _, count in found.bands) == len(found.modules)
    assert not any(part in ("migrations", "tests") for m in found.modules for part in m.path.split("/"))


# -- coverage -----------------------------------------------------------------------------------------------------

SIGN = '''def sign(x):
    if x >= 0:
        return "+"
    else:
        return "-"
'''
# Statements: `def`, `if`, and the two returns (`else:` is not one). The test below calls sign(1): `def` (at
# import), `if` and `return "+"` run, and of the if's two branches one is taken.
STATEMENTS, COVERED_LINES, BRANCHES, COVERED_BRANCHES = 4, 3, 2, 1
BRANCH_PERCENT = 100 * (COVERED_LINES + COVERED_BRANCHES) / (STATEMENTS + BRANCHES)
LINE_PERCENT = 100 * COVERED_LINES / STATEMENTS

TEST_SIGN = '''import os

from pkg.sign import sign


def test_positive():
    # A leak of the enclosing run's pytest-cov or xdist settings stops here, before sign() runs.
    assert "COV_CORE_SOURCE" not in os.environ and os.environ.get("PYTEST_XDIST_WORKER") != "gw-leaked"
    assert sign(1) == "+"
'''

SLEEPER = '''import pathlib
import subprocess
import sys
import time

child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
pathlib.Path("grandchild.pid").write_text(str(child.pid))
time.sleep(60)
'''

PYTEST = ["pytest", "-q", "-n", "0", "-p", "no:cacheprovider"]


def new_project(root: Path) -> Path:
    return write_tree(root / "project", {"pytest.ini": "[pytest]\n", "pkg/__init__.py": "", "pkg/sign.py": SIGN,
                                         "test_sign.py": TEST_SIGN, "sleeper.py": SLEEPER})


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    # The nested pytest must not pick up this suite's Django settings or options.
    for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS"):
        monkeypatch.delenv(name, raising=False)
    return new_project(tmp_path)


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> tuple[Path, Path, Coverage]:
    """One coverage run of the tiny project in a git repository, with what an enclosing pytest-cov / xdist run
    leaves in the environment (it must not reach the child): shared by the tests that read its files."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS"):
            patch.delenv(name, raising=False)
        project = new_project(tmp_path_factory.mktemp("measured"))
        git(project, "init", "-q")
        git(project, "add", ".")
        git(project, "commit", "-q", "-m", "tiny project")
        patch.setenv("COV_CORE_SOURCE", str(project))
        patch.setenv("PYTEST_XDIST_WORKER", "gw-leaked")
        out = project / "reports" / "coverage" / "cov.json"
        return project, out, run_coverage([*PYTEST, "test_sign.py"], source=["pkg"], cwd=project, out=out)


def child_env() -> dict[str, str]:
    return {name: value for name, value in os.environ.items()
            if not name.startswith(("COV_CORE_", "PYTEST_XDIST_", "COVERAGE_PROCESS_"))}


def git(project: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args], cwd=project,
                          capture_output=True, text=True, check=True, env={**child_env(), "GIT_CONFIG_NOSYSTEM": "1"})
    return done.stdout.strip()


def assert_one_branch_of_two(found: Coverage) -> None:
    assert (found.statements, found.covered_lines, found.branches, found.covered_branches) == (
        STATEMENTS, COVERED_LINES, BRANCHES, COVERED_BRANCHES)
    assert found.branch is True
    assert found.percent == pytest.approx(BRANCH_PERCENT)
    assert found.files == 2, "pkg/__init__.py and pkg/sign.py; the test file is outside --source"
    assert [Path(path).name for path, _ in found.worst] == ["sign.py", "__init__.py"]
    assert [percent for _, percent in found.worst] == pytest.approx([BRANCH_PERCENT, 100.0])


def test_run_coverage_measures_the_branch_the_tests_take(measured):
    project, out, found = measured
    command = [*PYTEST, "test_sign.py"]
    assert_one_branch_of_two(found)
    assert Path(found.worst[0][0]).resolve() == (project / "pkg" / "sign.py").resolve()
    assert found.commit == git(project, "rev-parse", "HEAD")
    assert found.command == shlex.join(command) and found.data_file == str(out)
    assert datetime.fromisoformat(found.measured_at).utcoffset().total_seconds() == 0
    assert json.loads(out.read_text())["totals"]["percent_covered"] == pytest.approx(BRANCH_PERCENT)
    sidecar = json.loads((out.parent / "cov.json.meta.json").read_text())
    assert sidecar == {"commit": found.commit, "command": found.command, "measured_at": found.measured_at,
                       "exit_code": 0}
    assert found.exit_code == 0


@pytest.mark.slow
def test_xdist_workers_are_measured(project, tmp_path):
    # The bundled apps' suites run under xdist: the tests execute in worker processes, not in the controller.
    found = run_coverage(["pytest", "-q", "-n", "1", "-p", "no:cacheprovider", "test_sign.py"], source=["pkg"],
                         cwd=project, out=tmp_path / "c.json")
    assert_one_branch_of_two(found)


def test_failing_tests_still_measure(project, tmp_path):
    (project / "test_negative.py").write_text(
        "from pkg.sign import sign\n\n\ndef test_negative():\n    assert sign(-1) == '+'\n", encoding="utf-8")
    found = run_coverage([*PYTEST, "test_negative.py"], source=["pkg"], cwd=project, out=tmp_path / "c.json")
    assert (found.covered_lines, found.covered_branches) == (COVERED_LINES, COVERED_BRANCHES)
    assert found.commit is None, "not a git repository"
    assert found.exit_code == 1, "the failing suite is recorded with the measurement"


def test_a_json_report_without_sidecar_reads_alone(measured, tmp_path):
    _, out, _ = measured
    alone = tmp_path / "copy.json"
    shutil.copy(out, alone)
    found = read_coverage(alone)
    assert_one_branch_of_two(found)
    assert (found.commit, found.command) == (None, None)
    assert found.measured_at == json.loads(alone.read_text())["meta"]["timestamp"]


@pytest.mark.parametrize("branch", [True, False], ids=["branch", "line-only"])
def test_read_coverage_builds_the_report_from_a_data_file(project, tmp_path, branch):
    data = tmp_path / ".coverage"
    subprocess.run([sys.executable, "-m", "coverage", "run", *(["--branch"] if branch else []), "--source", "pkg",
                    "--data-file", str(data), "-m", *PYTEST, "test_sign.py"],
                   cwd=project, env=child_env(), check=True, capture_output=True)
    found = read_coverage(data)
    if branch:
        assert_one_branch_of_two(found)
    else:
        assert (found.branch, found.branches, found.covered_branches) == (False, 0, 0)
        assert (found.statements, found.covered_lines) == (STATEMENTS, COVERED_LINES)
        assert found.percent == pytest.approx(LINE_PERCENT)
    assert found.commit is None and found.data_file == str(data)
    assert datetime.fromisoformat(found.measured_at).utcoffset().total_seconds() == 0, "the data file's time"


def test_to_dict_is_json_ready(measured):
    shown = measured[2].to_dict()
    assert json.loads(json.dumps(shown)) == shown
    assert shown["percent"] == round(BRANCH_PERCENT, 2) and shown["worst"][0][1] == round(BRANCH_PERCENT, 2)
    assert (shown["statements"], shown["branches"], shown["branch"]) == (STATEMENTS, BRANCHES, True)


def sqlite_garbage(path: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + b"\x07" * 200)


@pytest.mark.parametrize("write", [
    None,
    lambda path: path.write_text("{not json", encoding="utf-8"),
    lambda path: path.write_text('{"totals": {"percent_covered": 50}}', encoding="utf-8"),
    lambda path: path.write_text("[1, 2]", encoding="utf-8"),
    sqlite_garbage,
], ids=["missing", "garbage-json", "json-not-a-report", "json-list", "garbage-sqlite"])
def test_an_unreadable_coverage_file_says_what_to_do(tmp_path, write):
    path = tmp_path / "coverage.json"
    if write:
        write(path)
    with pytest.raises(ScorecardInputError) as raised:
        read_coverage(path)
    message = str(raised.value)
    assert str(path) in message and "\n" not in message and ":" in message


def test_a_malformed_sidecar_is_an_error(measured, tmp_path):
    out = tmp_path / "c.json"
    shutil.copy(measured[1], out)
    (tmp_path / "c.json.meta.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ScorecardInputError, match="c.json.meta.json"):
        read_coverage(out)


def test_a_command_that_exits_4_is_an_error_naming_it(project, tmp_path):
    command = ["pytest", "-p", "no:cacheprovider", "--no-such-option"]
    with pytest.raises(ScorecardInputError) as raised:
        run_coverage(command, source=["pkg"], cwd=project, out=tmp_path / "c.json")
    message = str(raised.value)
    assert shlex.join(command) in message and "code 4" in message and "\n" not in message
    assert not (tmp_path / "c.json").exists()


def test_a_timeout_kills_the_whole_process_group(project, tmp_path):
    started = time.monotonic()
    with pytest.raises(ScorecardInputError, match=r"`sleeper` ran longer than 3 s"):
        run_coverage(["sleeper"], source=["pkg"], cwd=project, out=tmp_path / "c.json", timeout_s=3)
    assert time.monotonic() - started < 10
    grandchild = int((project / "grandchild.pid").read_text())
    deadline = time.monotonic() + 5
    while alive(grandchild):
        assert time.monotonic() < deadline, "the sleeper's own child survived the timeout"
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running, that is: neither gone nor a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_the_child_environment_drops_inherited_measurement_settings():
    inherited = {"PATH": "/usr/bin", "COVERAGE_CORE": "sysmon", "COV_CORE_SOURCE": "legacy_flask",
                 "COV_CORE_DATAFILE": ".coverage", "PYTEST_XDIST_WORKER": "gw1", "PYTEST_XDIST_TESTRUNUID": "abc",
                 "COVERAGE_PROCESS_START": "/tmp/rc", "COVERAGE_PROCESS_CONFIG": "{}"}
    assert child_environment(inherited) == {"PATH": "/usr/bin", "COVERAGE_CORE": "sysmon"}


def collect(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-m", *args, "--collect-only", "-n", "0"], cwd=PROJECT, env=child_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


def owner(test: str) -> str:
    """Which app a test exercises: its folder's, or in tests/api the app in the test's own process, the first
    kind its parameters name (`[video-flask-sqlite]`, `[flask-sqlite-django]` with a django worker)."""
    for side, folder in DEFAULT_SOURCES.items():
        if test.startswith(f"tests/{folder}/"):
            return side
    if not test.endswith("]"):
        return "candidate" if "candidate" in test else "unknown"
    kinds = [part for part in test[test.index("[") + 1:-1].split("-") if part in ("flask", "django")]
    return {"flask": "legacy", "django": "candidate"}[kinds[0]]


@pytest.fixture(scope="module")
def every_app_test() -> set[str]:
    return collect("pytest", "-q", "-p", "no:cacheprovider", "tests/legacy_flask", "tests/reference_django",
                   "tests/api")


@pytest.mark.slow
@pytest.mark.parametrize("side", ["legacy", "candidate"])
def test_default_commands_select_exactly_each_apps_own_tests(side, every_app_test):
    command = DEFAULT_TEST_COMMANDS[side]
    assert command[0] == "pytest" and "-n" not in command, "the project's xdist stays on"
    assert (PROJECT / DEFAULT_SOURCES[side]).is_dir()
    assert all(owner(test) != "unknown" for test in every_app_test)
    selected = collect(*command)
    assert selected == {test for test in every_app_test if owner(test) == side}
