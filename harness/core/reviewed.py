"""Reviewed exceptions: the one loader of accepted differences, for every area.

A reviewed exception says "this difference is known and safe", with a reason a reviewer can check and a date
after which it must be reviewed again:

    - area: contract                            # the area whose findings it covers
      operation: "P2 POST /api/v1/auth/login"   # the area's match keys: fnmatch patterns
      field: "header:x-frame-options"
      reason: "Django adds security headers by default; the plan wants them"
      expires: 2027-03-31

Files are YAML, TOML or JSON: a list of entries, or a table whose only key `allow` holds the list. Each area
declares the keys it matches on (`declare_match_keys`, at import of its area module); an entry naming an area
that declared none, a key its area does not match on, a missing required key, a value outside a key's choices,
a reason under 10 characters or a missing or malformed expiry date is refused with one line naming the file and
the entry (ConfigError, exit 2). A file given for one area (`area=` to `load_reviewed`) may leave `area` out.

`split` applies the entries to an area's items: a covered item is kept, marked accepted, and does not fail the
gate; an entry past its expiry date covers nothing and is a blocking finding by itself (`expired_findings`),
so an exception is reviewed again, never forgotten.
"""
from __future__ import annotations

import datetime as dt
import fnmatch
import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from .errors import ConfigError
from .results import Finding, Severity

Item = TypeVar("Item")
COMMON_KEYS = ("area", "reason", "expires")
MIN_REASON = 10


class ReviewedError(ConfigError):
    """A reviewed-exceptions file that cannot be read or holds a malformed entry: one line, exit 2."""


@dataclass(frozen=True, slots=True)
class MatchKeys:
    """What an area's entries match on: required and optional keys (fnmatch patterns), and for some keys the
    values a pattern must be able to match (a pattern that matches none of them would silently cover nothing)."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


_DECLARED: dict[str, MatchKeys] = {}


def declare_match_keys(area: str, keys: MatchKeys) -> None:
    """Called by an area's module: entries for `area` match on `keys`."""
    _DECLARED[area] = keys


def declared_areas(name: str | None = None) -> dict[str, MatchKeys]:
    """The areas that declared their keys; every area is imported first when `name` (or any) is not among them
    yet (an area declares its keys when its module is imported, and a command imports only its own)."""
    if name is None or name not in _DECLARED:
        from .areas import discover_areas

        discover_areas()
    return dict(_DECLARED)


@dataclass(frozen=True, slots=True)
class Reviewed:
    area: str
    patterns: Mapping[str, str]
    reason: str
    expires: dt.date
    index: int = 0
    source: str = ""

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def matches(self, values: Mapping[str, str]) -> bool:
        """Every pattern of the entry matches the item's value of that key (a key the item lacks: no match)."""
        return all(key in values and fnmatch.fnmatchcase(str(values[key]), pattern)
                   for key, pattern in self.patterns.items())

    def describe(self) -> str:
        keys = " ".join(f"{key}={pattern}" for key, pattern in self.patterns.items())
        return f"{self.source} entry {self.index} ({self.area} {keys})"

    def as_dict(self) -> dict[str, Any]:
        return {"area": self.area, **self.patterns, "reason": self.reason, "expires": self.expires.isoformat(),
                "source": self.source, "entry": self.index}


# -- loading --------------------------------------------------------------------------------------------------

def load_reviewed(path: str | Path, *, area: str | None = None, missing_ok: bool = False) -> list[Reviewed]:
    """Every entry of the file, checked. `area`: the file is that area's own (entries may leave `area` out)."""
    path = Path(path)
    if missing_ok and not path.exists():
        return []
    data = _unwrap(_parse(path), path)
    return [_entry(raw, path, number, area) for number, raw in enumerate(data, 1)]


def _parse(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReviewedError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        if path.suffix == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text) or []
    except Exception as exc:  # noqa: BLE001 - each parser has its own error type; all mean "not a valid file"
        kind = {".toml": "TOML", ".json": "JSON"}.get(path.suffix, "YAML")
        reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
        raise ReviewedError(f"{path} is not valid {kind}: {reason}") from None


def _unwrap(data: Any, path: Path) -> list[Any]:
    if isinstance(data, dict):
        other = sorted(str(key) for key in data if key != "allow")
        if other or "allow" not in data:
            raise ReviewedError(f"{path}: unknown top-level key{'s' if len(other) > 1 else ''} "
                                f"{', '.join(other) or '(none)'}; expected a list of entries (or an `allow` list)")
        data = data["allow"]
    if not isinstance(data, list):
        raise ReviewedError(f"{path}: expected a list of entries, not {type(data).__name__}")
    return data


