"""bandit and the count-aware baseline (harness/security/static.py): a finding keeps its identity when code moves or
is reformatted, a second copy of a baselined finding is new, a fixed one is absent; bandit's own `-b` misses the
second copy, which is why the harness has its own."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.core.errors import ConfigError, TargetError
from harness.core.paths import PROJECT
from harness.security.static import (
    Issue,
    filter_issues,
    judge_baseline,
    load_baseline,
    run_bandit,
    write_baseline,
)

ORIGINAL = '''import subprocess


def deploy(cmd):
    subprocess.call(cmd, shell=True)
'''
SHIFTED = '''"""A module that grew a docstring and a helper above the weakness."""
import subprocess

LIMIT = 3


def helper(value):
    return value * LIMIT


def deploy(cmd):
    # still the same call, reformatted
    subprocess.call( cmd,
                     shell = True )  # noqa
'''
COPY_ELSEWHERE = ORIGINAL + '''

def rollback(cmd):
    subprocess.call(cmd, shell=True)
'''
COPY_LOWER = '''import subprocess


def deploy(cmd):
    subprocess.call(cmd, shell=True)
    print("deployed")
    subprocess.call(cmd, shell=True)
'''
FIXED = '''import subprocess


def deploy(cmd):
    subprocess.call(cmd.split(), shell=False)
'''


def _scan(tmp_path: Path, source: str, name: str = "app") -> list[Issue]:
    root = tmp_path / name
    root.mkdir(exist_ok=True)
    (root / "tasks.py").write_text(source, encoding="utf-8")
    return run_bandit(root, tmp_path / f"{name}.json").issues


def _states(issues: list[Issue], test_id: str = "B602") -> list[str]:
    return sorted(issue.baseline_state for issue in issues if issue.test_id == test_id)


@pytest.fixture
def baseline(tmp_path):
    issues = _scan(tmp_path, ORIGINAL)
    assert [(i.test_id, i.severity, i.scope) for i in issues if i.test_id == "B602"] == [("B602", "HIGH", "deploy")]
    path = tmp_path / "baseline.json"
    write_baseline(path, issues)
    return load_baseline(path)


def test_a_shifted_and_reformatted_finding_stays_unchanged(tmp_path, baseline):
    judged = judge_baseline(_scan(tmp_path, SHIFTED), baseline)

    assert _states(judged) == ["unchanged"]
    assert [i for i in judged if i.baseline_state != "unchanged"] == []
    moved = next(i for i in judged if i.test_id == "B602")
    assert moved.line in (13, 14)  # bandit flags a call spread over lines on its last line


@pytest.mark.parametrize("source", [COPY_ELSEWHERE, COPY_LOWER], ids=["another-function", "same-function-lower"])
def test_a_second_copy_of_a_baselined_finding_is_new(tmp_path, baseline, source):
    judged = judge_baseline(_scan(tmp_path, source), baseline)

    assert _states(judged) == ["new", "unchanged"]
    new = [i for i in judged if i.baseline_state == "new"]
    assert len(new) == 1 and new[0].line in (7, 9)  # the lower copy, in file/line order
    assert "absent" not in _states(judged)


def test_a_removed_finding_is_absent(tmp_path, baseline):
    judged = judge_baseline(_scan(tmp_path, FIXED), baseline)

    assert _states(judged) == ["absent"]
    gone = next(i for i in judged if i.test_id == "B602")
    assert gone.path == "tasks.py" and "shell=True" in gone.code and gone.severity == "HIGH"
    assert _states(judged, "B404") == ["unchanged"]  # the import is still there


def test_without_a_baseline_every_finding_is_new(tmp_path):
    judged = judge_baseline(_scan(tmp_path, COPY_ELSEWHERE), load_baseline(_empty_baseline(tmp_path)))
    assert _states(judged) == ["new", "new"]


def test_bandit_own_baseline_absorbs_a_second_copy(tmp_path):
    """Why the harness has its own baseline: bandit 1.9's `-b` matches without line numbers and by presence."""
    root = tmp_path / "app"
    root.mkdir()
    (root / "tasks.py").write_text(ORIGINAL, encoding="utf-8")
    own = tmp_path / "bandit-baseline.json"
    _bandit(root, "-f", "json", "-o", str(own))
    (root / "tasks.py").write_text(COPY_LOWER, encoding="utf-8")

    report = tmp_path / "report.json"
    _bandit(root, "-b", str(own), "-f", "json", "-o", str(report))
    assert json.loads(report.read_text())["results"] == []  # bandit: nothing new
    ours = judge_baseline(run_bandit(root, tmp_path / "ours.json").issues, _original_baseline(tmp_path))
    assert _states(ours) == ["new", "unchanged"]


