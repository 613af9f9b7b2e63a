"""Schema keyword checks: each compares one keyword family of two schemas and reports what changed.

`KEYWORD_CHECKS` is the list `SchemaDiff` runs on every pair of schemas it compares: type and format,
nullability, enum (a const is a one-value enum), pattern, and the numeric bounds of `rules.BOUNDS`. A check
reports a keyword family (`rules.SCHEMA_FAMILIES`, a bound's `<name>-<event>`) through `emit(family, old, new,
**message fields)`; the caller turns the family into the rule of the schema's position.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.contract.specdiff.rules import BOUNDS

from .changes import only_in

SchemaEmit = Callable[..., None]  # emit(family, old, new, **message fields)


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: the schema as compared, whether it allows null, and the references that led to
    it (what identifies a recursive schema)."""

    schema: dict[str, Any]
    nullable: bool
    refs: tuple[str, ...]


def _type(emit: SchemaEmit, old: Side, new: Side) -> None:
    family = _type_family(old.schema, new.schema)
    if family:
        emit(family, _type_value(old.schema), _type_value(new.schema), change=_type_message(old.schema, new.schema))


def _nullability(emit: SchemaEmit, old: Side, new: Side) -> None:
    if new.nullable and not old.nullable:
        emit("became-nullable", False, True)
    elif old.nullable and not new.nullable:
        emit("became-not-nullable", True, False)


def _enum(emit: SchemaEmit, old: Side, new: Side) -> None:
    old_values, new_values = _allowed_values(old.schema), _allowed_values(new.schema)
    if old_values is None and new_values is None:
        return
    if old_values is None:
        emit("became-enum", None, list(new_values.values()), values=_short(list(new_values.values())))
    elif new_values is None:
        emit("became-not-enum", list(old_values.values()), None)
    else:
        for key in only_in(old_values, new_values):
            emit("enum-value-removed", old_values[key], None, value=key)
        for key in only_in(new_values, old_values):
            emit("enum-value-added", None, new_values[key], value=key)


def _pattern(emit: SchemaEmit, old_side: Side, new_side: Side) -> None:
    old, new = old_side.schema.get("pattern"), new_side.schema.get("pattern")
    if old == new:
        return
    if old is None:
        emit("pattern-added", None, new, pattern=_short(new))
    elif new is None:
        emit("pattern-removed", old, None, pattern=_short(old))
    else:
        emit("pattern-changed", old, new, before=_short(old), after=_short(new))


def _bounds(emit: SchemaEmit, old_side: Side, new_side: Side) -> None:
    for keyword, (name, _) in BOUNDS.items():
        old, new = _bound(old_side.schema, keyword), _bound(new_side.schema, keyword)
        if old == new:
            continue
        if old is None:
            emit(f"{name}-set", None, new, after=new)
        elif new is None:
            emit(f"{name}-unset", old, None, before=old)
        else:
            event = "increased" if new > old else "decreased"
            emit(f"{name}-{event}", old, new, before=old, after=new)


def _bound(schema: Mapping[str, Any], keyword: str) -> Any:
    value = schema.get(keyword)
    return None if isinstance(value, bool) else value  # 3.0's boolean exclusiveMaximum only qualifies maximum


KEYWORD_CHECKS: tuple[Callable[[SchemaEmit, Side, Side], None], ...] = (_type, _nullability, _enum, _pattern, _bounds)


# --- what the checks read from a schema ----------------------------------------------------------------------

def _types(schema: Mapping[str, Any]) -> frozenset[str] | None:
    """The non-null types a schema allows, or None for any type (null is the nullable rules' business)."""
    kind = schema.get("type")
    if kind is None:
        return None
    return frozenset([kind] if isinstance(kind, str) else kind) - {"null"}


def _covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    return all(kind in wide or (kind == "integer" and "number" in wide) for kind in narrow)


def _type_family(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    old_types, new_types = _types(old), _types(new)
    if old_types == new_types:
        return _format_family(old.get("format"), new.get("format"))
    if old_types is None or (new_types is not None and _covers(old_types, new_types)):
        return "type-specialized"
    if new_types is None or _covers(new_types, old_types):
        return "type-generalized"
    return "type-changed"


def _format_family(old_format: Any, new_format: Any) -> str | None:
    if old_format == new_format:
        return None
    if new_format is None:
        return "type-generalized"
    return "type-specialized" if old_format is None else "type-changed"


def _type_value(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: schema[key] for key in ("type", "format") if key in schema}


def _type_message(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    old_types, new_types = _types(old), _types(new)
    if old_types == new_types:
        old_format, new_format = old.get("format"), new.get("format")
        if old_format is None:
            return f"format {new_format} was set"
        return f"format {old_format} was removed" if new_format is None else \
            f"format changed from {old_format} to {new_format}"
    return f"type changed from {_type_text(old_types, old)} to {_type_text(new_types, new)}"


def _type_text(types: frozenset[str] | None, schema: Mapping[str, Any]) -> str:
    name = "any type" if types is None else "|".join(sorted(types)) or "null"
    return f"{name} ({schema['format']})" if schema.get("format") else name


def _short(value: Any, limit: int = 48) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)  # 1 and True differ, dicts compare by content


def _allowed_values(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """The enum (a const is a one-value enum) without null, keyed by canonical JSON; None when unrestricted."""
    if "enum" in schema:
        values = schema["enum"] or []
    elif "const" in schema:
        values = [schema["const"]]
    else:
        return None
    return {_canonical(value): value for value in values if value is not None}