def _entry(raw: Any, path: Path, number: int, area: str | None) -> Reviewed:
    where = f"{path} entry {number}"
    if not isinstance(raw, dict):
        raise ReviewedError(f"{where}: expected a mapping of keys to values")
    raw = {"area": area, **raw} if area is not None and "area" not in raw else raw
    keys = _area_keys(raw.get("area"), where)
    _check_keys(raw, keys, where)
    patterns = {key: str(raw[key]) for key in keys.names if raw.get(key) not in (None, "")}
    return Reviewed(area=str(raw["area"]), patterns=patterns, reason=_reason(raw, where),
                    expires=_expires(raw, where), index=number, source=str(path))


def _area_keys(area: Any, where: str) -> MatchKeys:
    if area in (None, ""):
        raise ReviewedError(f"{where}: 'area' is required")
    declared = declared_areas(str(area))
    if area not in declared:
        raise ReviewedError(f"{where}: area must be one of {', '.join(sorted(declared))}, not {area!r}")
    return declared[area]


def _check_keys(raw: Mapping[str, Any], keys: MatchKeys, where: str) -> None:
    unknown = sorted(set(raw) - set(COMMON_KEYS) - set(keys.names))
    if unknown:
        raise ReviewedError(f"{where}: unknown key(s) {', '.join(unknown)}; a {raw['area']} entry matches on "
                            f"{', '.join(keys.names)}")
    for key in keys.required:
        if raw.get(key) in (None, ""):
            raise ReviewedError(f"{where}: '{key}' is required (an fnmatch pattern, '*' for any)")
    for key in keys.names:
        _check_pattern(raw.get(key), key, keys.choices.get(key), where)


def _check_pattern(value: Any, key: str, choices: tuple[str, ...] | None, where: str) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise ReviewedError(f"{where}: '{key}' must be text, not {type(value).__name__}")
    if choices and not any(fnmatch.fnmatchcase(choice, value) for choice in choices):
        raise ReviewedError(f"{where}: {key} {value!r} matches none of {', '.join(choices)}")


def _reason(raw: Mapping[str, Any], where: str) -> str:
    reason = str(raw.get("reason") or "").strip()
    if not reason:
        raise ReviewedError(f"{where}: 'reason' is required: say why the difference is accepted")
    if len(reason) < MIN_REASON:
        raise ReviewedError(f"{where}: 'reason' must explain the exception ({MIN_REASON}+ characters)")
    return reason


def _expires(raw: Mapping[str, Any], where: str) -> dt.date:
    value = raw.get("expires")
    if value in (None, ""):
        raise ReviewedError(f"{where}: 'expires' is required (YYYY-MM-DD): an exception is reviewed again by then")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ReviewedError(f"{where}: 'expires' must be a date (YYYY-MM-DD), not {value!r}") from None


# -- applying --------------------------------------------------------------------------------------------------

def for_area(entries: Iterable[Reviewed], area: str) -> list[Reviewed]:
    return [entry for entry in entries if entry.area == area]


@dataclass(slots=True)
class Split(Generic[Item]):
    """An area's items split by its reviewed exceptions."""

    remaining: list[Item] = field(default_factory=list)
    accepted: list[tuple[Item, Reviewed]] = field(default_factory=list)
    expired: list[Reviewed] = field(default_factory=list)
    unused: list[Reviewed] = field(default_factory=list)


def split(items: Iterable[Item], entries: Iterable[Reviewed], covers: Callable[[Reviewed, Item], bool], *,
          today: dt.date | None = None) -> Split[Item]:
    """Each item covered by the first live entry that `covers` it is accepted; the rest remain."""
    today = today or dt.date.today()
    entries = list(entries)
    live = [entry for entry in entries if not entry.expired(today)]
    result: Split[Item] = Split(expired=[entry for entry in entries if entry.expired(today)])
    used: set[int] = set()
    for item in items:
        entry = next((entry for entry in live if covers(entry, item)), None)
        if entry is None:
            result.remaining.append(item)
        else:
            used.add(id(entry))
            result.accepted.append((item, entry))
    result.unused = [entry for entry in live if id(entry) not in used]
    return result


def expired_findings(area: str, expired: Iterable[Reviewed], today: dt.date | None = None) -> list[Finding]:
    """One blocking finding per expired entry of `area`: the gate fails until the exception is reviewed."""
    today = today or dt.date.today()
    return [Finding(id=f"{area}.reviewed-expired:{entry.index}", check="accepted_difference_expired",
                    severity=Severity.HIGH,
                    message=f"accepted difference {entry.describe()} expired on {entry.expires.isoformat()} "
                            f"(today {today.isoformat()}): review it again and move its date, or remove it",
                    evidence=entry.as_dict())
            for entry in expired]


def read_reviewed_toml(path: Path, what: str) -> dict[str, Any]:
    """One of the reviewed TOML files (`what`: "load profiles", "security gates", "scorecard gates"); ConfigError
    (exit 2, one line naming the file) when it cannot be read or is not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{what} {path}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{what} {path}: not valid TOML: {exc}") from None
