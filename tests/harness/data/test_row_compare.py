"""`harness.data.row_compare`: rows matched by key and compared by the columns' rules, without a database.
A changed value, a missing row, an extra row and a duplicate key are each named; equal rows (values equal
under a tolerance or a timestamp precision, keys of another Python type, rows in another order) are not."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from harness.data.normalise import ColumnRule, Normaliser, parse_tolerance
from harness.data.row_compare import RowComparer, outcome
from harness.data.row_results import ColumnStats
from harness.data.types import parse_type

# column -> (declared type, rule)
COLUMNS = {
    "title": ("varchar(200)", ColumnRule()),
    "price": ("numeric(10,2)", ColumnRule(tolerance=Decimal("0.01"))),
    "published_at": ("timestamptz", ColumnRule(precision="ms")),
    "updated_at": ("timestamp", ColumnRule(tolerance=parse_tolerance("1s"))),
    "preview_url": ("text", ColumnRule()),
}
FIRST, SECOND, THIRD = (uuid.UUID(f"00000000-0000-4000-8000-00000000000{i}") for i in (1, 2, 3))
NOON = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
NAIVE_NOON = NOON.replace(tzinfo=None)  # a `timestamp` column's value


def comparer(samples: int = 5) -> RowComparer:
    return RowComparer("courses", ("id",), tuple(COLUMNS),
                       [Normaliser(parse_type(declared), rule) for declared, rule in COLUMNS.values()], samples)


def fresh_stats() -> dict[str, ColumnStats]:
    return {column: ColumnStats(column, declared, declared) for column, (declared, _) in COLUMNS.items()}


def row(key: uuid.UUID | str, title: str = "Intro", price: Decimal | float = Decimal("19.99"),
        published_at: datetime = NOON, updated_at: datetime = NAIVE_NOON,
        preview_url: str | None = None) -> tuple:
    return key, title, price, published_at, updated_at, preview_url


LEGACY = [row(FIRST), row(SECOND, title="Advanced", price=Decimal("49.99"))]


def test_equal_rows_say_nothing_even_when_equal_only_under_a_rule():
    candidate = [
        # another order, keys as text, values equal only under the columns' rules
        row(str(SECOND), title="Advanced", price=50.0),  # within the 0.01 tolerance
        row(str(FIRST), price=Decimal("19.990"),  # another scale
            published_at=NOON + timedelta(microseconds=400),  # the same millisecond
            updated_at=NAIVE_NOON + timedelta(milliseconds=900)),  # within 1 s
    ]
    stats = fresh_stats()

    compared = comparer().compare(LEGACY, candidate, stats)

    assert compared.differences == [] and compared.duplicates == []
    for column, counted in stats.items():
        alike = (counted.equal, counted.both_null)
        assert counted.differing == 0 and counted.samples == []
        assert alike == ((0, 2) if column == "preview_url" else (2, 0)), column


def test_a_changed_value_names_key_column_and_both_values():
    candidate = [row(FIRST, title="Intro (edited)"), LEGACY[1]]
    stats = fresh_stats()

    compared = comparer().compare(LEGACY, candidate, stats)

    (changed,) = compared.differences
    assert (changed.kind, changed.table, changed.key, changed.columns) == \
        ("changed", "courses", {"id": str(FIRST)}, ("title",))
    assert (changed.legacy, changed.candidate) == ({"title": "Intro"}, {"title": "Intro (edited)"})
    assert (stats["title"].differs, stats["title"].equal) == (1, 1)
    (sample,) = stats["title"].samples
    assert (sample.key, sample.legacy, sample.candidate) == ({"id": str(FIRST)}, "Intro", "Intro (edited)")


@pytest.mark.parametrize("column, value", [
    ("price", Decimal("20.01")),  # 0.02 off: beyond the tolerance
    ("published_at", NOON + timedelta(milliseconds=1)),  # another millisecond
    ("updated_at", NAIVE_NOON + timedelta(seconds=2)),  # beyond 1 s
    ("preview_url", ""),  # NULL is not ''
])
def test_a_value_beyond_its_rule_is_a_change(column, value):
    candidate = [row(FIRST, **{column: value}), LEGACY[1]]
    compared = comparer().compare(LEGACY, candidate, fresh_stats())
    assert [(d.kind, d.key, d.columns) for d in compared.differences] == [("changed", {"id": str(FIRST)}, (column,))]


def test_null_on_one_side_is_counted_apart():
    stats = fresh_stats()
    comparer().compare([row(FIRST, preview_url="https://x")], [row(FIRST)], stats)
    assert (stats["preview_url"].null_candidate_only, stats["preview_url"].null_legacy_only) == (1, 0)
    assert outcome(Normaliser(parse_type("text")), None, "") == "null_legacy_only"
    assert outcome(Normaliser(parse_type("text")), None, None) == "both_null"


def test_a_missing_and_an_extra_row_are_named_by_key():
    candidate = [LEGACY[0], row(THIRD, title="New")]

    compared = comparer().compare(LEGACY, candidate, fresh_stats())

    assert [(d.kind, d.key) for d in compared.differences] == [("missing", {"id": str(SECOND)}),
                                                               ("extra", {"id": str(THIRD)})]
    missing, extra = compared.differences
    assert missing.legacy["title"] == "Advanced" and missing.candidate is None
    assert extra.candidate["title"] == "New" and extra.legacy is None
    assert (compared.count("missing"), compared.count("extra"), compared.count("changed")) == (1, 1, 0)


def test_a_duplicate_key_is_named_with_its_side_and_count():
    candidate = [*LEGACY, row(SECOND, title="Advanced, again")]

    compared = comparer().compare(LEGACY, candidate, fresh_stats())

    assert [(d.kind, d.key, d.side, d.count) for d in compared.duplicates] == \
        [("duplicate", {"id": str(SECOND)}, "candidate", 2)]
    assert compared.differences == []  # the first row of the key is the one compared


def test_samples_stop_at_the_limit_and_composite_keys_match_across_types():
    two = RowComparer("ledger", ("account", "seq"), ("amount",), [Normaliser(parse_type("numeric(12,2)"))], samples=1)
    stats = {"amount": ColumnStats("amount", "numeric(12,2)", "numeric(12,2)")}
    legacy = [(1, 1, Decimal("1.00")), (1, 2, Decimal("2.00")), (2, 1, Decimal("3.00"))]
    candidate = [(1.0, 1, Decimal("1.5")), (1, 2.0, Decimal("2.5")), (2, 1, Decimal("3"))]

    compared = two.compare(legacy, candidate, stats)

    assert [d.key for d in compared.differences] == [{"account": 1, "seq": 1}, {"account": 1, "seq": 2}]
    assert (stats["amount"].differs, stats["amount"].equal, len(stats["amount"].samples)) == (2, 1, 1)
