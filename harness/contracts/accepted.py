"""contracts/accepted-differences.yaml: reviewed exceptions, each with a reason and an expiry date.

    - area: contract            # contract | data | load | security
      operation: "P2 POST /api/v1/auth/login"   # fnmatch pattern ("*" for any)
      field: "header:x-frame-options"           # fnmatch pattern
      kind: value               # optional: only this kind of difference
      reason: "Django adds security headers by default; the plan wants them"
      expires: 2027-03-31

A finding an entry covers is kept in the report, marked accepted (it does not fail the gate). An entry past
its expiry date fails the gate by itself: an exception must be reviewed again, not forgotten.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

AREAS = frozenset({"contract", "data", "load", "security"})


class AcceptedDifferencesError(ValueError):
    """The file is malformed: one line naming the entry and the problem."""


@dataclass(frozen=True, slots=True)
class Accepted:
    area: str
    operation: str
    field: str
    reason: str
    expires: dt.date
    kind: str | None = None
    index: int = 0

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def covers(self, area: str, operation: str, field: str, kinds: tuple[str, ...] = ()) -> bool:
        return (self.area == area and fnmatch.fnmatchcase(operation, self.operation)
                and fnmatch.fnmatchcase(field, self.field)
                and (self.kind is None or (bool(kinds) and set(kinds) <= {self.kind})))


def load(path: Path) -> list[Accepted]:
    if not path.exists():
        return []
    try:
        raw = yaml.safe_load(path.read_text()) or []
    except yaml.YAMLError as exc:
        raise AcceptedDifferencesError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(raw, list):
        raise AcceptedDifferencesError(f"{path}: expected a list of entries")
    out = []
    for i, entry in enumerate(raw, 1):
        out.append(_entry(path, i, entry))
    return out


def _entry(path: Path, i: int, entry: Any) -> Accepted:
    where = f"{path} entry {i}"
    if not isinstance(entry, dict):
        raise AcceptedDifferencesError(f"{where}: expected a mapping")
    unknown = set(entry) - {"area", "operation", "field", "kind", "reason", "expires"}
    if unknown:
        raise AcceptedDifferencesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("area", "operation", "field", "reason", "expires"):
        if key not in entry or entry[key] in (None, ""):
            raise AcceptedDifferencesError(f"{where}: '{key}' is required")
    if entry["area"] not in AREAS:
        raise AcceptedDifferencesError(f"{where}: area must be one of {', '.join(sorted(AREAS))}")
    if len(str(entry["reason"]).strip()) < 10:
        raise AcceptedDifferencesError(f"{where}: 'reason' must explain the exception (10+ characters)")
    expires = entry["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires)
        except ValueError:
            raise AcceptedDifferencesError(f"{where}: 'expires' must be a date (YYYY-MM-DD)") from None
    if not isinstance(expires, dt.date):
        raise AcceptedDifferencesError(f"{where}: 'expires' must be a date (YYYY-MM-DD)")
    return Accepted(area=str(entry["area"]), operation=str(entry["operation"]), field=str(entry["field"]),
                    reason=str(entry["reason"]).strip(), expires=expires,
                    kind=str(entry["kind"]) if entry.get("kind") else None, index=i)
