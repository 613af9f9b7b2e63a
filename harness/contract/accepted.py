"""The contract area's reviewed exceptions: what its entries match on, and when one covers a difference.

Entries live in the reviewed-exceptions file (`contracts/accepted-differences.yaml` by default) and are loaded,
checked and applied by the one loader, harness/core/reviewed.py:

    - area: contract
      operation: "P2 POST /api/v1/auth/login"   # fnmatch pattern on the operation label ("*": any)
      field: "header:x-frame-options"           # fnmatch pattern on the field (status, header:…, cookie:…, body.…)
      kind: value                               # optional: missing | extra | type | value | ordering | status
      reason: "Django adds security headers by default; the plan wants them"
      expires: 2027-03-31
"""
from __future__ import annotations

from harness.core.reviewed import MatchKeys, Reviewed, declare_match_keys

AREA = "contract"
#: The kinds of difference the comparison reports (harness/http/compare.py).
KINDS = ("missing", "extra", "type", "value", "ordering", "members", "status")
MATCH_KEYS = MatchKeys(required=("operation", "field"), optional=("kind",), choices={"kind": KINDS})
declare_match_keys(AREA, MATCH_KEYS)


def covers(entry: Reviewed, operation: str, field: str, kinds: tuple[str, ...] = ()) -> bool:
    """The entry covers a difference at `field` of `operation`; an entry that names a `kind` covers only a
    difference of that one kind (one of several kinds is covered only by an entry without `kind`)."""
    values = {"operation": operation, "field": field}
    if len(set(kinds)) == 1:
        values["kind"] = kinds[0]
    return entry.area == AREA and entry.matches(values)

