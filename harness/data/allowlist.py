"""Reviewed allow-lists of accepted schema differences, each with a reason and, optionally, an expiry.

A file (YAML, TOML or JSON) holds a list of entries, under the key `allow` in TOML/JSON objects:

    - kind: index_extra          # fnmatch patterns, like table and name
      table: courses
      name: "*_like"
      severity: cosmetic         # optional: the entry covers only differences of this severity
      reason: Django adds LIKE indexes to every indexed varchar column; harmless for the legacy app.
      expires: 2026-06-30        # optional: after this date the entry no longer applies

An entry without a reason is refused: an allow-list hides drift, so every line must say why. So is a file of
another shape (a top-level key other than `allow`, entries that are not mappings of strings) and a `kind`
that names no kind of difference: ignored, they would leave the file silently doing nothing.
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .connect import DataInputError
from .model import KINDS, SEVERITIES, SchemaDifference


class AllowListError(DataInputError):
    """The allow-list file cannot be read or an entry is malformed."""


@dataclass(frozen=True, slots=True)
class AllowEntry:
    kind: str
    table: str
    reason: str
    name: str = "*"
    severity: str | None = None
    expires: date | None = None

    def matches(self, difference: SchemaDifference) -> bool:
        return (fnmatch.fnmatchcase(difference.kind, self.kind)
                and fnmatch.fnmatchcase(difference.table, self.table)
                and fnmatch.fnmatchcase(difference.name, self.name)
                and (self.severity is None or self.severity == difference.severity))

    def as_dict(self) -> dict:
        return {"kind": self.kind, "table": self.table, "name": self.name, "severity": self.severity,
                "reason": self.reason, "expires": self.expires.isoformat() if self.expires else None}


@dataclass(slots=True)
class Allowed:
    """Differences split by an allow-list."""

    remaining: list[SchemaDifference] = field(default_factory=list)
    allowed: list[tuple[SchemaDifference, AllowEntry]] = field(default_factory=list)
    expired: list[AllowEntry] = field(default_factory=list)
    unused: list[AllowEntry] = field(default_factory=list)


def load_allowlist(path: str | Path) -> list[AllowEntry]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AllowListError(f"cannot read allow-list {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        elif path.suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # each parser has its own error type; all mean "not a valid file"
        raise AllowListError(f"allow-list {path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from None
    if isinstance(data, dict):
        other = sorted(str(k) for k in data if k != "allow")
        if other or "allow" not in data:
            raise AllowListError(f"allow-list {path}: unknown top-level key{'s' if len(other) > 1 else ''} "
                                 f"{', '.join(other) or '(none)'}; the entries go in a list under `allow`")
        data = data["allow"]
    if not isinstance(data, list):
        raise AllowListError(f"allow-list {path} must be a list of entries (or an `allow` list), "
                             f"not {type(data).__name__}")
    return [_entry(raw, path, number) for number, raw in enumerate(data, 1)]


def _entry(raw: Any, path: Path, number: int) -> AllowEntry:
    where = f"allow-list {path} entry {number}"
    if not isinstance(raw, dict):
        raise AllowListError(f"{where} is not a mapping")
    unknown = set(raw) - {"kind", "table", "name", "severity", "reason", "expires"}
    if unknown:
        raise AllowListError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
    if not str(raw.get("reason") or "").strip():
        raise AllowListError(f"{where} has no reason: say why the difference is accepted")
    if not raw.get("kind") or not raw.get("table"):
        raise AllowListError(f"{where} needs a kind and a table (fnmatch patterns, '*' for any)")
    wrong = [k for k in ("kind", "table", "name", "reason") if k in raw and not isinstance(raw[k], str)]
    if wrong:
        raise AllowListError(f"{where}: {', '.join(wrong)} must be text, not {type(raw[wrong[0]]).__name__}")
    if not any(fnmatch.fnmatchcase(kind, raw["kind"]) for kind in KINDS):
        raise AllowListError(f"{where}: kind {raw['kind']!r} matches no kind of difference; kinds: {', '.join(KINDS)}")
    severity = raw.get("severity")
    if severity is not None and severity not in SEVERITIES:
        raise AllowListError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
    expires = raw.get("expires")
    if expires is not None and not isinstance(expires, date):
        try:
            expires = date.fromisoformat(str(expires))
        except ValueError:
            raise AllowListError(f"{where}: expires must be a date (YYYY-MM-DD)") from None
    return AllowEntry(str(raw["kind"]), str(raw["table"]), str(raw["reason"]).strip(), str(raw.get("name", "*")),
                      severity, expires)


def apply_allowlist(differences: list[SchemaDifference], entries: list[AllowEntry], *,
                    today: date | None = None) -> Allowed:
    today = today or date.today()
    live = [e for e in entries if e.expires is None or e.expires >= today]
    result = Allowed(expired=[e for e in entries if e not in live])
    used: set[int] = set()
    for difference in differences:
        entry = next((e for e in live if e.matches(difference)), None)
        if entry is None:
            result.remaining.append(difference)
        else:
            used.add(id(entry))
            result.allowed.append((difference, entry))
    result.unused = [e for e in live if id(e) not in used]
    return result
