"""API.md's route table as both apps' surface tests use it: the documented routes, the comparison of an
app's routes with them (framework-neutral: every path parameter becomes `{}`), and the §1.7 CSRF rule."""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from harness.api_doc import DEFAULT_PATH, Route, routes

ROUTES: list[Route] = routes()
#: API.md §1.7's "Exempt" row: the rows whose unsafe calls need no X-CSRF-Token.
CSRF_EXEMPT: frozenset[str] = frozenset(re.findall(r"\b[PX]\d+\b", next(
    line for line in DEFAULT_PATH.read_text(encoding="utf-8").splitlines() if line.startswith("| Exempt |"))))


def pattern(rule: str) -> str:
    """A served rule (Flask `<id>`, `<uuid:id>`; Django `<str:id>`, `<path:name>`) as API.md's path
    with every parameter as `{}` (Route.pattern)."""
    return re.sub(r"<[^>]+>", "{}", rule)


def surface_drift(served: Iterable[tuple[str, str]]) -> dict[str, set[tuple[str, str]]]:
    """(method, rule) pairs an app serves against API.md's routes: what is served but undocumented, and
    what is documented but not served (both empty when the app serves exactly the documented routes)."""
    documented = {(r.method, r.pattern) for r in ROUTES}
    actual = {(method, pattern(rule)) for method, rule in served}
    return {"undocumented": actual - documented, "missing": documented - actual}


def concrete(path: str) -> str:
    """A documented path with its parameters filled in (a real category, random ids)."""
    return re.sub(r"\{\w+\}", lambda m: "videos" if m.group(0) == "{category}" else str(uuid.uuid4()), path)
