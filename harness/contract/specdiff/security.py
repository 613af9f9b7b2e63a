"""An operation's security: what changed in its list of requirements (`SECURITY_CHECKS`).

A security list is a set of alternatives, any one of which lets a caller in; one that requires nothing (`{}`, or
an empty list) lets anonymous callers in. An operation without its own list has the document's. The checks report
anonymous access lost or gained, a way to authenticate added or removed, and the scopes an alternative needs.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.contract.specdiff.changes import Emit
from harness.contract.specdiff.rules import (
    SECURITY_ADDED,
    SECURITY_ANONYMOUS_ADDED,
    SECURITY_ANONYMOUS_REMOVED,
    SECURITY_REMOVED,
    SECURITY_SCOPE_ADDED,
    SECURITY_SCOPE_REMOVED,
)


@dataclass(frozen=True, slots=True)
class Requirements:
    """An operation's security requirement list (its own, else the document's), read as alternatives."""

    listed: list[dict[str, list]]
    anonymous: bool
    alternatives: dict[frozenset, dict[str, list]]  # the ones that require something, by the schemes they combine

    @classmethod
    def of(cls, spec: Mapping[str, Any], operation: Mapping[str, Any]) -> Requirements:
        requirements = operation["security"] if "security" in operation else spec.get("security")
        listed = [dict(requirement or {}) for requirement in requirements or ()]
        anonymous = not listed or any(not requirement for requirement in listed)
        return cls(listed, anonymous, {frozenset(r): r for r in listed if r})


def _described(requirements: list[dict[str, list]]) -> str:
    described = [" + ".join(sorted(r)) for r in requirements if r]
    return " or ".join(described) or "nothing"


def _anonymous_access(emit: Emit, old: Requirements, new: Requirements) -> None:
    listed = (old.listed, new.listed)
    if old.anonymous and not new.anonymous:
        emit(SECURITY_ANONYMOUS_REMOVED, "security", *listed, alternatives=_described(new.listed))
    elif new.anonymous and not old.anonymous:
        emit(SECURITY_ANONYMOUS_ADDED, "security", *listed)


def _alternatives_added(emit: Emit, old: Requirements, new: Requirements) -> None:
    for key, requirement in new.alternatives.items():
        # When nothing but anonymous access came before, the anonymous-access rule already says it.
        if key not in old.alternatives and old.alternatives:
            emit(SECURITY_ADDED, "security", None, requirement, alternatives=_described([requirement]))


def _alternatives_removed(emit: Emit, old: Requirements, new: Requirements) -> None:
    for key, requirement in old.alternatives.items():
        if key not in new.alternatives and not new.anonymous:
            emit(SECURITY_REMOVED, "security", requirement, None, alternatives=_described([requirement]))


def _scopes(emit: Emit, old: Requirements, new: Requirements) -> None:
    for key in old.alternatives.keys() & new.alternatives.keys():
        for scheme in sorted(key):
            old_scopes = set(old.alternatives[key][scheme] or ())
            new_scopes = set(new.alternatives[key][scheme] or ())
            location = f"security.{scheme}"
            for scope in sorted(new_scopes - old_scopes):
                if not new.anonymous:  # anonymous access remains: one scope more refuses no one
                    emit(SECURITY_SCOPE_ADDED, location, None, scope, scheme=scheme, scope=scope)
            for scope in sorted(old_scopes - new_scopes):
                emit(SECURITY_SCOPE_REMOVED, location, scope, None, scheme=scheme, scope=scope)


SECURITY_CHECKS = (_anonymous_access, _alternatives_added, _alternatives_removed, _scopes)


def security_changes(emit: Emit, old: Requirements, new: Requirements) -> None:
    for check in SECURITY_CHECKS:
        check(emit, old, new)
