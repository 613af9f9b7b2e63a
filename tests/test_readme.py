"""The README's examples run as written.

Every fenced `bash` block of README.md is preceded by a marker saying what this test does with it:

    <!-- readme: run -->                      run here, in a scratch copy of the checkout, with no service
    <!-- readme: skip: <why> -->              not run here, with the reason (a service, minutes of work, ...)

A block without a marker fails the test, so a new example is either proven runnable or says why it is not.
"Run" blocks are executed in order, each with `bash -euo pipefail`, in one scratch copy (a later block may use
what an earlier one made, exactly as a reader following the README would), with no database or Redis settings
in the environment. Every command of a run block must exit 0.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARKER = re.compile(r"<!--\s*readme:\s*(run|skip:\s*(?P<why>.+?))\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")
#: Environment a reader may have set that would send the examples to services.
SERVICE_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "RATELIMIT_STORAGE_URL", "B2_BUCKET",
                     "DJANGO_SETTINGS_MODULE")


def readme_blocks(text: str) -> list[tuple[int, str, str | None, str]]:
    """(line number, language, marker, code) of every fenced block; marker is "run", "skip: why" or None."""
    blocks: list[tuple[int, str, str | None, str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opened = FENCE.match(lines[index])
        if not opened or not opened.group(1):
            index += 1
            continue
        previous = next((line for line in reversed(lines[:index]) if line.strip()), "")
        found = MARKER.search(previous)
        marker = None if found is None else ("run" if found.group(1) == "run" else f"skip: {found.group('why')}")
        end = index + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        blocks.append((index + 1, opened.group(1), marker, "\n".join(lines[index + 1:end])))
        index = end + 1
    return blocks


BLOCKS = [block for block in readme_blocks(README.read_text(encoding="utf-8")) if block[1] == "bash"]


def test_every_bash_block_says_whether_it_is_run():
    unmarked = [line for line, _, marker, _ in BLOCKS if marker is None]
    assert not unmarked, f"README.md bash blocks at lines {unmarked} have no <!-- readme: run|skip: why --> marker"
    assert any(marker == "run" for _, _, marker, _ in BLOCKS), "no README example is run"


def test_the_marker_reader_finds_run_skip_and_missing_markers():
    text = ("<!-- readme: run -->\n```bash\necho a\n```\n\n<!-- readme: skip: needs PostgreSQL -->\n"
            "```bash\necho b\n```\ntext\n```bash\necho c\n```\n```yaml\nx: 1\n```\n")
    found = [(marker, code) for _, language, marker, code in readme_blocks(text) if language == "bash"]
    assert found == [("run", "echo a"), ("skip: needs PostgreSQL", "echo b"), (None, "echo c")]


@pytest.fixture(scope="module")
def scratch_checkout(tmp_path_factory) -> Path:
    """A copy of the checkout as a new reader has it: every top-level entry linked, `reports/` empty, and
    `../shared` beside it."""
    base = tmp_path_factory.mktemp("readme")
    checkout = base / ROOT.name
    checkout.mkdir()
    for entry in ROOT.iterdir():
        if entry.name in {"reports", ".git"}:
            continue
        (checkout / entry.name).symlink_to(entry)
    (checkout / "reports").mkdir()
    shared = ROOT.parent / "shared"
    if shared.exists():
        (base / "shared").symlink_to(shared)
    return checkout


@pytest.mark.slow
def test_the_readme_examples_that_need_no_service_run_as_written(scratch_checkout):
    venv = ROOT / ".venv"
    if not (venv / "bin" / "harness").exists():
        pytest.skip("the README's examples call .venv/bin/…; this checkout has no .venv (the quick start makes it)")
    env = {key: value for key, value in os.environ.items()
           if key not in SERVICE_VARIABLES and not key.startswith(("HARNESS_", "PYTEST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    ran = 0
    for line, _, marker, code in BLOCKS:
        if marker != "run":
            continue
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", code], cwd=scratch_checkout, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (f"README.md block at line {line} exited {done.returncode}:\n{code}\n"
                                      f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}")
        assert "Traceback" not in done.stderr, f"README.md block at line {line} printed a traceback"
        ran += 1
    assert ran
