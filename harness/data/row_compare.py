"""Rows of one table compared by key and by the columns' rules, without a database.

    comparer = RowComparer("courses", ("id",), ("title", "price"), [title_normaliser, price_normaliser])
    compared = comparer.compare(legacy_rows, candidate_rows, stats)   # stats: column -> ColumnStats
    compared.differences, compared.duplicates

A row is a tuple, key values first and then the compared columns (the layout `sides.TableSide.fetch`
reads); the rows of a side may come in any order. Rows are matched by the text of their key
(`normalise.key_text`: a uuid.UUID and its string, 1 and 1.0 are one key). A key on the legacy side only
is a `missing` row, on the candidate side only an `extra` one. A key on both sides is compared column by
column through the column's `normalise.Normaliser` (canonical form, tolerance, timestamp precision, UUID
case): each pair of values is one of `row_results.OUTCOMES`, counted in the column's stats, with samples
of the values that differ; a row with any differing column is `changed`. A key that occurs more than once
in one side's rows is a `duplicate` (the first of its rows is the one compared).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .normalise import Normaliser, display, key_text
from .row_results import DIFFERING, ColumnStats, RowDifference, ValueSample


@dataclass(frozen=True, slots=True)
class Compared:
    """What comparing two sides' rows found."""

    differences: list[RowDifference]  # missing and changed rows in legacy order, then extra rows
    duplicates: list[RowDifference]  # keys more than once in one side's rows, legacy side first

    def count(self, kind: str) -> int:
        return sum(d.kind == kind for d in self.differences)


def outcome(normaliser: Normaliser, legacy: Any, candidate: Any) -> str:
    """How two values of one column compare: one of row_results.OUTCOMES (NULL is never equal to a value)."""
    if legacy is None:
        return "both_null" if candidate is None else "null_legacy_only"
    if candidate is None:
        return "null_candidate_only"
    return "equal" if normaliser.equal(legacy, candidate) else "differs"


def index_by_key(rows: Iterable[tuple], width: int) -> tuple[dict[tuple, tuple], dict[tuple, int]]:
    """(rows by the text of their key, the first of a key winning; how often each repeated key occurs)."""
    first: dict[tuple, tuple] = {}
    repeated: dict[tuple, int] = {}
    for row in rows:
        text = tuple(key_text(v) for v in row[:width])
        if text in first:
            repeated[text] = repeated.get(text, 1) + 1
        else:
            first[text] = row
    return first, repeated


def shown(names: Sequence[str], values: Iterable[Any]) -> dict[str, Any]:
    """Named values as evidence shows them (`normalise.display`)."""
    return {name: display(value) for name, value in zip(names, values, strict=True)}


class RowComparer:
    """Compares the rows of one table: `key` columns match rows, `columns` are compared with `normalisers`
    (one per column, in order); at most `samples` differing values are kept per column."""

    def __init__(self, table: str, key: Sequence[str], columns: Sequence[str], normalisers: Sequence[Normaliser],
                 samples: int = 5) -> None:
        if len(normalisers) != len(columns):
            raise ValueError("one normaliser per compared column")
        self.table, self.key, self.columns = table, tuple(key), tuple(columns)
        self.normalisers = tuple(normalisers)
        self.samples = samples
        self.width = len(self.key)

    def compare(self, legacy_rows: Iterable[tuple], candidate_rows: Iterable[tuple],
                stats: Mapping[str, ColumnStats]) -> Compared:
        """Match the two sides' rows by key and compare the matched ones, counting into `stats`."""
        left, left_repeated = index_by_key(legacy_rows, self.width)
        right, right_repeated = index_by_key(candidate_rows, self.width)
        differences: list[RowDifference] = []
        for text, row in left.items():
            other = right.get(text)
            found = self.missing(row) if other is None else self.compare_row(row, other, stats)
            if found is not None:
                differences.append(found)
        differences += [self.extra(row) for text, row in right.items() if text not in left]
        duplicates = [self.duplicate(left[text][:self.width], "legacy", n) for text, n in left_repeated.items()]
        duplicates += [self.duplicate(right[text][:self.width], "candidate", n) for text, n in right_repeated.items()]
        return Compared(differences, duplicates)

    def compare_row(self, legacy: tuple, candidate: tuple, stats: Mapping[str, ColumnStats]) -> RowDifference | None:
        """Two rows with one key, column by column: None when every column compares alike."""
        key = self.key_of(legacy)
        pairs = zip(self.columns, self.normalisers, legacy[self.width:], candidate[self.width:], strict=True)
        differing = [column for column, normaliser, a, b in pairs
                     if self._count(stats[column], normaliser, key, a, b)]
        if not differing:
            return None
        return RowDifference("changed", self.table, key, tuple(differing),
                             self._only(differing, legacy), self._only(differing, candidate))

    def _count(self, stats: ColumnStats, normaliser: Normaliser, key: dict[str, Any], a: Any, b: Any) -> bool:
        """Count one pair of values into `stats` (with a sample when they differ); whether they differ."""
        found = outcome(normaliser, a, b)
        stats.count(found)
        differs = found in DIFFERING
        if differs and len(stats.samples) < self.samples:
            stats.samples.append(ValueSample(key, display(a), display(b)))
        return differs

    def _only(self, columns: list[str], row: tuple) -> dict[str, Any]:
        values = dict(zip(self.columns, row[self.width:], strict=True))
        return {c: display(values[c]) for c in columns}

    # -- one row's difference ---------------------------------------------------------------------------
    def key_of(self, row: tuple) -> dict[str, Any]:
        return shown(self.key, row[:self.width])

    def missing(self, row: tuple) -> RowDifference:
        return RowDifference("missing", self.table, self.key_of(row), legacy=shown(self.columns, row[self.width:]))

    def extra(self, row: tuple) -> RowDifference:
        return RowDifference("extra", self.table, self.key_of(row), candidate=shown(self.columns, row[self.width:]))

    def duplicate(self, key: tuple, side: str, count: int) -> RowDifference:
        """A key value that occurs `count` times on `side`."""
        return RowDifference("duplicate", self.table, shown(self.key, key), side=side, count=count)
