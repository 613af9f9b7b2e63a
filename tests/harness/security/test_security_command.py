"""`harness security` end to end: both bundled apps served over TLS by gunicorn, crawled, graded and probed; the
candidate passes every gate while legacy's weaknesses are listed by rule; a copy of the candidate with its
headers stripped, HttpOnly dropped and `alg: none` accepted fails on each; a report from a ZAP run elsewhere is
judged by the same rules file; a second copy of a baselined bandit finding is new."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.harness.scorecard.runs import score

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = Path(__file__).with_name("fixtures") / "zap"
#: The default candidate's environment (the security area lays production's settings over it when it serves it).
CANDIDATE_ENV = "\n".join(('DJANGO_SETTINGS_MODULE = "reference_django.config.settings.base"',
                           'RATELIMIT_ENABLED = "0"', 'REDIS_URL = ""', 'UPLOAD_ROOT = "{target_dir}/uploads"',
                           'PASSWORD_HASH_METHOD = "pbkdf2:sha256:10000"'))

pytestmark = pytest.mark.slow


def harness_security(*args: str, cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", "security", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def result_of(out: Path) -> dict:
    return json.loads((out / "latest" / "security.json").read_text())


def findings(result: dict, **wanted: str) -> list[dict]:
    return [f for f in result["findings"] if all(f["evidence"].get(k) == v or f.get(k) == v
                                                 for k, v in wanted.items())]


def metric(result: dict, name: str, side: str) -> dict:
    return next(m for m in result["metrics"] if m["id"] == name and m["side"] == side)


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("security")
    return harness_security("--out", str(out)), out


def test_the_candidate_passes_every_gate_and_grades_a_plus(bundled):
    done, out = bundled
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    result = result_of(out)
    assert result["passed"] is True
    grade = metric(result, "observatory_score", "candidate")
    assert grade["passed"] is True and grade["value"] >= 100
    assert metric(result, "bandit_new_high", "candidate")["value"] == 0
    assert metric(result, "vulnerable_or_unchecked_packages", "candidate")["value"] == 0
    assert metric(result, "zap_exit_code", "candidate")["value"] in (0, 2)  # no FAIL rule
    probes = metric(result, "probes_refused", "candidate")
    assert probes["value"] == int(probes["target"].split()[-1]) > 100
    assert not [f for f in result["findings"] if f["severity"] in ("critical", "high")]
    assert "security  passed" in done.stdout
    # the scorecard of this run: the security rows filled from security.json and each side's grade.json
    _, rows = score(out)
    grade = rows["security_grade"]
    assert grade["status"] == "pass" and grade["candidate"]["display"].startswith("A+")
    assert grade["legacy"]["display"].startswith("F") and grade["legacy_status"] == "fail"
    assert rows["security_blocking_findings"]["candidate"]["value"] == 0
    assert rows["probes_refused"]["status"] == "pass" and rows["area.security"]["status"] == "pass"


def test_legacys_weaknesses_are_listed_by_rule_and_never_fail_the_gate(bundled):
    done, out = bundled
    result = result_of(out)
    legacy = [f for f in findings(result, side="legacy") if f["check"] in ("zap", "grade")]
    rules = {f["evidence"]["rule"] for f in legacy}
    assert {"10035", "10021", "observatory"} <= rules, rules  # no HSTS, no nosniff, a failing grade
    assert all(f["severity"] == "info" and f["message"].startswith("legacy weakness") for f in legacy)
    assert metric(result, "zap_exit_code", "legacy")["value"] == 1
    assert "legacy weaknesses by rule:" in done.stdout


def test_the_artefacts_are_written_in_the_formats_reviewers_read(bundled):
    from harness.core.results import SCHEMA_PATH

    _, out = bundled
    jsonschema.validate(result_of(out), json.loads(SCHEMA_PATH.read_text()))  # the one result schema
    folder = out / "latest" / "security"
    schema = json.loads((FIXTURES / "traditional-json.schema.json").read_text())
    for side in ("legacy", "candidate"):
        report = json.loads((folder / side / "zap-report.json").read_text())
        jsonschema.validate(report, schema)
        assert report["@programName"] == "ZAP" and report["site"][0]["@ssl"] == "true"
        assert (folder / side / "zap-report.html").read_text().startswith("<!")
        assert json.loads((folder / side / "grade.json").read_text())["grade"]
        assert (folder / side / "bandit.json").is_file()  # bandit's own output
    assert json.loads((folder / "legacy" / "grade.json").read_text())["grade"] == "F"
    sarif = json.loads((folder / "bandit.sarif").read_text())
    states = {r["baselineState"] for run in sarif["runs"] for r in run["results"]}
    assert sarif["version"] == "2.1.0" and states == {"unchanged"}
    zap_sarif = json.loads((folder / "zap.sarif").read_text())
    assert [run["automationDetails"]["id"] for run in zap_sarif["runs"]] == ["zap/legacy/", "zap/candidate/"]
    every = json.loads((folder / "security.sarif").read_text())
    tools = [run["tool"]["driver"]["name"] for run in every["runs"]]
    assert tools.count("bandit") == 2 and tools.count("ZAP") == 2 and "harness security probes" in tools
    assert "<table" in (folder / "bandit.html").read_text() and "A+" in (folder / "grade.html").read_text()
    probes = json.loads((folder / "probes.json").read_text())
    ran = {p["probe"] for p in probes["candidate"]}
    assert {"jwt.alg_none.lower.bearer", "bruteforce.login", "secrets.crawl"} <= ran
    assert all(p["reproduce"].startswith("curl") for p in probes["candidate"] if p["probe"].startswith("jwt."))


def test_a_weakened_copy_of_the_candidate_fails_on_headers_cookies_and_tokens(tmp_path):
    (tmp_path / "harness.toml").write_text(f"""
