"""`harness contract` end to end, in a fresh process as a user runs it: the bundled pair (legacy Flask and the
Django candidate, both in-process on SQLite) passes and prints what it covered; a drifting candidate fails with
exit 1, naming the operation and the field."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.scorecard.runs import score

ROOT = Path(__file__).resolve().parents[3]


def harness(tmp_path: Path, toml: str) -> subprocess.CompletedProcess:
    config = tmp_path / "harness.toml"
    config.write_text(f'out = "{tmp_path / "reports"}"\n' + toml)
    return subprocess.run([sys.executable, "-m", "harness.cli", "contract", "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_the_bundled_pair_passes_and_reports_its_coverage(tmp_path):
    done = harness(tmp_path, '[contract]\nphases = ["examples", "fuzzing"]\nmax_examples = 1\n')
    assert done.returncode == 0, done.stdout + done.stderr
    for needle in ("cases sent", "pairs compared", "operations_exercised", "status_codes_reached",
                   "unexplained differences / failures: 0"):
        assert needle in done.stdout, done.stdout
    latest = tmp_path / "reports" / "latest"
    assert {"contract.json", "contract.junit.xml", "contract.md"} <= {p.name for p in latest.iterdir()}
    # At least 90 % of the documented (operation, status) pairs reached on both apps, the rest listed with reasons.
    result = json.loads((latest / "contract.json").read_text())
    coverage = {m["side"]: m["value"] for m in result["metrics"] if m["id"] == "status_coverage"}
    assert coverage["legacy"] >= 90 and coverage["candidate"] >= 90, coverage
    unreached = [f for f in result["findings"] if f["check"] == "status_unreached"]
    unreached_count = {m["side"]: m["value"] for m in result["metrics"] if m["id"] == "status_codes_unreached"}
    assert len(unreached) == unreached_count["legacy"] + unreached_count["candidate"]
    assert all(f["evidence"]["reason"] for f in unreached)
    assert "not reached on" in (latest / "contract.md").read_text()
    # the merge gate on the scorecard: the contract's rows, filled from this run, pass
    code, rows = score(tmp_path / "reports", None, "--gate", "contract")
    assert code == 0
    assert rows["unexplained_differences"]["status"] == "pass" and rows["unexplained_differences"]["candidate"][
        "value"] == 0
    assert rows["documentation_coverage"]["candidate"]["value"] == 100.0 and rows["area.contract"]["status"] == "pass"


@pytest.mark.slow
def test_a_drifting_candidate_fails_naming_operation_and_field(tmp_path):
    done = harness(tmp_path, '[candidate]\nkind = "wsgi"\napp = "tests.harness.contract.faults:renamed_field_app"\n'
                             '[contract]\nsources = ["postman", "probes"]\ncandidate_conformance = false\n')
    assert done.returncode == 1, done.stdout + done.stderr
    assert "P13 GET /api/v1/user/profile" in done.stdout and "body.data.email" in done.stdout, done.stdout
    # ... and the merge gate on the scorecard fails on the contract row
    code, rows = score(tmp_path / "reports", None, "--gate", "contract")
    assert code == 1 and rows["unexplained_differences"]["status"] == "fail"
