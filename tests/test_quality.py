"""The shape of the harness, checked: the lint rule set passes, radon's figures stay within the plan's bounds
(tools/quality.py), the generic harness does not import the bundled apps, no area imports another, and no
area writes report formats (the report package renders every result)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HARNESS = ROOT / "harness"
#: Packages under harness/ that are areas (they hold an area.py); everything else is shared plumbing.
AREAS = sorted(path.parent.name for path in HARNESS.glob("*/area.py"))
#: The areas and the scorecard, which reads what they wrote (their JSON), never their code, and renders nothing.
READERS = [*AREAS, "scorecard"]
BUNDLED_APPS = ("legacy_flask", "reference_django")
#: What writing a report format looks like in source: a JUnit tree, a Markdown table or heading, HTML.
RENDERING = ("ElementTree", "testsuite", "testcase", "|---|", "<html", "# {")


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports (absolute names; relative imports resolved against its package)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def harness_modules() -> list[Path]:
    return sorted(HARNESS.rglob("*.py"))


def test_ruff_passes_on_the_whole_repository():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_every_harness_module_ranks_a_and_no_function_is_too_complex():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "quality.py"), str(HARNESS)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "LOC-weighted mean MI" in done.stdout


def test_the_quality_script_flags_a_module_that_falls_below_its_bounds(tmp_path):
    branches = "\n".join(f"    if x == {n}:\n        return {n}" for n in range(20))
    (tmp_path / "tangled.py").write_text(f"def tangled(x):\n{branches}\n    return -1\n")
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "quality.py"), str(tmp_path)], capture_output=True,
                          text=True)
    assert done.returncode == 1 and "CC above 15" in done.stdout and "tangled (21)" in done.stdout


def test_there_are_areas_to_check():
    assert {"contract", "data"} <= set(AREAS)


@pytest.mark.parametrize("path", harness_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_harness_module_imports_a_bundled_app(path):
    bundled = {name for name in imported_modules(path) if name.split(".")[0] in BUNDLED_APPS}
    assert not bundled, f"{path.relative_to(ROOT)} imports {sorted(bundled)}: the apps are configuration"


@pytest.mark.parametrize("area", READERS)
def test_no_area_imports_another_area(area):
    others = {f"harness.{other}" for other in AREAS if other != area}
    for path in sorted((HARNESS / area).rglob("*.py")):
        crossing = {name for name in imported_modules(path) if any(name == o or name.startswith(o + ".")
                                                                     for o in others)}
        assert not crossing, f"{path.relative_to(ROOT)} imports {sorted(crossing)}"


@pytest.mark.parametrize("area", READERS)
def test_no_area_renders_report_formats(area):
    for path in sorted((HARNESS / area).rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        found = [marker for marker in RENDERING if marker in text]
        assert not found, f"{path.relative_to(ROOT)} renders a report format ({found}): that is harness/report's job"


def test_the_import_checker_sees_relative_and_absolute_imports(tmp_path):
    module = HARNESS / "data" / "cli.py"
    names = imported_modules(module)
    assert "harness.core.command" in names and "harness.data.allowlist" in names


def test_only_the_modules_locust_loads_import_locust_or_gevent():
    """gevent monkey-patches the process that imports it: the harness process must never import locust."""
    importers = sorted(path.relative_to(ROOT).as_posix() for path in harness_modules()
                       if any(name.split(".")[0] in ("locust", "gevent") for name in imported_modules(path)))
    assert importers == ["harness/load/calibration_locustfile.py", "harness/load/recorder.py"]
