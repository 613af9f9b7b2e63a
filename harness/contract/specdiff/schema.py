"""JSON-schema comparison: two schemas at one position of an operation, then everything they contain.

`SchemaDiff.compare` reads both sides as the comparison sees them (`_sides`: references followed, allOf merged,
`anyOf: [X, {type: 'null'}]` read as a nullable X), runs the keyword checks on the pair (keywords.py), then walks
into properties (added, removed, required or not), array items, additionalProperties and oneOf/anyOf branches
(matched by the component they name, else by position). A pair of referenced schemas already being compared
further up is not compared again, so recursive schemas end.

A rule id is the schema's position (`request-property`, `response-body`, ...) followed by the keyword family.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.contract.specdiff.changes import Emit, flag_changes
from harness.contract.specdiff.keywords import KEYWORD_CHECKS, SchemaEmit, Side
from harness.contract.specdiff.refs import MAX_SCHEMA_DEPTH, Document, merge
from harness.contract.specdiff.rules import (
    NEW_OPTIONAL_PROPERTY,
    NEW_REQUIRED_PROPERTY,
    NEW_REQUIRED_PROPERTY_WITH_DEFAULT,
    REQUEST_PROPERTY_BECAME_OPTIONAL,
    REQUEST_PROPERTY_BECAME_REQUIRED,
    REQUEST_PROPERTY_REMOVED,
    RESPONSE_OPTIONAL_PROPERTY_ADDED,
    RESPONSE_OPTIONAL_PROPERTY_REMOVED,
    RESPONSE_PROPERTY_BECAME_OPTIONAL,
    RESPONSE_PROPERTY_BECAME_REQUIRED,
    RESPONSE_REQUIRED_PROPERTY_ADDED,
    RESPONSE_REQUIRED_PROPERTY_REMOVED,
)

from .changes import in_both, only_in

#: A property the newer schema no longer has, by (direction, required in the older schema).
_PROPERTY_REMOVED = {
    ("request", True): REQUEST_PROPERTY_REMOVED,
    ("request", False): REQUEST_PROPERTY_REMOVED,
    ("response", True): RESPONSE_REQUIRED_PROPERTY_REMOVED,
    ("response", False): RESPONSE_OPTIONAL_PROPERTY_REMOVED,
}
#: A property only the newer schema has, by (direction, required in the newer schema).
_PROPERTY_ADDED = {
    ("request", True): NEW_REQUIRED_PROPERTY,
    ("request", False): NEW_OPTIONAL_PROPERTY,
    ("response", True): RESPONSE_REQUIRED_PROPERTY_ADDED,
    ("response", False): RESPONSE_OPTIONAL_PROPERTY_ADDED,
}
#: A property both schemas have that became required, or optional, by direction.
_BECAME_REQUIRED = {"request": REQUEST_PROPERTY_BECAME_REQUIRED, "response": RESPONSE_PROPERTY_BECAME_REQUIRED}
_BECAME_OPTIONAL = {"request": REQUEST_PROPERTY_BECAME_OPTIONAL, "response": RESPONSE_PROPERTY_BECAME_OPTIONAL}
#: Keywords holding one subschema, and how the location names what is below them.
_SUBSCHEMAS = (("items", "[]"), ("additionalProperties", ".*"))
#: Keywords holding alternative subschemas, and the rule family of a branch added or removed.
_ALTERNATIVES = (("oneOf", "one-of"), ("anyOf", "any-of"))


def _sides(old_doc: Document, new_doc: Document, old_node: Any, new_node: Any) -> tuple[Side, Side]:
    old_schema, old_refs = old_doc.resolve(old_node)
    new_schema, new_refs = new_doc.resolve(new_node)
    old_schema, new_schema = old_doc.schema(old_schema), new_doc.schema(new_schema)
    old_nullable, new_nullable = _nullable(old_doc, old_schema), _nullable(new_doc, new_schema)
    old_schema, old_inner = _unwrap(old_doc, old_schema)
    new_schema, new_inner = _unwrap(new_doc, new_schema)
    return Side(old_schema, old_nullable, old_refs + old_inner), Side(new_schema, new_nullable, new_refs + new_inner)


class SchemaDiff:
    """Compares two schemas at one position of an operation, in one direction (request or response), reporting
    through the operation's `emit`."""

    def __init__(self, old: Document, new: Document, emit: Emit, direction: str) -> None:
        self.old, self.new, self.emit, self.direction = old, new, emit, direction

    def compare(self, old_node: Any, new_node: Any, location: str, prefix: str,
                seen: frozenset[tuple[tuple[str, ...], tuple[str, ...]]] = frozenset(), depth: int = 0) -> None:
        old, new = _sides(self.old, self.new, old_node, new_node)
        identity = (old.refs, new.refs)
        if (identity[0] or identity[1]) and identity in seen:
            return  # a recursive schema: this pair is already being compared further up
        if depth > MAX_SCHEMA_DEPTH:
            return
        seen = seen | {identity}
        emit = self._emitter(location, prefix)
        for check in KEYWORD_CHECKS:
            check(emit, old, new)
        nested = prefix if prefix == "request-parameter" else f"{self.direction}-property"
        self._properties(old.schema, new.schema, location, nested, seen, depth)
        for keyword, suffix in _SUBSCHEMAS:
            old_sub, new_sub = old.schema.get(keyword), new.schema.get(keyword)
            if isinstance(old_sub, Mapping) and isinstance(new_sub, Mapping):
                self.compare(old_sub, new_sub, f"{location}{suffix}", nested, seen, depth + 1)
        for keyword, family in _ALTERNATIVES:
            self._alternatives(emit, old.schema, new.schema, keyword, family, location, prefix, seen, depth)

    def _emitter(self, location: str, prefix: str) -> SchemaEmit:
        subject = "body" if prefix.endswith("-body") else location.rsplit(".", 1)[-1]

        def emit(family: str, old: Any = None, new: Any = None, **fields: Any) -> None:
            self.emit(f"{prefix}-{family}", location, old, new, subject=subject, **fields)

        return emit

    def _alternatives(self, emit: SchemaEmit, old_schema: Mapping, new_schema: Mapping, keyword: str, family: str,
                      location: str, prefix: str, seen: frozenset, depth: int) -> None:
        old_branches = _branches(self.old, old_schema, keyword)
        new_branches = _branches(self.new, new_schema, keyword)
        for key in only_in(old_branches, new_branches):
            emit(f"{family}-removed", key, None, branch=key)
        for key in only_in(new_branches, old_branches):
            emit(f"{family}-added", None, key, branch=key)
        for key in in_both(old_branches, new_branches):
            self.compare(old_branches[key], new_branches[key], f"{location}.{keyword}[{key}]", prefix, seen,
                         depth + 1)

    def _properties(self, old_schema: Mapping, new_schema: Mapping, location: str, nested: str,
                    seen: frozenset, depth: int) -> None:
        old_properties = old_schema.get("properties") or {}
        new_properties = new_schema.get("properties") or {}
        if not old_properties and not new_properties:
            return
        old_required = set(old_schema.get("required") or ())
        new_required = set(new_schema.get("required") or ())
        for name, old_property in old_properties.items():
            where = f"{location}.{name}"
            if name not in new_properties:
                rule = _PROPERTY_REMOVED[self.direction, name in old_required]
                self.emit(rule, where, name, None, property=name)
                continue
            flag_changes(self.emit, name in old_required, name in new_required, _BECAME_REQUIRED[self.direction],
                         _BECAME_OPTIONAL[self.direction], where, property=name)
            self.compare(old_property, new_properties[name], where, nested, seen, depth + 1)
        for name, new_property in new_properties.items():
            if name not in old_properties:
                self._property_added(name, new_property, f"{location}.{name}", name in new_required)

    def _property_added(self, name: str, schema: Any, where: str, required: bool) -> None:
        rule = _PROPERTY_ADDED[self.direction, required]
        if rule == NEW_REQUIRED_PROPERTY and "default" in self.new.schema(schema):
            rule = NEW_REQUIRED_PROPERTY_WITH_DEFAULT  # a client that leaves it out still sends a valid request
        self.emit(rule, where, None, name, property=name)


