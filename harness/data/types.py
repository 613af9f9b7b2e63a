"""Canonical column types across engines, and how two of them relate.

A canonical type is a short lower-case string such as `varchar(36)`, `numeric(10,2)`, `timestamptz`
or `jsonb`, the same whichever engine it was read from. Each belongs to a *family* (text, integer,
numeric, float, boolean, timestamp, date, time, json, uuid, bytes, other) that the row differ uses to
pick a normaliser, and within a family types are ordered by what they can hold, so the schema differ
can tell a narrowed type (breaking) from a widened one (risky).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_PG_NAMES = {
    "character varying": "varchar", "varchar": "varchar", "character": "char", "char": "char", "bpchar": "char",
    "nchar": "char", "nvarchar": "varchar", "clob": "text", "string": "text", "text": "text", "citext": "text",
    "smallint": "smallint", "int2": "smallint", "integer": "integer", "int": "integer", "int4": "integer",
    "mediumint": "integer", "bigint": "bigint", "int8": "bigint", "tinyint": "smallint",
    "numeric": "numeric", "decimal": "numeric",
    "double precision": "double", "double": "double", "float8": "double", "float": "double",
    "real": "real", "float4": "real",
    "boolean": "boolean", "bool": "boolean",
    "timestamp with time zone": "timestamptz", "timestamptz": "timestamptz",
    "timestamp without time zone": "timestamp", "timestamp": "timestamp", "datetime": "timestamp",
    "date": "date", "time without time zone": "time", "time": "time", "time with time zone": "timetz",
    "json": "json", "jsonb": "jsonb", "uuid": "uuid",
    "bytea": "bytes", "blob": "bytes", "binary": "bytes", "varbinary": "bytes",
    "serial": "integer", "bigserial": "bigint", "smallserial": "smallint",
}

FAMILY = {
    "varchar": "text", "char": "text", "text": "text",
    "smallint": "integer", "integer": "integer", "bigint": "integer",
    "numeric": "numeric", "real": "float", "double": "float",
    "boolean": "boolean",
    "timestamp": "timestamp", "timestamptz": "timestamp",
    "date": "date", "time": "time", "timetz": "time",
    "json": "json", "jsonb": "json", "uuid": "uuid", "bytes": "bytes",
}

#: Within a family, how much a base type holds (text lengths and numeric precision are compared apart).
_WIDTH = {"smallint": 1, "integer": 2, "bigint": 3, "real": 1, "double": 2, "char": 1, "varchar": 2, "text": 3}

_SHAPE = re.compile(r"^(?P<base>[a-z ]+?)\s*(?:\((?P<args>[^)]*)\))?\s*"
                    r"(?P<tail>with(?:out)? time zone)?(?P<array>(?:\[\])*)$")


@dataclass(frozen=True, slots=True)
class CanonicalType:
    base: str  # varchar, numeric, timestamptz, ... (see _PG_NAMES' values)
    args: tuple[int, ...] = ()  # length, (precision, scale), or fractional-second precision
    array: bool = False

    @property
    def family(self) -> str:
        return "array" if self.array else FAMILY.get(self.base, "other")

    def __str__(self) -> str:
        text = self.base + (f"({','.join(map(str, self.args))})" if self.args else "")
        return text + ("[]" if self.array else "")


def parse_type(declared: str) -> CanonicalType:
    """`character varying(36)`, `VARCHAR(36)`, `NUMERIC(10, 2)`, `timestamp(3) with time zone`,
    `DATETIME`, `JSONB`, `text[]` ... -> CanonicalType. Unknown names are kept, lower-cased."""
    text = " ".join(declared.strip().lower().replace('"', "").split())
    match = _SHAPE.match(text)
    if not match:
        return CanonicalType(text)
    base = match["base"].strip()
    if match["tail"]:
        base = f"{base} {match['tail']}"
    args = tuple(int(a) for a in (match["args"] or "").replace(" ", "").split(",") if a.lstrip("-").isdigit())
    base = _PG_NAMES.get(base, base)
    if base in ("timestamp", "timestamptz", "time") and args == (6,):
        args = ()  # 6 is the default fractional precision on PostgreSQL
    if base == "double" and args == (53,):
        args = ()
    return CanonicalType(base, args, bool(match["array"]))


@dataclass(frozen=True, slots=True)
class TypeChange:
    """How a candidate type relates to the legacy type: `narrowed`, `widened` or `changed`."""

    direction: str
    reason: str


def compare_types(legacy: CanonicalType, candidate: CanonicalType, *, same_engine: bool) -> TypeChange | None:
    """None when the types are equivalent; otherwise how they differ.

    Across engines only what both can express is compared: SQLite has no time-zone flag, no JSONB and
    stores any text length, so (timestamp, timestamptz), (json, jsonb) and lengths are not held against it.
    """
    if legacy == candidate:
        return None
    family = legacy.family
    if family != candidate.family:
        return TypeChange("changed", f"{legacy} became {candidate} (another kind of value)")
    if not same_engine and family in _ONE_ENGINE_ONLY:
        return None
    return _BY_FAMILY.get(family, _changed)(legacy, candidate, same_engine)


def _changed(legacy: CanonicalType, candidate: CanonicalType, same_engine: bool) -> TypeChange:
    return TypeChange("changed", f"{legacy} became {candidate}")


def _json(legacy: CanonicalType, candidate: CanonicalType, same_engine: bool) -> TypeChange:
    return TypeChange("changed", f"{legacy} became {candidate} (key order and duplicate keys behave differently)")


def _timestamp(legacy: CanonicalType, candidate: CanonicalType, same_engine: bool) -> TypeChange:
    if legacy.base != candidate.base:
        return TypeChange("changed", f"{legacy} became {candidate} (time-zone handling differs)")
    return _by_args(legacy, candidate, "fractional-second precision")


def _text(legacy: CanonicalType, candidate: CanonicalType, same_engine: bool) -> TypeChange | None:
    """Lengths decide first: varchar(36) vs text is narrowing whatever the base names say."""
    ll = legacy.args[0] if legacy.args else None
    lc = candidate.args[0] if candidate.args else None
    if not same_engine and legacy.base in ("varchar", "text") and candidate.base in ("varchar", "text"):
        return None if ll == lc or None in (ll, lc) else _length(ll, lc, legacy, candidate)
    if ll != lc:
        return _length(ll, lc, legacy, candidate)
    return _width(legacy, candidate, same_engine)


def _width(legacy: CanonicalType, candidate: CanonicalType, same_engine: bool) -> TypeChange | None:
    """Types of one family ordered by what they hold (smallint < integer < bigint, real < double, ...)."""
    wl, wc = _WIDTH.get(legacy.base, 0), _WIDTH.get(candidate.base, 0)
    if wl == wc:
        return None if legacy.args == candidate.args else _changed(legacy, candidate, same_engine)
    direction = "narrowed" if wc < wl else "widened"
    return TypeChange(direction, f"{legacy} {direction} to {candidate}")


def _length(ll: int | None, lc: int | None, legacy: CanonicalType, candidate: CanonicalType) -> TypeChange:
    narrowed = lc is not None and (ll is None or lc < ll)
    direction = "narrowed" if narrowed else "widened"
    return TypeChange(direction, f"{legacy} {direction} to {candidate}")


def _numeric(legacy: CanonicalType, candidate: CanonicalType, same_engine: bool) -> TypeChange | None:
    if not legacy.args or not candidate.args:
        # Unconstrained numeric holds any value: losing the constraint widens, gaining one narrows.
        direction = "widened" if not candidate.args else "narrowed"
        return TypeChange(direction, f"{legacy} {direction} to {candidate}")
    (pl, sl), (pc, sc) = (legacy.args + (0,))[:2], (candidate.args + (0,))[:2]
    if sl != sc:
        # Another scale rounds stored values and changes how they print (10.50 vs 10.500).
        return TypeChange("narrowed" if sc < sl or pc - sc < pl - sl else "changed",
                          f"{legacy} became {candidate}: scale {sl} -> {sc}")
    if pc < pl:
        return TypeChange("narrowed", f"{legacy} narrowed to {candidate}: precision {pl} -> {pc}")
    return TypeChange("widened", f"{legacy} widened to {candidate}: precision {pl} -> {pc}")


def _by_args(legacy: CanonicalType, candidate: CanonicalType, what: str) -> TypeChange:
    al = legacy.args[0] if legacy.args else 6
    ac = candidate.args[0] if candidate.args else 6
    direction = "narrowed" if ac < al else "widened"
    return TypeChange(direction, f"{legacy} {direction} to {candidate} ({what} {al} -> {ac})")


#: Families whose differences one engine alone can express (SQLite: no time zone, no JSONB, one float).
_ONE_ENGINE_ONLY = ("timestamp", "json", "float")
#: How two types of one family compare; other families differ whenever the types do.
_BY_FAMILY = {"json": _json, "timestamp": _timestamp, "numeric": _numeric, "text": _text, "integer": _width,
              "float": _width}
