"""SARIF 2.1.0, the one shape every security tool's findings take for code-scanning UIs (GitHub, VS Code).

    sarif_log([run, ...])                       the document
    sarif_run(name=..., version=..., rules=[...], results=[...], information_uri=...)
    sarif_rule(rule_id, name, short, help_uri=None, properties=None)
    sarif_result(rule_id, level, message, uri=..., line=..., fingerprints=..., baseline_state=...)

`baselineState` (new / unchanged / updated / absent) and `partialFingerprints` sit on each result, as the
specification places them (§3.27.24, §3.27.17), so a viewer shows what a change brought.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.core.results import Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"  # a name for validators; nothing fetches it
LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
          Severity.INFO: "note"}
BASELINE_STATES = frozenset({"new", "unchanged", "updated", "absent"})


def sarif_log(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}


def sarif_run(*, name: str, version: str, rules: list[dict[str, Any]], results: list[dict[str, Any]],
              information_uri: str | None = None) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": name, "version": version, "rules": rules}
    if information_uri:
        driver["informationUri"] = information_uri
    return {"tool": {"driver": driver}, "results": results, "columnKind": "utf16CodeUnits"}


def sarif_rule(rule_id: str, name: str, short: str, *, help_uri: str | None = None,
               properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": rule_id, "name": name, "shortDescription": {"text": short}}
    if help_uri:
        rule["helpUri"] = help_uri
    if properties:
        rule["properties"] = dict(properties)
    return rule


def sarif_result(rule_id: str, severity: Severity | str, message: str, *, uri: str | None = None,
                 line: int | None = None, fingerprints: Mapping[str, str] | None = None,
                 baseline_state: str | None = None, properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One result; `uri` is a file path relative to the source root or a URL, `line` 1-based."""
    result: dict[str, Any] = {"ruleId": rule_id, "level": LEVELS[Severity(severity)], "message": {"text": message}}
    if uri is not None:
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if line is not None:
            physical["region"] = {"startLine": max(1, int(line))}
        result["locations"] = [{"physicalLocation": physical}]
    if fingerprints:
        result["partialFingerprints"] = dict(fingerprints)
    if baseline_state is not None:
        if baseline_state not in BASELINE_STATES:
            raise ValueError(f"baselineState must be one of {sorted(BASELINE_STATES)}, not {baseline_state!r}")
        result["baselineState"] = baseline_state
    if properties:
        result["properties"] = dict(properties)
    return result
