"""What a row comparison reports: per column how values compared, per row how it differs, per table
and per run the totals. Plain data, filled by `row_compare` (rows) and `row_segments` (segments)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: How one pair of values compared; the last three make the row differ.
OUTCOMES = ("equal", "both_null", "null_legacy_only", "null_candidate_only", "differs")
DIFFERING = frozenset(OUTCOMES[2:])


@dataclass(slots=True)
class ValueSample:
    key: dict[str, Any]
    legacy: Any
    candidate: Any


@dataclass(slots=True)
class ColumnStats:
    """How one column compared over the rows present on both sides."""

    column: str
    legacy_type: str
    candidate_type: str
    equal: int = 0
    both_null: int = 0
    null_legacy_only: int = 0
    null_candidate_only: int = 0
    differs: int = 0
    samples: list[ValueSample] = field(default_factory=list)

    @property
    def differing(self) -> int:
        return self.null_legacy_only + self.null_candidate_only + self.differs

    def count(self, outcome: str, n: int = 1) -> None:
        """Add n values with this outcome (one of OUTCOMES)."""
        setattr(self, outcome, getattr(self, outcome) + n)


@dataclass(slots=True)
class RowDifference:
    """kind: missing (only in legacy), extra (only in candidate), changed, duplicate (side says where)."""

    kind: str
    table: str
    key: dict[str, Any]
    columns: tuple[str, ...] = ()
    legacy: dict[str, Any] | None = None
    candidate: dict[str, Any] | None = None
    side: str | None = None  # for duplicates
    count: int = 1  # for duplicates: how often the key occurs


@dataclass(slots=True)
class TableRows:
    table: str
    key: tuple[str, ...] = ()
    legacy_rows: int = 0
    candidate_rows: int = 0
    compared_columns: tuple[str, ...] = ()
    skipped_columns: dict[str, str] = field(default_factory=dict)
    method: str = ""  # sql | python
    missing: int = 0
    extra: int = 0
    changed: int = 0
    duplicates: int = 0
    differences: list[RowDifference] = field(default_factory=list)
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    rows_verified: int = 0
    segments: int = 0
    leaves: int = 0
    seconds: float = 0.0
    complete: bool = True
    stopped: str | None = None
    error: str | None = None
    sql: dict[str, dict[str, str]] = field(default_factory=dict)  # side -> kind -> example

    @property
    def differing_rows(self) -> int:
        return self.missing + self.extra + self.changed + self.duplicates

    @property
    def clean(self) -> bool:
        return self.error is None and self.complete and self.differing_rows == 0

    @property
    def rows_per_second(self) -> float:
        return max(self.legacy_rows, self.candidate_rows) / self.seconds if self.seconds else 0.0

    def fail(self, error: str) -> TableRows:
        """The table could not be compared (fully): `error` says why."""
        self.error, self.complete = error, False
        return self


@dataclass(slots=True)
class RowsReport:
    legacy_url: str
    candidate_url: str
    tables: list[TableRows] = field(default_factory=list)
    seconds: float = 0.0
    started: float = 0.0

    @property
    def clean(self) -> bool:
        return all(t.clean for t in self.tables)

    @property
    def rows(self) -> int:
        return sum(max(t.legacy_rows, t.candidate_rows) for t in self.tables)

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0