[candidate]
kind = "wsgi"
app = "tests.harness.security.flawed:weakened()"
prepare = ["{{python}} -m reference_django.manage migrate --noinput"]

[candidate.env]
{CANDIDATE_ENV}

[security]
sides = ["candidate"]
checks = ["passive", "grade", "probes"]
candidate_source = "{ROOT / "reference_django"}"
""")
    done = harness_security("--config", str(tmp_path / "harness.toml"), "--out", str(tmp_path / "out"))
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-3000:]
    result = result_of(tmp_path / "out")
    blocking = [f for f in result["findings"] if f["severity"] in ("critical", "high")]
    rules = {f["evidence"]["rule"] for f in blocking}
    assert {"10035", "10021", "10010"} <= rules, rules  # HSTS, nosniff, HttpOnly: FAIL in the rules file
    assert "observatory" in rules and metric(result, "observatory_score", "candidate")["passed"] is False
    assert any(rule.startswith("jwt.alg_none.") for rule in rules), rules
    assert metric(result, "zap_exit_code", "candidate")["value"] == 1


def test_a_report_from_a_zap_run_elsewhere_is_judged_by_the_same_rules(tmp_path):
    done = harness_security("--check", "passive", "--zap-report", str(FIXTURES / "zap-run-report.json"),
                            "--out", str(tmp_path), "--config", str(_candidate_only(tmp_path)))
    assert done.returncode in (0, 1), done.stderr
    result = result_of(tmp_path)
    alerts = findings(result, check="zap", side="candidate")
    report = json.loads((FIXTURES / "zap-run-report.json").read_text())
    expected = {str(a["pluginid"]) for site in report["site"] for a in site["alerts"]}
    assert {f["evidence"]["rule"] for f in alerts} <= expected and alerts
    code = metric(result, "zap_exit_code", "candidate")["value"]
    assert done.returncode == (1 if code in (1, 3) else 0)


def test_a_malformed_zap_report_is_refused_with_one_line(tmp_path):
    done = harness_security("--check", "passive", "--zap-report", str(FIXTURES / "malformed-report.json"),
                            "--out", str(tmp_path), "--config", str(_candidate_only(tmp_path)))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "malformed-report.json" in done.stderr and "Traceback" not in done.stderr


def _candidate_only(folder: Path) -> Path:
    config = folder / "harness.toml"
    config.write_text('[security]\nsides = ["candidate"]\n')
    return config


def test_one_new_copy_of_a_baselined_bandit_finding_is_reported_as_new(tmp_path):
    """bandit's own baseline (-b) matches by presence and would absorb the second copy (PyCQA/bandit#1467)."""
    from harness.security.static import filter_issues, run_bandit, write_baseline

    source = tmp_path / "reference_django"
    shutil.copytree(ROOT / "reference_django", source, ignore=shutil.ignore_patterns("migrations", "__pycache__"))
    models = source / "common" / "models.py"
    original = models.read_text()
    line = '    cursor.execute(f"DELETE FROM {table} WHERE id = 1")\n'
    models.write_text(original + "\n\ndef _purge(cursor, table):\n" + line)
    # the reviewed state: the baseline holds the app's issues with one copy of that statement
    write_baseline(tmp_path / "bandit-baseline.candidate.json",
                   filter_issues(run_bandit(source, tmp_path / "reviewed.json").issues))
    models.write_text(original + "\n\ndef _purge(cursor, table):\n" + line + line)  # one more copy, same place
    gates = (ROOT / "scenarios" / "security.toml").read_text().replace('block = ["high"]', 'block = ["medium", "high"]')
    (tmp_path / "security.toml").write_text(gates.replace('rules = "zap-rules.tsv"',
                                                          f'rules = "{ROOT / "scenarios" / "zap-rules.tsv"}"'))
    config = tmp_path / "harness.toml"
    config.write_text(f'[security]\nsides = ["candidate"]\nchecks = ["static"]\ncandidate_source = "{source}"\n'
                      f'gates = "{tmp_path / "security.toml"}"\n')

    done = harness_security("--config", str(config), "--out", str(tmp_path / "out"))

    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-2000:]
    issues = findings(result_of(tmp_path / "out"), check="bandit")
    new = [f for f in issues if f["evidence"]["baseline_state"] == "new"]
    assert len(new) == 1 and new[0]["evidence"]["rule"] == "B608" and new[0]["severity"] == "high", new
    assert sum(f["evidence"]["baseline_state"] == "unchanged" for f in issues) == len(issues) - 1
