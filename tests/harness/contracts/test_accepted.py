"""harness/contracts/accepted.py: reviewed exceptions match by pattern; malformed ones are refused in one line."""
from __future__ import annotations

import datetime as dt

import pytest

from harness.contracts.accepted import AcceptedDifferencesError, load

GOOD = """
- area: contract
  operation: "P2 POST *"
  field: "header:x-*"
  reason: Django adds security headers the plan asks for
  expires: 2027-01-31
"""


def test_an_entry_covers_matching_findings_until_it_expires(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(GOOD)
    (entry,) = load(path)
    assert entry.covers("contract", "P2 POST /api/v1/auth/login", "header:x-frame-options")
    assert not entry.covers("contract", "P3 POST /api/v1/auth/logout", "header:x-frame-options")
    assert not entry.covers("data", "P2 POST /api/v1/auth/login", "header:x-frame-options")
    assert not entry.expired(dt.date(2027, 1, 31)) and entry.expired(dt.date(2027, 2, 1))


@pytest.mark.parametrize("text, message", [
    ("- {area: contract, operation: '*', field: '*', reason: short, expires: 2027-01-01}", "'reason' must explain"),
    ("- {area: nope, operation: '*', field: '*', reason: a long enough reason, expires: 2027-01-01}", "area must be one of"),
    ("- {area: contract, operation: '*', field: '*', reason: a long enough reason}", "'expires' is required"),
    ("- {area: contract, operation: '*', field: '*', reason: a long enough reason, expires: soon}", "must be a date"),
    ("- {area: contract, operation: '*', field: '*', reason: a long enough reason, expires: 2027-01-01, x: 1}", "unknown key"),
    ("{not: a list}", "expected a list"),
])
def test_a_malformed_entry_is_refused_with_its_reason(tmp_path, text, message):
    path = tmp_path / "a.yaml"
    path.write_text(text)
    with pytest.raises(AcceptedDifferencesError, match=message):
        load(path)
