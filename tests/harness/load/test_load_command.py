"""`harness load` end to end: both bundled apps served by gunicorn, loaded by locust in its own processes, the
figures read back from the recorder's samples, the gates applied; and each gate catching its fault in a copy of
the candidate (faultapps.py), while the faithful pair passes."""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness.scorecard.runs import score

ROOT = Path(__file__).resolve().parents[3]
CANDIDATE_ENV = {"DJANGO_SETTINGS_MODULE": "reference_django.config.settings.base", "RATELIMIT_ENABLED": "0",
                 "REDIS_URL": "", "UPLOAD_ROOT": "{target_dir}/uploads",
                 "PASSWORD_HASH_METHOD": "pbkdf2:sha256:10000"}
#: A short run, for the fault test: few users, think times cut to a tenth, no calibration.
QUICK_PROFILE = """
[profiles.quick]
users = 12
spawn_rate = 12
duration_s = 16
warmup_s = 2
max_requests = 20000
think_scale = 0.1
processes = 1
calibration_s = 0
"""

pytestmark = pytest.mark.slow


def harness_load(*args: str, cwd: Path = ROOT, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "load", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def load_result(out: Path) -> dict:
    return json.loads((out / "latest" / "load.json").read_text())


def figures(result: dict) -> dict[str, dict]:
    return {f["evidence"]["side"]: f["evidence"] for f in result["findings"] if f["check"] == "load_figures"}


def test_the_smoke_profile_passes_on_the_bundled_pair(tmp_path):
    done = harness_load("--profile", "smoke", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = load_result(tmp_path)
    assert result["passed"] is True
    sides = figures(result)
    assert set(sides) == {"legacy", "candidate"}
    for side, evidence in sides.items():
        overall = evidence["overall"]
        assert overall["requests"] > 50 and overall["failures"] == 0, (side, overall)
        assert not evidence["invalid"], (side, evidence["invalid"])
        # the server's own figures came back in Server-Timing
        assert overall["server_p95_ms"] is not None and overall["queries_max"] is not None, side
        assert len(evidence["operations"]) >= 8, (side, sorted(evidence["operations"]))
    assert sides["candidate"]["overall"]["cache_hits"] > 0 and sides["legacy"]["overall"]["cache_hits"] == 0
    gated = {(m["id"], m["side"]): m for m in result["metrics"] if m["target"] is not None}
    assert gated[("p95_ms", "candidate")]["passed"] is True and gated[("p95_ms", "legacy")]["passed"] is None
    # legacy has no response cache: no ratio at all rather than 0 %; the candidate's is shown, not judged by smoke
    assert gated[("cache_hit_ratio", "legacy")]["value"] is None
    assert gated[("cache_hit_ratio", "candidate")]["value"] > 0 and gated[("cache_hit_ratio", "candidate")][
        "passed"] is None
    rows = list(csv.DictReader((tmp_path / "latest" / "load" / "operations.csv").open()))
    assert {row["side"] for row in rows} == {"legacy", "candidate"}
    assert (tmp_path / "latest" / "load" / "candidate_latency.hgrm").read_text().startswith("       Value")
    assert "legacy: 12 users" in done.stdout and "candidate: 12 users" in done.stdout and "All 1 area(s) passed" \
        in done.stdout
    # the scorecard of this run: the load rows filled from load.json, the cache shown but not judged by smoke
    code, rows = score(tmp_path)
    assert code == 0
    for row_id, metric in (("p95_ms", "p95_ms"), ("queries_per_request", "queries_per_request_max")):
        assert rows[row_id]["status"] == "pass", rows[row_id]
        assert rows[row_id]["candidate"]["value"] == gated[(metric, "candidate")]["value"]
        assert rows[row_id]["legacy"]["value"] == gated[(metric, "legacy")]["value"]
    assert rows["cache_hit_ratio"]["status"] == "not measured" and "not judged" in rows["cache_hit_ratio"][
        "candidate"]["note"]


def _fault_config(tmp_path: Path) -> Path:
    (tmp_path / "profiles.toml").write_text(QUICK_PROFILE)
    # the shipped gates, but a generator health that a loaded test machine always meets: this test is about the
    # gates catching the app's faults, not about the generator
    gates = (ROOT / "scenarios" / "gates.toml").read_text()
    gates = gates.replace("added_p95_ms = 10.0", "added_p95_ms = 10000.0").replace("cpu_percent = 80.0",
                                                                                      "cpu_percent = 100.0")
    (tmp_path / "gates.toml").write_text(gates)
    env = "\n".join(f'{name} = "{value}"' for name, value in CANDIDATE_ENV.items())
    config = tmp_path / "harness.toml"
    config.write_text(f"""
[legacy]
kind = "wsgi"
app = "legacy_flask:create_app"
app_config = {{ RATELIMIT_ENABLED = false, REDIS_URL = "", UPLOAD_ROOT = "{{target_dir}}/uploads" }}

[candidate]
kind = "wsgi"
app = "tests.harness.load.faultapps:all_faults()"
prepare = ["{{python}} -m reference_django.manage migrate --noinput"]

[candidate.env]
{env}

[load]
profile = "quick"
profiles = "profiles.toml"
gates = "gates.toml"
sides = ["candidate"]
""")
    return config


def test_each_gate_catches_its_fault_in_a_copy_of_the_candidate(tmp_path):
    done = harness_load("--config", str(_fault_config(tmp_path)), "--out", str(tmp_path / "reports"))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    findings = load_result(tmp_path / "reports")["findings"]
    by_check: dict[str, list[dict]] = {}
    for finding in findings:
        by_check.setdefault(finding["check"], []).append(finding)
    # the N+1: the queries gate names the list endpoint and how many statements it ran
    queries = {f["operation"]: f for f in by_check.get("queries", [])}
    assert set(queries) == {"GET /api/v1/courses"}, by_check.keys()
    assert queries["GET /api/v1/courses"]["evidence"]["queries_max"] > 10
    # the 150 ms sleep: the p95 gate names that operation (and the others stay under the SLO)
    slow = {f["operation"]: f for f in by_check.get("latency_p95", [])}
    assert "GET /api/v1/courses/{course_id}/reviews" in slow, by_check.get("latency_p95")
    assert slow["GET /api/v1/courses/{course_id}/reviews"]["evidence"]["p95_ms"] >= 150
    # one response in twenty is a 500: the error gate fails the run and names operations with their error
    errors = by_check.get("error_rate", [])
    assert errors and any(f["severity"] == "high" for f in errors)
    assert all("500" in json.dumps(f["evidence"]["statuses"]) for f in errors)
    # the course cache switched off: no lookups on the cached reads
    (cache,) = by_check["cache_hit_ratio"]
    assert "no cache lookup" in cache["message"]
    # on the scorecard: the slow endpoint turns the p95 row red and the exit code 1, the N+1 the queries row
    code, rows = score(tmp_path / "reports")
    assert code == 1
    assert rows["p95_ms"]["status"] == "fail" and "operation(s) over the target" in rows["p95_ms"]["candidate"]["note"]
    assert rows["queries_per_request"]["status"] == "fail" and rows["area.load"]["status"] == "fail"


def test_an_unknown_profile_is_one_line_and_exit_2(tmp_path):
    done = harness_load("--profile", "nonesuch", "--out", str(tmp_path))
    assert done.returncode == 2, done.stdout + done.stderr
    message = done.stderr.strip().splitlines()
    assert len(message) == 1 and "nonesuch" in message[0] and "smoke" in message[0], done.stderr


def _processes_mentioning(text: str) -> list[str]:
    """The command lines of live processes whose command line or environment names `text` (a gunicorn of the
    run names its folder in HARNESS_SERVED_SPEC and DATABASE_URL, locust in --csv)."""
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            argv = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            environ = (process / "environ").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in argv or text in environ:
            found.append(argv)
    return found


def test_an_interrupted_load_run_keeps_what_it_measured_and_stops_every_process(tmp_path):
    """SIGTERM while the candidate is under load: legacy's figures are kept in a partial load.json, the run
    exits 143, and no gunicorn or locust process of the run is left."""
    import os
    import signal
    import time

    config = _fault_config(tmp_path)
    config.write_text(config.read_text().replace('app = "tests.harness.load.faultapps:all_faults()"',
                                                 'app = "reference_django.config.wsgi:application"')
                      .replace('sides = ["candidate"]', 'sides = ["legacy", "candidate"]'))
    reports = tmp_path / "reports"
    harness = subprocess.Popen([sys.executable, "-m", "harness.cli", "load", "--config", str(config), "--out",
                                str(reports)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not list(reports.glob("*/load/candidate/run/locust.log")) and time.monotonic() < deadline:
            assert harness.poll() is None, harness.communicate()
            time.sleep(0.5)
        time.sleep(3)  # the candidate's users are running
        harness.send_signal(signal.SIGTERM)
        out, err = harness.communicate(timeout=60)
    finally:
        if harness.poll() is None:
            os.killpg(harness.pid, signal.SIGKILL)
    assert harness.returncode == 143, out.decode()[-2000:] + err.decode()[-2000:]
    result = load_result(reports)
    assert result["interrupted"] == "SIGTERM" and result["passed"] is False
    assert figures(result)["legacy"]["overall"]["requests"] > 0  # what was measured before is kept
    assert _processes_mentioning(str(tmp_path)) == []
