"""`harness replay`'s text and JSON: a line per step of the collection (and per fixup step), its problems
under it, then how many collection requests passed."""
from __future__ import annotations

import json
from typing import Any


def step_lines(report: Any) -> str:
    """One line per step: ok/BAD, the request id, the status against the documented one, the problems."""
    return "\n".join(f"{'ok ' if s.passed else 'BAD'} {s.rid:4} {s.status} (want {s.expected}) {s.name}"
                     + (f"  [fixup: {s.fixup}]" if s.fixup else "") + "".join(f"\n      - {p}" for p in s.problems)
                     for s in report.steps)


def replay_text(report: Any) -> str:
    played = len(report.collection_steps)
    passed = played - sum(not s.passed for s in report.collection_steps)
    return (f"{step_lines(report)}\n{passed}/{played} collection requests got their documented status and passed "
            f"the collection's checks ({len(report.steps) - played} fixup steps).")


def replay_json(report: Any) -> str:
    return json.dumps([{"id": s.rid, "name": s.name, "status": s.status, "expected": s.expected,
                        "problems": s.problems, "passed": s.passed, "fixup": s.fixup, "reproduce": s.curl}
                       for s in report.steps], indent=2)
