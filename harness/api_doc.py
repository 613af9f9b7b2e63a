"""API.md as data: the documented routes (row id, method, path, guard text, rate limit) parsed from the
route tables of §3, so route coverage is checked against the document, not a hand-kept list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.core import paths

DEFAULT_PATH = paths.API_MD

_ROW = re.compile(
    r"^\| (?P<rid>[PX]\d+) \| (?P<method>GET|POST|PUT|PATCH|DELETE) `(?P<path>/[^`]*)`[^|]*\|(?P<rest>.*)$"
)


@dataclass(frozen=True, slots=True)
class Route:
    rid: str
    method: str
    path: str  # as documented: /api/v1/courses/{course_id}
    auth: str  # the Auth column's text
    rate_limit: str | None  # the RL column: "10" (per minute) or "1/hour"; None for "—" or absent

    @property
    def flask_rule(self) -> str:
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)

    @property
    def limit(self) -> str | None:
        """The rate limit as a `limits` string ("10/minute"), None when the §1.9 defaults apply."""
        if self.rate_limit is None:
            return None
        return self.rate_limit if "/" in self.rate_limit else f"{self.rate_limit}/minute"

    @property
    def pattern(self) -> str:
        """The path with every parameter as `{}`: comparable across frameworks' parameter names."""
        return re.sub(r"\{\w+\}", "{}", self.path)


def routes(path: str | Path = DEFAULT_PATH) -> list[Route]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if not m:
            continue
        cells = [c.strip() for c in m.group("rest").split("|")]
        auth = cells[0] if cells else ""
        rl_cell = re.fullmatch(r"\**(\d+(?:/hour)?)\**(?: \(\*\*Proposed\*\*\))?", cells[1]) if len(cells) > 1 else None
        rl = rl_cell.group(1) if rl_cell else None
        out.append(Route(m.group("rid"), m.group("method"), m.group("path"), auth, rl))
    return out
