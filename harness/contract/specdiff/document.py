"""The document-level comparison: which paths and operations the two documents share, add or remove.

`diff_specs(old, new)` matches paths by their template (`/courses/{id}` and `/courses/{course_id}` are the same
route), reports operations added or removed, and hands each operation both documents have to `OperationDiff`,
unless nothing it depends on changed (`_DocumentDiff.unchanged`). `operation_labels` names every operation of
either document as `diff_specs` names it; `compare` wraps both into `SpecDiff` results, one per direction.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from harness.contract.specdiff.changes import SpecChange, SpecDiff, new_change
from harness.contract.specdiff.operation import OperationDiff
from harness.contract.specdiff.refs import Document, SpecError
from harness.contract.specdiff.rules import (
    API_PATH_REMOVED,
    API_PATH_REMOVED_DEPRECATED,
    API_REMOVED,
    API_REMOVED_DEPRECATED,
    ENDPOINT_ADDED,
)

from .changes import only_in

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

Paths = dict[str, tuple[str, Mapping]]  # path key -> (the path as the document spells it, its path item)


def _path_key(path: str) -> str:
    return re.sub(r"\{[^}/]+\}", "{}", path)  # /courses/{id} and /courses/{course_id} are the same route


def _paths(doc: Document) -> Paths:
    paths = doc.spec.get("paths") or {}
    if not isinstance(paths, Mapping):
        raise SpecError("'paths' is not an object")
    keyed: Paths = {}
    for path, raw in paths.items():
        item, _ = doc.resolve(raw)
        keyed.setdefault(_path_key(str(path)), (str(path), item or {}))
    return keyed


def _operations(item: Mapping) -> Iterator[tuple[str, Mapping]]:
    for method in HTTP_METHODS:
        if isinstance(item.get(method), Mapping):
            yield method, item[method]


def _label(method: str, path: str) -> str:
    return f"{method.upper()} {path}"


def _refs_in(node: Any) -> set[str]:
    refs: set[str] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("$ref"), str):
                refs.add(unquote(node["$ref"]))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return refs


def _changed_components(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    """The references (`#/components/schemas/User`) whose target differs, directly or through what it refers to."""
    old_components, new_components = old.get("components") or {}, new.get("components") or {}
    changed: set[str] = set()
    refers_to: dict[str, set[str]] = {}
    for kind in old_components.keys() | new_components.keys():
        old_kind, new_kind = old_components.get(kind) or {}, new_components.get(kind) or {}
        for name in old_kind.keys() | new_kind.keys():
            ref = f"#/components/{kind}/{str(name).replace('~', '~0').replace('/', '~1')}"
            if old_kind.get(name) != new_kind.get(name):
                changed.add(ref)
            refers_to[ref] = _refs_in(old_kind.get(name)) | _refs_in(new_kind.get(name))
    return _spread(changed, refers_to)


def _spread(changed: set[str], refers_to: dict[str, set[str]]) -> set[str]:
    """`changed` and every reference that leads to one of them, however indirectly."""
    growing = True
    while growing:
        spread = {ref for ref, targets in refers_to.items() if ref not in changed and targets & changed}
        changed |= spread
        growing = bool(spread)
    # A reference elsewhere than components/ is not tracked; treat it as changed to stay on the safe side.
    return changed | {ref for targets in refers_to.values() for ref in targets if not ref.startswith("#/components/")}


class _DocumentDiff:
    """The changes from `old` to `new`, path by path, in the older document's order."""

    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.old, self.new = Document(old), Document(new)
        self.old_paths, self.new_paths = _paths(self.old), _paths(self.new)
        # An operation whose own text is unchanged, and which refers to no component that changed, has not
        # changed: skipping it keeps comparing near-identical documents (the usual case) fast.
        self.changed_components = _changed_components(old, new)
        self.same_root_security = old.get("security") == new.get("security")
        self.out: list[SpecChange] = []

    def emit(self, rule_id: str, operation: str, old: Any = None, new: Any = None, /, **fields: Any) -> None:
        self.out.append(new_change(rule_id, operation, "", old, new, **fields))

    def run(self) -> list[SpecChange]:
        for key, (path, old_item) in self.old_paths.items():
            if key in self.new_paths:
                self.path(path, old_item, *self.new_paths[key])
            else:
                self.path_removed(path, old_item)
        for key, (path, new_item) in self.new_paths.items():
            if key not in self.old_paths:
                for method, _ in _operations(new_item):
                    self.emit(ENDPOINT_ADDED, _label(method, path), None, method.upper())
        return self.out

    def path_removed(self, path: str, old_item: Mapping) -> None:
        for method, op in _operations(old_item):
            rule = API_PATH_REMOVED_DEPRECATED if op.get("deprecated") else API_PATH_REMOVED
            self.emit(rule, _label(method, path), path, None, path=path)

    def path(self, path: str, old_item: Mapping, new_path: str, new_item: Mapping) -> None:
        new_operations = dict(_operations(new_item))
        for method, old_op in _operations(old_item):
            label = _label(method, path)
            if method not in new_operations:
                rule = API_REMOVED_DEPRECATED if old_op.get("deprecated") else API_REMOVED
                self.emit(rule, label, label, None)
                continue
            new_op = new_operations[method]
            if not self.unchanged(path, old_item, old_op, new_path, new_item, new_op):
                OperationDiff(self.old, self.new, label, self.out).run(path, old_item, old_op, new_path, new_item,
                                                                       new_op)
        old_methods = {method for method, _ in _operations(old_item)}
        for method in only_in(new_operations, old_methods):
            self.emit(ENDPOINT_ADDED, _label(method, new_path), None, method.upper())

    def unchanged(self, path: str, old_item: Mapping, old_op: Mapping, new_path: str, new_item: Mapping,
                  new_op: Mapping) -> bool:
        shared_parameters = old_item.get("parameters")
        return (self.same_root_security and path == new_path and old_op == new_op
                and shared_parameters == new_item.get("parameters")
                and not (_refs_in(old_op) | _refs_in(shared_parameters)) & self.changed_components)


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[SpecChange]:
    """Every change from `old` to `new` a client could notice, in the older document's order."""
    return _DocumentDiff(old, new).run()


def operation_labels(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Every operation of either document, named as `diff_specs` names it (the older document's path first)."""
    old_paths, new_paths = _paths(Document(old)), _paths(Document(new))
    labels: list[str] = []
    for key, (path, item) in old_paths.items():
        labels += [_label(method, path) for method, _ in _operations(item)]
        if key in new_paths:
            new_path, new_item = new_paths[key]
            old_methods = {method for method, _ in _operations(item)}
            labels += [_label(method, new_path) for method, _ in _operations(new_item) if method not in old_methods]
    for key, (path, item) in new_paths.items():
        if key not in old_paths:
            labels += [_label(method, path) for method, _ in _operations(item)]
    return labels


def compare(old: Mapping[str, Any], new: Mapping[str, Any], *, old_label: str = "old", new_label: str = "new",
            both_directions: bool = False) -> list[SpecDiff]:
    """`new` against `old`; with `both_directions` also `old` against `new`, which for two apps' specs lists
    whatever the second one offers that the first does not."""
    diffs = [SpecDiff(old_label, new_label, operation_labels(old, new), diff_specs(old, new))]
    if both_directions:
        diffs.append(SpecDiff(new_label, old_label, operation_labels(new, old), diff_specs(new, old)))
    return diffs
