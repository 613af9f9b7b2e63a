"""What a run's traffic wrote, for the checks that read the targets' databases after it.

Areas stay independent (none imports another), yet a check of one area may need what another area's traffic did:
the rows the contract gate's writes left are compared by the data area's engine. The area that owns such a check
registers it here (`register_traffic_check`); the area that sends the traffic describes it (`Traffic`: each
side's database, how to read a side's generated ids in the primary's terms, the writes and the ids they named)
and runs every registered check once its traffic is done (`traffic_checks`).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from .results import Finding, Metric

UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def uuids(*texts: str) -> frozenset[str]:
    """Every UUID in `texts`, lower case."""
    return frozenset(found.lower() for text in texts for found in UUID_TEXT.findall(text))


@dataclass(frozen=True, slots=True)
class Write:
    """One write the primary answered with a 2xx, and the ids (lower case, the primary's) it named: in its request
    (path and body: what it addresses) and in all (its reply too: what it created or returned)."""

    seq: int
    operation: str
    source: str
    ids: frozenset[str]
    requested: frozenset[str] = frozenset()


@dataclass
class WriteLog:
    """The writes of a run, in order, and for each id the writes that named it."""

    writes: list[Write] = field(default_factory=list)
    by_id: dict[str, list[Write]] = field(default_factory=dict)

    def add(self, write: Write) -> None:
        self.writes.append(write)
        for name in write.ids:
            self.by_id.setdefault(name, []).append(write)

    def touching(self, ids: Iterable[str], *, in_request: bool = False) -> list[Write]:
        """The writes that named any of `ids` (in their request only, with `in_request`), oldest first."""
        wanted = {name.lower() for name in ids}
        found = {w.seq: w for name in wanted for w in self.by_id.get(name, ()) if not in_request or name in w.requested}
        return [found[seq] for seq in sorted(found)]

    def behind(self, key_ids: set[str], row_ids: set[str]) -> list[Write]:
        """The writes behind a row, oldest first: those that addressed its key in their request, else returned it,
        else (its key never named) those that addressed, else returned, an id the row refers to."""
        for ids in (key_ids, row_ids - key_ids):
            for in_request in (True, False):
                found = self.touching(ids, in_request=in_request)
                if found:
                    return found
        return []


@dataclass(frozen=True, slots=True)
class Traffic:
    """The traffic a check reads after it: side -> database URL, side -> a function putting that side's generated
    values (ids, also inside text) in the primary's terms, and the writes. `noise` is the primary again on its own
    database (the baseline), when it took part."""

    databases: Mapping[str, str]
    to_primary: Mapping[str, Callable[[str], str]]
    writes: WriteLog
    primary: str = "legacy"
    candidate: str = "candidate"
    noise: str = "legacy-2"


TrafficCheck = Callable[[Traffic], list[Finding | Metric]]
_CHECKS: dict[str, TrafficCheck] = {}


def register_traffic_check(name: str) -> Callable[[TrafficCheck], TrafficCheck]:
    """Register `check` under `name` (its findings' check name); registering a name again replaces it."""
    def register(check: TrafficCheck) -> TrafficCheck:
        _CHECKS[name] = check
        return check
    return register


def traffic_checks() -> dict[str, TrafficCheck]:
    return dict(_CHECKS)
