"""One OpenAPI document in memory, as the comparison reads it: local references (`#/components/...`) resolved
lazily and guarded against cycles, `allOf` members merged, null-only schemas recognised.

A reference that is not local cannot be compared: `SpecError`, like an unreadable or invalid document.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

#: A backstop for recursion that the $ref guard cannot see (inline self-similar schemas would need a cycle).
MAX_SCHEMA_DEPTH = 48


class SpecError(ValueError):
    """A document that cannot be read or compared; the message is one line."""


class Document:
    """One OpenAPI document: local $ref resolution and allOf merging."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SpecError(f"only local references can be compared, not {ref!r}")
        node: Any = self.spec
        for token in ref[1:].split("/")[1:]:
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpecError(f"unresolvable reference {ref!r}") from None
        return node

    def resolve(self, node: Any) -> tuple[Any, tuple[str, ...]]:
        """What `node` stands for after its $ref chain, and the references followed on the way."""
        refs: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in refs:
                raise SpecError(f"reference cycle through {ref!r}")
            refs.append(ref)
            target = self.lookup(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            # OpenAPI 3.1 lets a $ref carry sibling keywords; they apply on top of the target.
            node = {**target, **siblings} if siblings and isinstance(target, Mapping) else target
        return node, tuple(refs)

    def schema(self, node: Any, depth: int = 0) -> dict[str, Any]:
        """A resolved schema with its allOf members merged in (all of them apply, so their keywords add up)."""
        node, _ = self.resolve(node)
        if node is True or node is None:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, Mapping):
            raise SpecError(f"a schema is not an object: {node!r}")
        if "allOf" not in node:
            return dict(node)
        if depth > MAX_SCHEMA_DEPTH:
            raise SpecError("allOf nested too deeply (a reference cycle?)")
        merged: dict[str, Any] = {}
        for member in node["allOf"]:
            merged = merge(merged, self.schema(member, depth + 1))
        return merge(merged, {k: v for k, v in node.items() if k != "allOf"})

    def is_null(self, node: Any) -> bool:
        """Whether `node` allows null and nothing else (`{type: 'null'}`): the 3.1 spelling of nullable."""
        schema, _ = self.resolve(node)
        if not isinstance(schema, Mapping):
            return False
        kind = schema.get("type")
        return kind == "null" or kind == ["null"] or ("const" in schema and schema["const"] is None)


def merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`extra`'s keywords on top of `base`'s, as allOf combines them: properties and required lists add up."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), Mapping):
            properties = dict(merged[key])
            for name, schema in value.items():
                # The same property in two members must satisfy both: keep both, merged when it is walked.
                properties[name] = {"allOf": [properties[name], schema]} if name in properties else schema
            merged[key] = properties
        elif key == "required" and key in merged:
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        else:
            merged[key] = value
    return merged