# --- how a schema is read ------------------------------------------------------------------------------------

def _nullable(doc: Document, schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if schema.get("nullable") is True or kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(doc.is_null(branch) for keyword in ("oneOf", "anyOf") for branch in schema.get(keyword, ()))


def _unwrap(doc: Document, schema: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`anyOf: [X, {type: 'null'}]` is X made nullable: compare X itself, so both spellings compare equal."""
    for keyword in ("oneOf", "anyOf"):
        branches = schema.get(keyword)
        if not branches:
            continue
        rest = [branch for branch in branches if not doc.is_null(branch)]
        if len(rest) == 1 and len(rest) < len(branches):
            _, refs = doc.resolve(rest[0])
            outer = {k: v for k, v in schema.items() if k != keyword}
            return merge(doc.schema(rest[0]), outer), refs
    return schema, ()


def _branches(doc: Document, schema: Mapping[str, Any], keyword: str) -> dict[str, Any]:
    """oneOf/anyOf branches keyed by the component they name (else their position), null branches left out."""
    keyed: dict[str, Any] = {}
    for index, branch in enumerate(schema.get(keyword, ())):
        if doc.is_null(branch):
            continue
        ref = branch.get("$ref") if isinstance(branch, Mapping) else None
        keyed[ref.rsplit("/", 1)[-1] if isinstance(ref, str) else str(index)] = branch
    return keyed
