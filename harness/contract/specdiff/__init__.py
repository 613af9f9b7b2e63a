"""Classify the changes between two OpenAPI 3.x documents as breaking, warning or info, the way oasdiff does.

`load_spec(path)` reads and validates a document without leaving its local files; `diff_specs(old, new)` compares
two loaded documents operation by operation and returns one `SpecChange` per change a client could notice
(operations, parameters, request bodies, responses, response headers, security and the schemas under them: nested
properties, array items, allOf merged, oneOf/anyOf branch by branch); `compare(...)` wraps that into `SpecDiff`
results, one per direction, which harness/report/specdiff.py renders; `gate_failed` decides the exit code.

Laid out like oasdiff's checker, one concept per module:

    rules.py      the rule table: every change kind's id, level, summary and message template
    changes.py    SpecChange, SpecDiff, and the gate (FAIL_ON, gate_failed)
    loading.py    load_spec: parsing, validation, and the refusal of any reference outside the local files
    refs.py       a document in memory: local $ref resolution, allOf merging (SpecError)
    document.py   the document-level comparison: paths and operations added, removed or shared
    operation.py  one operation: deprecation, operationId, security, parameters, request body, responses
    security.py   an operation's security requirements: anonymous access, ways to authenticate, scopes
    schema.py     JSON-schema comparison: both sides resolved, then properties, items, oneOf/anyOf branches
    keywords.py   the keyword checks run on every pair of schemas: type, nullability, enum, pattern, bounds
"""
from __future__ import annotations

from harness.contract.specdiff.changes import FAIL_ON, SpecChange, SpecDiff, gate_failed
from harness.contract.specdiff.document import HTTP_METHODS, compare, diff_specs, operation_labels
from harness.contract.specdiff.loading import load_spec, local_file
from harness.contract.specdiff.operation import IGNORED_HEADERS
from harness.contract.specdiff.refs import MAX_SCHEMA_DEPTH, SpecError
from harness.contract.specdiff.rules import (
    BOUND_EVENTS,
    BOUNDS,
    RULES,
    SCHEMA_FAMILIES,
    SCHEMA_PREFIXES,
    Effect,
    Level,
    Rule,
)

__all__ = [
    "BOUND_EVENTS",
    "BOUNDS",
    "FAIL_ON",
    "HTTP_METHODS",
    "IGNORED_HEADERS",
    "MAX_SCHEMA_DEPTH",
    "RULES",
    "SCHEMA_FAMILIES",
    "SCHEMA_PREFIXES",
    "Effect",
    "Level",
    "Rule",
    "SpecChange",
    "SpecDiff",
    "SpecError",
    "compare",
    "diff_specs",
    "gate_failed",
    "load_spec",
    "local_file",
    "operation_labels",
]