def _bandit(root: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "bandit", "-r", str(root), "-q", *args],  # noqa: S603
                          capture_output=True, text=True, check=False)
    assert done.returncode in (0, 1), done.stderr


def _original_baseline(tmp_path: Path):
    path = tmp_path / "ours-baseline.json"
    write_baseline(path, _scan(tmp_path, ORIGINAL, name="original"))
    return load_baseline(path)


def _empty_baseline(tmp_path: Path) -> Path:
    path = tmp_path / "empty.json"
    write_baseline(path, [])
    return path


def test_the_baseline_file_counts_copies(tmp_path):
    path = tmp_path / "baseline.json"
    write_baseline(path, _scan(tmp_path, COPY_LOWER))
    document = json.loads(path.read_text())

    assert document["tool"] == "bandit" and document["format"] == 1
    shell = [f for f in document["findings"] if f["test_id"] == "B602"]
    assert len(shell) == 1 and shell[0]["count"] == 2 and shell[0]["path"] == "tasks.py"
    assert set(shell[0]) >= {"fingerprint", "test_id", "path", "code", "count"}


@pytest.mark.parametrize("text", ["{not json", '{"tool": "semgrep", "format": 1, "findings": []}',
                                  '{"tool": "bandit", "format": 1, "findings": [{"fingerprint": "x"}]}',
                                  '{"tool": "bandit", "format": 1, "findings": [{"fingerprint": "x", "test_id": "B1",'
                                  ' "path": "a.py", "code": "", "count": 0}]}'])
def test_a_malformed_baseline_is_a_config_error_naming_the_file(tmp_path, text):
    path = tmp_path / "broken-baseline.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match="broken-baseline.json"):
        load_baseline(path)


def test_thresholds_keep_issues_at_or_above_both(tmp_path):
    issues = _scan(tmp_path, COPY_ELSEWHERE)  # B404 LOW/HIGH, B602 HIGH/HIGH twice

    assert {i.test_id for i in filter_issues(issues)} == {"B404", "B602"}
    assert [i.test_id for i in filter_issues(issues, severity="high")] == ["B602", "B602"]
    assert [i.test_id for i in filter_issues(issues, severity="MEDIUM", confidence="high")] == ["B602", "B602"]
    with pytest.raises(ConfigError, match="severity"):
        filter_issues(issues, severity="severe")


def test_issues_round_trip_through_json(tmp_path):
    issues = _scan(tmp_path, ORIGINAL)
    again = [Issue.from_dict(json.loads(json.dumps(i.to_dict()))) for i in issues]
    assert again == issues
    shell = next(i for i in again if i.test_id == "B602")
    assert shell.cwe == 78 and shell.more_info.startswith("https://") and shell.path == "tasks.py"


def test_tests_and_migrations_folders_are_excluded_but_a_root_under_tests_is_scanned(tmp_path):
    root = tmp_path / "tests" / "app"
    for folder in ("", "tests", "billing/migrations"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / "tasks.py").write_text(ORIGINAL, encoding="utf-8")

    found = run_bandit(root, tmp_path / "out.json").issues
    assert {(i.path, i.test_id) for i in found} == {("tasks.py", "B404"), ("tasks.py", "B602")}
    everything = run_bandit(root, tmp_path / "all.json", exclude=()).issues
    assert {i.path for i in everything} == {"tasks.py", "tests/tasks.py", "billing/migrations/tasks.py"}


def test_a_bandit_that_cannot_finish_is_a_target_error(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "tasks.py").write_text(ORIGINAL)
    with pytest.raises(TargetError, match="did not finish"):
        run_bandit(tmp_path / "app", tmp_path / "out.json", timeout_s=0.001)
    with pytest.raises(ConfigError, match="not a folder"):
        run_bandit(tmp_path / "missing", tmp_path / "out.json")


