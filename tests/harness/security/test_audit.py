"""The dependency audit (harness/security/audit.py): an advisory that covers an installed version is found with its
fixed version, one that does not stays silent, and whatever could not be checked is reported as unchecked, never as a
pass. Advisories are made up (fixtures/audit/osv); the bundled PyPA snapshot is audited once for real."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.security.audit import (
    BUNDLED,
    CANDIDATE_ROOTS,
    Installed,
    OsvDatabase,
    audit,
    cvss3_score,
    pip_audit_result,
    requirement_closure,
)

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
OSV = FIXTURES / "osv"
TODAY = dt.date(2024, 8, 14)


def _found(name: str, version: str, db: OsvDatabase | None = None) -> list[str]:
    result = audit([Installed(name, version)], db or OsvDatabase(OSV), today=TODAY)
    assert not result.unchecked
    return sorted(v.id for v in result.vulnerable)


def test_an_advisory_covering_the_installed_version_is_found_with_its_fix():
    result = audit([Installed("demo-widgets", "1.2.0"), Installed("Django", "5.2.1")], OsvDatabase(OSV), today=TODAY)

    assert [(v.name, v.version, v.id) for v in result.vulnerable] == [("demo-widgets", "1.2.0", "DEMO-2024-1")]
    found = result.vulnerable[0]
    assert found.fixed_versions == ("1.4.2",)
    assert found.aliases == ("CVE-2099-0001", "GHSA-demo-demo-0001")
    assert found.summary == "Remote code execution in demo-widgets templates"
    assert found.severity == "critical"  # its CVSS 3.1 vector scores 9.8
    assert not result.passed


@pytest.mark.parametrize("version", ["1.4.2", "1.5", "2.1.1", "2.2"])
def test_a_version_past_the_fix_or_the_last_affected_one_is_silent(version):
    assert _found("demo-widgets", version) == []


@pytest.mark.parametrize("version", ["2.0", "2.0.5", "2.1.0"])
def test_last_affected_includes_its_own_version(version):
    assert _found("demo-widgets", version) == ["DEMO-2024-2"]


def test_a_json_advisory_names_its_package_in_any_spelling_and_keeps_its_label():
    result = audit([Installed("Demo.Widgets", "2.1.0")], OsvDatabase(OSV), today=TODAY)
    assert [(v.id, v.severity, v.fixed_versions) for v in result.vulnerable] == [("DEMO-2024-2", "medium", ())]
    assert result.vulnerable[0].summary == "Header injection in demo-widgets 2.x, up to and including 2.1.0."


def test_an_explicit_versions_list_counts():
    assert _found("demo-widgets", "3.0.0rc1") == ["DEMO-2024-4"]
    assert _found("demo-widgets", "3.0.0") == []


def test_a_withdrawn_advisory_is_silent():
    # 9.0 is covered only by DEMO-2024-3, which was withdrawn
    assert _found("demo-widgets", "9.0") == []


def test_events_out_of_version_order_are_evaluated_in_version_order():
    assert _found("demo-sorted", "5.0.3") == ["DEMO-2024-5"]
    assert _found("demo-sorted", "4.2.3") == ["DEMO-2024-5"]
    assert _found("demo-sorted", "4.2.15") == []
    assert _found("demo-sorted", "4.9") == []
    assert _found("demo-sorted", "5.0.8") == []


def test_an_unrated_advisory_counts_as_high_and_the_folder_name_is_pep503():
    result = audit([Installed("Other_Pkg", "1.5")], OsvDatabase(OSV), today=TODAY)
    assert [(v.id, v.severity, v.summary) for v in result.vulnerable] == [
        ("DEMO-2024-6", "high", "No summary and no severity here.")]


def test_a_package_without_advisories_is_checked_and_silent():
    result = audit([Installed("flask", "3.1.0")], OsvDatabase(OSV), today=TODAY)
    assert result.passed and [p.name for p in result.checked] == ["flask"] and not result.vulnerable


@pytest.mark.parametrize("make", ["missing", "empty", "no-advisory-files"])
def test_a_missing_or_empty_database_leaves_every_package_unchecked(tmp_path, make):
    path = tmp_path / "advisories"
    if make != "missing":
        (path / "vulns").mkdir(parents=True)
    if make == "no-advisory-files":
        (path / "vulns" / "flask").mkdir()
        (path / "vulns" / "flask" / "notes.txt").write_text("nothing")
    packages = [Installed("flask", "3.1.0"), Installed("demo-widgets", "1.2.0")]

    result = audit(packages, OsvDatabase(path), today=TODAY)

    assert not result.passed and not result.checked and not result.vulnerable
    assert [(u.name, u.version) for u in result.unchecked] == [("flask", "3.1.0"), ("demo-widgets", "1.2.0")]
    assert all("no advisory data" in u.reason for u in result.unchecked)
    assert result.data_date is None and "date unknown" in result.data_line


def test_a_version_that_cannot_be_compared_is_unchecked():
    result = audit([Installed("demo-widgets", "not-a-version"), Installed("flask", "3.1.0")], OsvDatabase(OSV),
                   today=TODAY)
    assert [(u.name, "cannot be compared" in u.reason) for u in result.unchecked] == [("demo-widgets", True)]
    assert [p.name for p in result.checked] == ["flask"] and not result.passed


def test_an_unreadable_advisory_leaves_its_package_unchecked(tmp_path):
    shutil.copytree(OSV, tmp_path / "osv")
    (tmp_path / "osv" / "vulns" / "demo-widgets" / "DEMO-2024-9.yaml").write_text("id: [unclosed\n")
    result = audit([Installed("demo-widgets", "1.5"), Installed("other-pkg", "2.5")], OsvDatabase(tmp_path / "osv"),
                   today=TODAY)
    assert [u.name for u in result.unchecked] == ["demo-widgets"] and "DEMO-2024-9" in result.unchecked[0].reason
    assert [p.name for p in result.checked] == ["other-pkg"]


def test_the_audit_says_how_old_its_data_is():
    db = OsvDatabase(OSV)
    result = audit([Installed("flask", "3.1.0")], db, today=dt.date(2024, 8, 14))

    assert db.data_date == dt.date(2024, 7, 20)  # the newest `modified`, the withdrawn one's is older
    assert result.data_age_days == 25
    assert result.data_line == "advisories as of 2024-07-20, 25 days old"
    assert result.to_dict()["data_date"] == "2024-07-20"


def test_the_closure_follows_runtime_requirements_extras_and_reports_what_is_missing():
    installed, unchecked = requirement_closure(["Flask", "django-storages[s3]", "harness-no-such-package"])
    names = {p.name.lower(): p for p in installed}

    assert {"flask", "werkzeug", "jinja2", "markupsafe", "django", "boto3", "botocore"} <= set(names)
    assert names["werkzeug"].required_by == "Flask" and names["flask"].required_by is None
    assert [(u.name, u.reason) for u in unchecked] == [("harness-no-such-package", "not installed")]
    without_extra, _ = requirement_closure(["django-storages"])
    assert "boto3" not in {p.name.lower() for p in without_extra}


def test_the_bundled_snapshot_audits_the_candidate_and_knows_its_date():
    installed, unchecked = requirement_closure(CANDIDATE_ROOTS)
    db = OsvDatabase(BUNDLED)
    result = audit(installed, db, today=dt.date(2024, 10, 20), unchecked=unchecked)

    assert {"django", "djangorestframework", "psycopg-binary", "boto3"} <= {p.name.lower() for p in installed}
    assert result.data_date == dt.date(2024, 10, 10) and result.data_age_days == 10
    assert len(result.checked) + len(result.unchecked) >= len(installed)
    # the real data's events are out of order too: Django 5.0.3 is covered by PYSEC-2024-70 (fixed in 5.0.8)
    old = audit([Installed("Django", "5.0.3")], db, today=dt.date(2024, 10, 20))
    assert "PYSEC-2024-70" in {v.id for v in old.vulnerable}
    assert "5.0.8" in next(v for v in old.vulnerable if v.id == "PYSEC-2024-70").fixed_versions


def test_a_dependency_pip_audit_skipped_is_unchecked():
    result = pip_audit_result(json.loads((FIXTURES / "pip-audit-offline.json").read_text()))

    assert [(u.name, "could not be audited" in u.reason) for u in result.unchecked] == [("celery", True)]
    assert [(v.name, v.id, v.fixed_versions, v.severity) for v in result.vulnerable] == [
        ("demo-widgets", "PYSEC-2099-1", ("1.4.2",), "high")]
    assert result.vulnerable[0].summary == "Remote code execution in demo-widgets templates."
    assert not result.passed and result.data_age_days is None


def test_an_all_skipped_pip_audit_is_never_a_pass():
    offline = {"dependencies": [{"name": n, "skip_reason": "could not be audited"} for n in ("django", "flask")],
               "fixes": []}
    result = pip_audit_result(offline)
    assert not result.passed and len(result.unchecked) == 2 and not result.checked
    clean = pip_audit_result({"dependencies": [{"name": "django", "version": "5.2.1", "vulns": []}]})
    assert clean.passed
    with pytest.raises(ConfigError, match="dependencies"):
        pip_audit_result({"results": []})


@pytest.mark.parametrize(("vector", "score"), [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
    ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", None),
])
def test_cvss_v3_base_scores(vector, score):
    assert cvss3_score(vector) == score


def test_the_summary_lines_name_each_vulnerable_and_unchecked_package():
    from harness.report.security_static import audit_lines

    db = OsvDatabase(OSV)
    found = audit([Installed("demo-widgets", "1.2.0"), Installed("flask", "3.1.0")], db, today=TODAY)
    offline = pip_audit_result(json.loads((FIXTURES / "pip-audit-offline.json").read_text()))
    clean = audit([Installed("flask", "3.1.0")], db, today=TODAY)

    lines = audit_lines({"legacy": found.to_dict(), "candidate": offline.to_dict(), "clean": clean.to_dict()})

    assert lines[0] == ("legacy: dependency audit 1 vulnerable, 0 unchecked: 2 packages checked, advisories as of "
                        "2024-07-20, 25 days old")
    assert lines[1] == ("  demo-widgets 1.2.0: DEMO-2024-1 (CVE-2099-0001, GHSA-demo-demo-0001) critical, fixed in "
                        "1.4.2: Remote code execution in demo-widgets templates")
    assert any(line.startswith("  unchecked celery: Dependency not found") for line in lines)
    assert lines[-1].startswith("clean: dependency audit clean: 1 packages checked")
    many = audit([Installed(f"pkg{n}", "1.0") for n in range(15)], OsvDatabase(Path("/nonexistent")), today=TODAY)
    assert audit_lines({"x": many.to_dict()})[-1] == "  … and 5 more unchecked"
