"""harness/core/reviewed.py: the one loader of reviewed exceptions, for every area. An entry covers what its
patterns match until its expiry date; past it, it covers nothing and fails the gate; a malformed entry is
refused in one line naming the file and the entry."""
from __future__ import annotations

import datetime as dt

import pytest

import harness.contract.accepted as contract_entries
import harness.data.allowlist as data_entries
from harness.core.results import BLOCKING
from harness.core.reviewed import ReviewedError, expired_findings, load_reviewed, split
from harness.data.model import SchemaDifference

GOOD = """
- area: contract
  operation: "P2 POST *"
  field: "header:x-*"
  reason: Django adds security headers the plan asks for
  expires: 2027-01-31
- area: data
  kind: index_extra
  table: courses
  name: "*_like"
  reason: Django adds LIKE indexes to indexed varchar columns
  expires: 2027-01-31
"""


def test_an_entry_covers_what_its_patterns_match_until_it_expires(tmp_path):
    path = tmp_path / "accepted.yaml"
    path.write_text(GOOD)
    contract, data = load_reviewed(path)
    assert contract_entries.covers(contract, "P2 POST /api/v1/auth/login", "header:x-frame-options")
    assert not contract_entries.covers(contract, "P3 POST /api/v1/auth/logout", "header:x-frame-options")
    assert not contract_entries.covers(data, "P2 POST /api/v1/auth/login", "header:x-frame-options")
    assert not contract.expired(dt.date(2027, 1, 31)) and contract.expired(dt.date(2027, 2, 1))
    like = SchemaDifference("index_extra", "courses", "courses_slug_like", "cosmetic", "extra")
    other = SchemaDifference("index_extra", "users", "users_email_like", "cosmetic", "extra")
    kept = data_entries.apply_allowlist([like, other], [contract, data], today=dt.date(2027, 1, 1))
    assert kept.accepted == [(like, data)] and kept.remaining == [other]


def test_an_entry_naming_a_kind_covers_only_differences_of_that_one_kind(tmp_path):
    path = tmp_path / "accepted.yaml"
    path.write_text("- {area: contract, operation: '*', field: body.x, kind: value, "
                    "reason: rounding differs by design, expires: 2027-01-01}\n")
    (entry,) = load_reviewed(path)
    assert contract_entries.covers(entry, "P1 GET /x", "body.x", ("value",))
    assert not contract_entries.covers(entry, "P1 GET /x", "body.x", ("type",))
    assert not contract_entries.covers(entry, "P1 GET /x", "body.x", ("type", "value"))


def test_an_expired_entry_covers_nothing_and_is_a_blocking_finding(tmp_path):
    path = tmp_path / "accepted.yaml"
    path.write_text(GOOD)
    entries = load_reviewed(path)
    like = SchemaDifference("index_extra", "courses", "courses_slug_like", "cosmetic", "extra")
    kept = split([like], entries, data_entries.covers, today=dt.date(2027, 2, 1))
    assert kept.remaining == [like] and kept.accepted == [] and len(kept.expired) == 2
    (finding, _) = expired_findings("data", kept.expired, today=dt.date(2027, 2, 1))
    assert finding.severity in BLOCKING and "expired on 2027-01-31" in finding.message
    assert finding.check == "accepted_difference_expired"


@pytest.mark.parametrize("suffix, text", [
    (".toml", 'allow = [{kind = "index_extra", table = "courses", reason = "harmless index on courses", '
              'expires = 2027-01-01}]'),
    (".json", '[{"kind": "index_extra", "table": "courses", "reason": "harmless index on courses", '
              '"expires": "2027-01-01"}]'),
    (".yaml", "allow:\n  - {kind: index_extra, table: courses, reason: harmless index on courses, "
              "expires: 2027-01-01}\n"),
])
def test_an_areas_own_file_may_leave_the_area_out_in_any_format(tmp_path, suffix, text):
    path = tmp_path / f"allow{suffix}"
    path.write_text(text)
    (entry,) = data_entries.load_allowlist(path)
    assert (entry.area, entry.patterns, entry.expires) == (
        "data", {"kind": "index_extra", "table": "courses"}, dt.date(2027, 1, 1))


@pytest.mark.parametrize("text, message", [
    ("- {area: contract, operation: '*', field: '*', reason: short, expires: 2027-01-01}", "'reason' must explain"),
    ("- {area: contract, operation: '*', field: '*', expires: 2027-01-01}", "'reason' is required"),
    ("- {area: nope, operation: '*', field: '*', reason: a long enough reason, expires: 2027-01-01}",
     "area must be one of"),
    ("- {operation: '*', field: '*', reason: a long enough reason, expires: 2027-01-01}", "'area' is required"),
    ("- {area: contract, operation: '*', field: '*', reason: a long enough reason}", "'expires' is required"),
    ("- {area: contract, operation: '*', field: '*', reason: a long enough reason, expires: soon}",
     "must be a date"),
    ("- {area: contract, operation: '*', field: '*', reason: a long enough reason, expires: 2027-01-01, x: 1}",
     "unknown key"),
    ("- {area: contract, field: '*', reason: a long enough reason, expires: 2027-01-01}", "'operation' is required"),
    ("- {area: contract, operation: '*', field: '*', kind: typo, reason: a long enough reason, "
     "expires: 2027-01-01}", "kind 'typo' matches none of"),
    ("- {area: data, kind: index_extra, table: 7, reason: a long enough reason, expires: 2027-01-01}",
     "'table' must be text"),
    ("{not: a list}", "expected a list"),
    ("- [1, 2]", "expected a mapping"),
    ("- {area: contract\n", "not valid YAML"),
])
def test_a_malformed_entry_is_refused_in_one_line_naming_the_entry(tmp_path, text, message):
    path = tmp_path / "a.yaml"
    path.write_text(text)
    with pytest.raises(ReviewedError, match=message) as caught:
        load_reviewed(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_missing_file_is_refused_unless_it_may_be_missing(tmp_path):
    with pytest.raises(ReviewedError, match="cannot read"):
        load_reviewed(tmp_path / "absent.yaml")
    assert load_reviewed(tmp_path / "absent.yaml", missing_ok=True) == []
