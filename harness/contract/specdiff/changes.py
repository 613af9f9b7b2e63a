"""What a spec diff finds: one `SpecChange` per change a client could notice, a `SpecDiff` per direction, and the
gate over them (`gate_failed`, at a `FAIL_ON` level).

`new_change` makes a change from its rule: the level and the message template come from `RULES`, the check that
found the change gives the location, the old and new values and the template's fields.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from harness.contract.specdiff.rules import RULES, Level

#: `emit(rule_id, location, old, new, **fields)`: what a check calls for each change it finds.
Emit = Callable[..., None]


@dataclass(slots=True)
class SpecChange:
    rule_id: str
    level: Level
    operation: str  # "GET /api/v1/courses/{course_id}", as the older document spells the path
    location: str  # "responses.200.content.application/json.data.user.email"; "" for the whole operation
    message: str
    old: Any = None
    new: Any = None


@dataclass(slots=True)
class SpecDiff:
    """How `new` differs from `old`: every operation either document has, and the changes."""

    old: str
    new: str
    operations: list[str]
    changes: list[SpecChange]

    def count(self, level: Level) -> int:
        return sum(change.level is level for change in self.changes)


def new_change(rule_id: str, operation: str, location: str, old: Any = None, new: Any = None, /,
               **fields: Any) -> SpecChange:
    rule = RULES[rule_id]
    return SpecChange(rule_id, rule.level, operation, location, rule.message.format(**fields), old, new)


def flag_changes(emit: Emit, old: Any, new: Any, turned_on: str, turned_off: str, location: str,
                 **fields: Any) -> None:
    """Report a yes/no keyword (required, deprecated) turned on or off, with False/True as its old and new value."""
    old, new = bool(old), bool(new)
    if new and not old:
        emit(turned_on, location, False, True, **fields)
    elif old and not new:
        emit(turned_off, location, True, False, **fields)


FAIL_ON = {"breaking": Level.BREAKING, "warning": Level.WARNING, "never": None}


def gate_failed(diffs: list[SpecDiff], fail_on: str = "breaking") -> bool:
    """Whether any change is at or above the `--fail-on` level ("never" never fails)."""
    threshold = FAIL_ON[fail_on]
    return threshold is not None and any(
        change.level.rank >= threshold.rank for diff in diffs for change in diff.changes)


def only_in(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    """The keys of `first` that `second` lacks, in `first`'s order: reports list changes in document order,
    the same on every run (a set difference would follow the hash seed)."""
    other = set(second)
    return [key for key in first if key not in other]


def in_both(first: Iterable[Any], second: Iterable[Any]) -> list[Any]:
    """The keys of `first` that `second` has too, in `first`'s order."""
    other = set(second)
    return [key for key in first if key in other]
