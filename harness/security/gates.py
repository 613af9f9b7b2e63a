"""The security gates, from one reviewed file (scenarios/security.toml): what each check reports and what fails
the area. Accepted findings (a known advisory with a fix not yet released, say) go in the project's reviewed
exceptions file (contracts/accepted-differences.yaml, `area: security`), each with a reason and an expiry.

    [grade]   path = "/api/v1/courses"   candidate = "A+"   legacy = ""      the lowest passing grade per side
    [static]  severity = "low"  confidence = "low"  block = ["high"]  baseline = "bandit-baseline.{side}.json"
    [audit]   source = "osv"  advisories = ""  block = ["critical", "high"]  max_age_days = 365
    [zap]     rules = "zap-rules.tsv"  block = [1]            ZAP's exit codes that fail the gate
    [probes]  examples = 25  block = ["critical", "high"]

Paths are relative to the file's folder. `load_gates` refuses an unknown table or key, or a value of the wrong
kind, with one line (ConfigError, exit 2).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError
from harness.core.results import Severity
from harness.core.reviewed import read_reviewed_toml

#: The Observatory's grades, best first.
GRADES = ("A+", "A", "A-", "B+", "B", "B-", "C+", "C", "C-", "D+", "D", "D-", "F")
SEVERITIES = tuple(str(s) for s in Severity)
_KEYS: dict[str, dict[str, type]] = {
    "grade": {"path": str, "candidate": str, "legacy": str},
    "static": {"severity": str, "confidence": str, "block": list, "baseline": str},
    "audit": {"source": str, "advisories": str, "block": list, "max_age_days": int},
    "zap": {"rules": str, "block": list},
    "probes": {"examples": int, "block": list},
}


@dataclass(frozen=True, slots=True)
class SecurityGates:
    source: Path
    graded_path: str = "/api/v1/courses"
    min_grade: Mapping[str, str] | None = None  # side -> the lowest passing grade ("" or absent: reported only)
    static_severity: str = "low"
    static_confidence: str = "low"
    static_block: frozenset[str] = frozenset({"high"})
    bandit_baseline: Path | None = None
    audit_source: str = "osv"
    advisories: Path | None = None
    audit_block: frozenset[str] = frozenset({"critical", "high"})
    max_age_days: int = 365
    zap_rules: Path | None = None
    zap_block: frozenset[int] = frozenset({1})
    probe_examples: int = 25
    probe_block: frozenset[str] = frozenset({"critical", "high"})

    def grade_passes(self, side: str, grade: str) -> bool | None:
        """None when the side has no minimum (its grade is reported, not judged)."""
        wanted = (self.min_grade or {}).get(side) or ""
        if not wanted:
            return None
        return grade in GRADES and GRADES.index(grade) <= GRADES.index(wanted)


def load_gates(path: Path) -> SecurityGates:
    where = f"security gates {path}"
    document = read_reviewed_toml(path, "security gates")
    tables = {name: _table(document, name, where) for name in _KEYS}
    unknown = sorted(set(document) - set(_KEYS))
    if unknown:
        raise ConfigError(f"{where}: unknown table [{unknown[0]}] (known: {', '.join(_KEYS)})")
    grade, static, audit, zap, probes = (tables[name] for name in _KEYS)
    base = path.parent
    return SecurityGates(
        source=path, graded_path=_path(grade.get("path", "/api/v1/courses"), where),
        min_grade={side: _grade(grade.get(side, ""), where) for side in ("legacy", "candidate")},
        static_severity=_level(static.get("severity", "low"), where), static_confidence=_level(
            static.get("confidence", "low"), where),
        static_block=_severities(static.get("block", ["high"]), where),
        bandit_baseline=base / static["baseline"] if static.get("baseline") else None,
        audit_source=_choice(audit.get("source", "osv"), ("osv", "pip-audit"), "[audit] source", where),
        advisories=base / audit["advisories"] if audit.get("advisories") else None,
        audit_block=_severities(audit.get("block", ["critical", "high"]), where),
        max_age_days=audit.get("max_age_days", 365),
        zap_rules=base / zap["rules"] if zap.get("rules") else None,
        zap_block=_exit_codes(zap.get("block", [1]), where),
        probe_examples=_positive(probes.get("examples", 25), "[probes] examples", where),
        probe_block=_severities(probes.get("block", ["critical", "high"]), where))


def _table(document: Mapping[str, Any], name: str, where: str) -> Mapping[str, Any]:
    table = document.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: {name} must be a table ([{name}])")
    for key, value in table.items():
        expected = _KEYS[name].get(key)
        if expected is None:
            raise ConfigError(f"{where}: unknown key [{name}] {key} (known: {', '.join(_KEYS[name])})")
        if not isinstance(value, expected) or isinstance(value, bool):
            kind = {int: "an integer", str: "a string", list: "a list"}.get(expected, "value")  # type: ignore[call-overload]
            raise ConfigError(f"{where}: [{name}] {key} must be {kind}, not {value!r}")
    return table


def _grade(value: str, where: str) -> str:
    if value and value not in GRADES:
        raise ConfigError(f"{where}: [grade] {value!r} is not a grade (one of {', '.join(GRADES)})")
    return value


def _level(value: str, where: str) -> str:
    return _choice(value.lower(), ("low", "medium", "high"), "[static] severity/confidence", where)


def _choice(value: str, allowed: tuple[str, ...], what: str, where: str) -> str:
    if value not in allowed:
        raise ConfigError(f"{where}: {what} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _severities(values: list[Any], where: str) -> frozenset[str]:
    bad = [value for value in values if value not in SEVERITIES]
    if bad:
        raise ConfigError(f"{where}: {bad[0]!r} is not a severity (one of {', '.join(SEVERITIES)})")
    return frozenset(values)


def _exit_codes(values: list[Any], where: str) -> frozenset[int]:
    bad = [value for value in values if value not in (1, 2, 3)]
    if bad:
        raise ConfigError(f"{where}: [zap] block holds ZAP exit codes (1 FAIL, 2 WARN, 3 error), not {bad[0]!r}")
    return frozenset(values)


def _positive(value: int, what: str, where: str) -> int:
    if value < 1:
        raise ConfigError(f"{where}: {what} must be at least 1, not {value}")
    return value


def _path(value: str, where: str) -> str:
    if not value.startswith("/") or "//" in value or any(c.isspace() for c in value):
        raise ConfigError(f"{where}: [grade] path must be a path on the app (\"/api/v1/courses\"), not {value!r}")
    return value
