"""`harness.data.normalise`: what counts as the same value, and tolerances that never hide a difference."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from harness.data.normalise import ColumnRule, Normaliser, RuleError, parse_tolerance, row_hash
from harness.data.types import compare_types, parse_type

UTC = UTC
T = datetime(2025, 1, 6, 10, 0, 0, tzinfo=UTC)


def norm(declared: str, **rule) -> Normaliser:
    return Normaliser(parse_type(declared), ColumnRule(**rule))


@pytest.mark.parametrize(("declared", "legacy", "candidate"), [
    ("timestamptz", T, T.astimezone(timezone(timedelta(hours=2)))),  # same instant, another zone
    ("timestamptz", T, T.replace(tzinfo=None)),  # SQLite's naive UTC
    ("timestamptz", T, "2025-01-06 10:00:00.000000"),  # SQLite's text
    ("numeric(10,2)", Decimal("10.50"), Decimal("10.5")),
    ("numeric(10,2)", Decimal("0.00"), 0),
    ("numeric(10,2)", Decimal("19.99"), 19.99),  # a REAL read back from SQLite
    ("jsonb", {"a": 1, "b": [1, 2]}, '{"b": [1, 2], "a": 1}'),
    ("jsonb", {"n": 1}, {"n": 1.0}),
    ("boolean", True, 1),
    ("boolean", False, "f"),
    ("uuid", uuid.UUID("cc7f8282-e30b-4807-a19b-84d8644ceea0"), "CC7F8282-E30B-4807-A19B-84D8644CEEA0"),
    ("double precision", 0.0, -0.0),
    ("integer", 5, Decimal("5")),
])
def test_one_value_in_different_clothes_is_equal(declared, legacy, candidate):
    n = norm(declared)
    assert n.equal(legacy, candidate)
    assert n.hash_text(legacy) == n.hash_text(candidate)


@pytest.mark.parametrize(("declared", "legacy", "candidate"), [
    ("timestamptz", T, T + timedelta(microseconds=1)),
    ("timestamptz", T, T + timedelta(hours=1)),
    ("timestamptz", T, T.replace(tzinfo=timezone(timedelta(hours=1)))),  # same wall clock, another instant
    ("numeric(10,2)", Decimal("19.99"), Decimal("20.0")),
    ("jsonb", {"a": 1}, {"a": "1"}),
    ("boolean", True, False),
    ("text", "", None),
    ("varchar(36)", "cc7f8282-e30b-4807-a19b-84d8644ceea0", "CC7F8282-E30B-4807-A19B-84D8644CEEA0"),  # text: exact
])
def test_a_real_change_is_not_equal(declared, legacy, candidate):
    n = norm(declared)
    assert not n.equal(legacy, candidate)
    assert n.hash_text(legacy) != n.hash_text(candidate)


def test_null_and_text_that_looks_like_null_never_hash_alike():
    texts = [(None,), ("None",), ("",), ("null",), ("\\N",)]
    assert len({row_hash(t) for t in texts}) == len(texts)
    assert row_hash(("a,b",)) != row_hash(("a", "b")) and row_hash(("a", None)) != row_hash((None, "a"))


def test_timestamp_precision_drops_only_what_it_says():
    n = norm("timestamptz", precision="ms")
    assert n.equal(T, T + timedelta(microseconds=999))
    assert not n.equal(T, T + timedelta(milliseconds=1))


def test_a_tolerance_bucket_never_hides_a_difference_larger_than_the_tolerance():
    n = norm("numeric(10,2)", tolerance=Decimal("0.05"))
    values = [Decimal(i) / 100 for i in range(-300, 300)]
    for a in values:
        for b in (a + Decimal("0.04"), a + Decimal("0.05"), a + Decimal("0.06"), a + Decimal("0.17")):
            if n.hash_text(a) == n.hash_text(b):  # the checksum calls them equal ...
                assert n.equal(a, b)  # ... so the row comparison must agree
            assert n.equal(a, b) == (abs(a - b) <= Decimal("0.05"))


def test_timestamp_tolerance_in_microseconds():
    n = norm("timestamptz", tolerance=parse_tolerance("1s"))
    assert n.equal(T, T + timedelta(milliseconds=999))
    assert not n.equal(T, T + timedelta(hours=1))


def test_bad_rules_are_refused():
    for text in ("0", "-1", "soon", "1 fortnight"):
        with pytest.raises(RuleError):
            parse_tolerance(text)
    with pytest.raises(RuleError):
        ColumnRule(precision="ns")
    assert parse_tolerance("500ms") == Decimal(500_000) and parse_tolerance("0.01") == Decimal("0.01")


@pytest.mark.parametrize(("legacy", "candidate", "direction"), [
    ("varchar(255)", "varchar(100)", "narrowed"),
    ("text", "varchar(36)", "narrowed"),
    ("varchar(36)", "text", "widened"),
    ("bigint", "integer", "narrowed"),
    ("numeric(10,2)", "numeric(10,3)", "narrowed"),
    ("numeric(10,2)", "numeric(12,2)", "widened"),
    ("timestamptz", "timestamp", "changed"),
    ("jsonb", "json", "changed"),
    ("varchar(36)", "uuid", "changed"),
])
def test_type_changes_have_a_direction(legacy, candidate, direction):
    change = compare_types(parse_type(legacy), parse_type(candidate), same_engine=True)
    assert change is not None and change.direction == direction, change


def test_engine_spellings_of_one_type_are_one_type():
    assert parse_type("character varying(36)") == parse_type("VARCHAR(36)")
    assert parse_type("NUMERIC(10, 2)") == parse_type("numeric(10,2)")
    assert parse_type("timestamp(6) with time zone") == parse_type("timestamptz")
    assert parse_type("double precision") == parse_type("DOUBLE") == parse_type("FLOAT")
    assert compare_types(parse_type("timestamptz"), parse_type("DATETIME"), same_engine=False) is None
    assert compare_types(parse_type("jsonb"), parse_type("JSON"), same_engine=False) is None