def test_a_file_bandit_cannot_parse_is_reported_as_an_error(tmp_path):
    issues_root = tmp_path / "app"
    issues_root.mkdir()
    (issues_root / "broken.py").write_text("def broken(:\n")
    run = run_bandit(issues_root, tmp_path / "out.json")
    assert [e["path"] for e in run.errors] == ["broken.py"] and run.issues == []


def test_the_real_apps_scan_and_parse(tmp_path):
    for app in ("legacy_flask", "reference_django"):
        run = run_bandit(PROJECT / app, tmp_path / f"{app}.json")
        assert run.version.startswith("1.9") and run.totals["loc"] > 1000
        assert all(not i.path.startswith(("/", "tests/")) and "/migrations/" not in i.path for i in run.issues)
        assert all(len(i.fingerprint) == 32 and i.severity in {"LOW", "MEDIUM", "HIGH"} for i in run.issues)
        assert json.loads((tmp_path / f"{app}.json").read_text())["results"] is not None


# -- the rendered reports (harness/report/security_static.py) ------------------------------------------------------

def _stored(tmp_path: Path) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Judged issues as security.json stores them: one new, one unchanged and one absent finding."""
    path = tmp_path / "baseline.json"
    write_baseline(path, _scan(tmp_path, ORIGINAL, name="reference_django"))
    (tmp_path / "reference_django" / "tasks.py").write_text(COPY_LOWER, encoding="utf-8")
    judged = judge_baseline(run_bandit(tmp_path / "reference_django", tmp_path / "now.json").issues,
                            load_baseline(path))
    gone = judge_baseline([], load_baseline(path))
    return ({"candidate": [i.to_dict() for i in judged], "legacy": [i.to_dict() for i in gone]},
            {"candidate": str(tmp_path / "reference_django"), "legacy": str(tmp_path / "legacy_flask")})


def test_the_sarif_has_a_run_per_side_with_fingerprints_and_baseline_states(tmp_path):
    from harness.report.security_static import bandit_sarif

    issues, roots = _stored(tmp_path)
    log = bandit_sarif(issues, roots, "1.9.4")

    assert log["version"] == "2.1.0" and [r["automationDetails"]["id"] for r in log["runs"]] == [
        "bandit/candidate/", "bandit/legacy/"]
    candidate, legacy = log["runs"]
    assert candidate["tool"]["driver"]["name"] == "bandit" and candidate["tool"]["driver"]["version"] == "1.9.4"
    rule = next(r for r in candidate["tool"]["driver"]["rules"] if r["id"] == "B602")
    assert rule["helpUri"].startswith("https://bandit.readthedocs.io/") and rule["properties"]["cwe"] == "CWE-78"
    shell = [r for r in candidate["results"] if r["ruleId"] == "B602"]
    assert sorted(r["baselineState"] for r in shell) == ["new", "unchanged"]
    assert all(r["level"] == "error" for r in shell)
    location = shell[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "reference_django/tasks.py" and location["region"]["startLine"] > 1
    assert shell[0]["partialFingerprints"]["banditFingerprint/v1"] == issues["candidate"][
        [i["test_id"] for i in issues["candidate"]].index("B602")]["fingerprint"]
    assert {r["baselineState"] for r in legacy["results"]} == {"absent"}
    assert all("baselineState" in r for run in log["runs"] for r in run["results"])


def test_the_html_escapes_code_and_counts_by_severity(tmp_path):
    from harness.report.security_static import bandit_html

    issues, roots = _stored(tmp_path)
    issues["candidate"][0] = {**issues["candidate"][0], "code": "7 x = '<script>alert(1)</script>'\n",
                              "text": "<b>bold</b> & more"}
    page = bandit_html(issues, roots, "1.9.4")

    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
    assert "src=" not in page and "href=" not in page and "<link" not in page  # self-contained
    assert "reference_django/tasks.py:7" in page and "B602 subprocess_popen_with_shell_equals_true" in page
    high = sum(1 for i in issues["candidate"] if i["severity"] == "HIGH" and i["baseline_state"] != "absent")
    assert high == 2 and "<td>candidate</td><td>2</td>" in page.replace("\n", "")
