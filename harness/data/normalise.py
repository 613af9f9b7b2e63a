"""Values made comparable across engines and drivers, with per-column tolerances.

Two values are "the same" when their canonical text is the same:
  - timestamps: converted to UTC (a naive value is taken as UTC, which is how both apps store them on
    SQLite), truncated to the column's precision (microseconds by default), ISO 8601;
  - numerics: scale dropped (10.50 == 10.5), never rounded unless a tolerance says so;
  - JSON: parsed and dumped with sorted keys and no whitespace (key order and spacing do not matter,
    numbers compare by value: 1.0 is 1);
  - booleans: true/false whatever the engine stored (1/0, 't'/'f');
  - UUIDs: lower case (for uuid-typed columns, or any column given the `uuid` rule);
  - text, integers: as they are. NULL stays NULL and is never equal to '' (a row's text for hashing
    keeps the two apart).
A tolerance (an absolute amount: 0.01, or 1s / 500ms / 2us for timestamps) makes two values equal when
they differ by at most that much. For checksums a value with a tolerance is replaced by its bucket,
floor(value / tolerance): values in one bucket are within the tolerance, and two values further apart
than the tolerance are never in one bucket, so a checksum never hides a real difference (values close
to a bucket edge only cost a row-level look).

The same rules exist twice: in Python (`Normaliser`, for row comparison, SQLite and cross-engine
checksums) and as PostgreSQL hash expressions (`pg_value_hash`, for checksums computed in the
database). Two values the database hashes alike are always equal for `Normaliser.equal` too, so a
checksum never hides what a row-level comparison would report. Key values are matched by their text
(`key_text`: a uuid.UUID and its string, 1 and 1.0 are one key); `as_utc` is the one reading of a
naive timestamp (UTC), for the cross-write snapshots (`rowdelta`) too.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from .connect import DataInputError
from .types import CanonicalType

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PRECISIONS = {"us": 1, "ms": 1_000, "s": 1_000_000}
_PG_TRUNC = {"ms": "milliseconds", "s": "second"}
_DURATION = re.compile(r"^\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>us|µs|ms|s|m|min|h)\s*$")
_UNIT_US = {"us": 1, "µs": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000, "min": 60_000_000, "h": 3_600_000_000}


class RuleError(DataInputError):
    """A column rule that cannot apply (bad tolerance, unknown precision)."""


@dataclass(frozen=True, slots=True)
class ColumnRule:
    """How one column is compared. Defaults compare exactly, after the canonical form."""

    tolerance: Decimal | None = None  # absolute; microseconds for timestamps
    precision: str = "us"  # timestamps: us, ms or s
    uuid: bool = False  # compare case-insensitively as a UUID
    ignore: bool = False  # leave the column out of the comparison

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise RuleError(f"unknown timestamp precision {self.precision!r}; use us, ms or s")
        if self.tolerance is not None and self.tolerance <= 0:
            raise RuleError("a tolerance must be positive")


def parse_tolerance(text: str) -> Decimal:
    """`0.01` -> Decimal('0.01'); `1s`, `500ms`, `2us`, `1h` -> microseconds (for timestamp columns)."""
    match = _DURATION.match(text)
    try:
        value = Decimal(match["n"]) * _UNIT_US[match["unit"]] if match else Decimal(text.strip())
    except InvalidOperation:
        raise RuleError(f"bad tolerance {text!r}: a number (0.01) or a duration (1s, 500ms, 2us)") from None
    if value <= 0:
        raise RuleError(f"bad tolerance {text!r}: must be positive")
    return value


class Normaliser:
    """Canonical text of one column's values, for one family of types (see types.FAMILY)."""

    __slots__ = ("family", "rule", "_canon")

    def __init__(self, ctype: CanonicalType, rule: ColumnRule = ColumnRule()) -> None:
        self.family = "uuid" if rule.uuid else ctype.family
        self.rule = rule
        self._canon = getattr(self, f"_{self.family}", self._text)

    def canonical(self, value: Any) -> str | None:
        """Exact canonical text (no tolerance applied); None for NULL."""
        if value is None:
            return None
        try:
            return self._canon(value)
        except (ValueError, TypeError, InvalidOperation, ArithmeticError):
            return self._text(value)  # a value of another kind than the column's: compared as text

    def hash_text(self, value: Any) -> str | None:
        """What goes into a checksum: the canonical text, or the tolerance bucket."""
        if value is None or self.rule.tolerance is None:
            return self.canonical(value)
        number = self._magnitude(value)
        if number is None:
            return self.canonical(value)
        return f"~{math.floor(number / self.rule.tolerance)}"

    def equal(self, legacy: Any, candidate: Any) -> bool:
        if legacy is None or candidate is None:
            return legacy is None and candidate is None
        if self.rule.tolerance is not None:
            a, b = self._magnitude(legacy), self._magnitude(candidate)
            if a is not None and b is not None:
                return abs(a - b) <= self.rule.tolerance
        return self.canonical(legacy) == self.canonical(candidate)

    def _magnitude(self, value: Any) -> Decimal | None:
        """The number a tolerance applies to: the value, or microseconds since 1970 for timestamps."""
        try:
            if self.family == "timestamp":
                return Decimal((self._utc(value) - EPOCH) // timedelta(microseconds=1))
            if self.family in ("numeric", "float", "integer"):
                return _decimal(value)
        except (ValueError, TypeError, InvalidOperation):
            return None
        return None

    # -- one method per family ------------------------------------------------------------------------
    @staticmethod
    def _text(value: Any) -> str:
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value).hex()
        return value if isinstance(value, str) else str(value)

    @staticmethod
    def _integer(value: Any) -> str:
        number = _decimal(value)
        return str(int(number)) if number == number.to_integral_value() else _plain(number)

    @staticmethod
    def _numeric(value: Any) -> str:
        return _plain(_decimal(value))

    @staticmethod
    def _float(value: Any) -> str:
        return repr(float(value) + 0.0)  # -0.0 + 0.0 is 0.0: the two zeros are one value, as in PostgreSQL

    @staticmethod
    def _boolean(value: Any) -> str:
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("t", "true", "1", "y", "yes", "on"):
                return "true"
            if lowered in ("f", "false", "0", "n", "no", "off"):
                return "false"
            raise ValueError(value)
        return "true" if value else "false"

    def _timestamp(self, value: Any) -> str:
        moment = self._utc(value)
        step = PRECISIONS[self.rule.precision]
        if step > 1:
            micros = (moment - EPOCH) // timedelta(microseconds=1)
            moment = EPOCH + timedelta(microseconds=micros - micros % step)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    @staticmethod
    def _utc(value: Any) -> datetime:
        if isinstance(value, str):
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if not isinstance(value, datetime):
            raise TypeError(value)
        return as_utc(value)

    @staticmethod
    def _date(value: Any) -> str:
        if isinstance(value, datetime):
            value = value.date()
        return value.isoformat() if isinstance(value, date) else date.fromisoformat(str(value)).isoformat()

    @staticmethod
    def _time(value: Any) -> str:
        return value.isoformat() if isinstance(value, time) else time.fromisoformat(str(value)).isoformat()

    @staticmethod
    def _json(value: Any) -> str:
        if isinstance(value, (str, bytes, bytearray)):
            value = json.loads(value)
        return json.dumps(_json_numbers(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def _uuid(value: Any) -> str:
        return str(value).strip().lower() if not isinstance(value, uuid.UUID) else str(value)


def as_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC; a naive one is taken as UTC (how both apps store time on SQLite)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def key_text(value: Any) -> str:
    """A key value as text for hashing and matching across drivers (uuid.UUID vs str, 1 vs 1.0)."""
    return str(value) if not isinstance(value, float) or not value.is_integer() else str(int(value))


def _json_numbers(value: Any) -> Any:
    """JSON numbers by value (1.0 is 1), as JSONB compares them."""
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, float):
        return Decimal(repr(value))
    return value if isinstance(value, Decimal) else Decimal(str(value).strip())


def _plain(number: Decimal) -> str:
    if number.is_nan() or number.is_infinite():
        return str(number)
    if number == 0:
        return "0"
    text = format(number.normalize(), "f")
    return text


def row_hash(texts: tuple[str | None, ...]) -> int:
    """A 64-bit hash of a row's canonical texts. repr() of the tuple quotes every string and spells NULL
    as None, so (None,) and ('None',), ('a,b',) and ('a', 'b') never share an input."""
    return int.from_bytes(hashlib.blake2b(repr(texts).encode(), digest_size=8).digest(), "big", signed=True)


def display(value: Any) -> Any:
    """A JSON-safe rendering of a raw value for evidence (samples keep the stored form, not the canonical one)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, (Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value, default=str))
    return str(value)


# -- the same rules as PostgreSQL expressions -----------------------------------------------------------

def pg_value_hash(column_sql: str, ctype: CanonicalType, rule: ColumnRule, seed: int) -> str:
    """A bigint hash of the column's canonical value on PostgreSQL, seeded by the column's position.

    Each type is hashed by its own hash function (the ones its hash indexes use), which hashes by value:
    10.50 and 10.5, a timestamp and the same instant as timestamptz (naive read as UTC), integers of any
    width, JSONB with any key order, all hash alike, and nothing is printed as text on the way, which
    is what makes the checksum several times cheaper than hashing a row's text. NULL hashes to the seed
    itself; that a value hashes to it too is a 2^-64 chance, and the checksum query also counts the
    non-NULL values of each column, so NULL against any value ('' included) always shows in a bucket.
    Assumes the session runs with TimeZone UTC (rows.PG_SESSION)."""
    family = "uuid" if rule.uuid else ctype.family
    if family == "timestamp":
        expr = _pg_timestamp_hash(column_sql, ctype, rule, seed)
    elif family in _NUMBER_FAMILIES and rule.tolerance is not None:
        expr = f"hash_numeric_extended(floor({column_sql}::numeric / {rule.tolerance}), {seed})"
    else:
        padded = family == "text" and ctype.base == "char"  # char(n) compares by its text
        expr = (_PG_AS_TEXT if padded else _PG_HASH.get(family, _PG_AS_TEXT)).format(c=column_sql, seed=seed)
    return f"coalesce({expr}, {seed})"


_NUMBER_FAMILIES = ("numeric", "float", "integer")
#: The hash of a value of each family; a family not named here hashes the value's text.
_PG_HASH = {
    "numeric": "hash_numeric_extended({c}, {seed})",
    "float": "hashfloat8extended({c}::float8, {seed})",
    "integer": "hashint8extended({c}::int8, {seed})",
    "boolean": "hashint4extended({c}::int4, {seed})",
    "json": "jsonb_hash_extended({c}::jsonb, {seed})",
    "uuid": "hashtextextended(lower({c}::text), {seed})",
    "date": "hashint4extended({c} - date '1970-01-01', {seed})",
    "text": "hashtextextended({c}, {seed})",
}
_PG_AS_TEXT = "hashtextextended({c}::text, {seed})"


def _pg_timestamp_hash(column_sql: str, ctype: CanonicalType, rule: ColumnRule, seed: int) -> str:
    """A timestamp's hash as an instant (naive UTC), at the rule's precision or in its tolerance bucket."""
    instant = f"({column_sql} AT TIME ZONE 'UTC')" if ctype.base == "timestamptz" else column_sql
    if rule.tolerance is not None:
        return f"hash_numeric_extended(floor(extract(epoch from {instant}) * 1000000 / {rule.tolerance}), {seed})"
    if rule.precision != "us":
        return f"timestamp_hash_extended(date_trunc('{_PG_TRUNC[rule.precision]}', {instant}), {seed})"
    return f"timestamp_hash_extended({instant}, {seed})"
