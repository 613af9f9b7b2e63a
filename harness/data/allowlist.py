"""The data area's reviewed exceptions: what its entries match on, and applying them to schema differences.

Entries are loaded and checked by the one loader, harness/core/reviewed.py, from the run's reviewed-exceptions
file (`area: data` entries) or from a file given for the data area alone (`data.allow_list`, `harness data
schema --allow-list FILE`, where `area` may be left out):

    - kind: index_extra          # fnmatch patterns, like table and name; kind must match a kind of difference
      table: courses
      name: "*_like"
      severity: cosmetic         # optional: the entry covers only differences of this severity
      reason: Django adds LIKE indexes to every indexed varchar column; harmless for the legacy app.
      expires: 2027-06-30        # after this date the entry covers nothing and fails the gate by itself
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from harness.core.reviewed import MatchKeys, Reviewed, Split, declare_match_keys, for_area, load_reviewed, split

from .model import KINDS, SEVERITIES, SchemaDifference

AREA = "data"
MATCH_KEYS = MatchKeys(required=("kind", "table"), optional=("name", "severity"),
                       choices={"kind": KINDS, "severity": SEVERITIES})
declare_match_keys(AREA, MATCH_KEYS)

Allowed = Split[SchemaDifference]


def load_allowlist(path: str | Path) -> list[Reviewed]:
    """A file of the data area's own entries (`area` may be left out)."""
    return load_reviewed(path, area=AREA)


def covers(entry: Reviewed, difference: SchemaDifference) -> bool:
    return entry.matches({"kind": difference.kind, "table": difference.table, "name": difference.name,
                          "severity": difference.severity})


def apply_allowlist(differences: list[SchemaDifference], entries: list[Reviewed], *,
                    today: date | None = None) -> Allowed:
    """The differences split by the data area's entries among `entries`."""
    return split(differences, for_area(entries, AREA), covers, today=today)
