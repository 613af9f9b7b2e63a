"""One request as sent to every side, and each side's reply: the unit the differential check compares."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Sent:
    """A request exactly as one side received it (after id translation)."""

    method: str
    path: str  # path with query string
    headers: list[tuple[str, str]]
    body: bytes = b""


@dataclass(slots=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def headers_named(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    @property
    def json(self) -> Any:
        ctype = (self.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/json" and not ctype.endswith("+json"):
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass(slots=True)
class Exchange:
    """One request fanned out: what each side got and answered. `operation` is "P17 GET /api/v1/courses/{course_id}"
    (or "unmatched GET /path" when the contract has no such operation); `source` names the case generator."""

    seq: int
    operation: str
    source: str
    sent: dict[str, Sent] = field(default_factory=dict)
    replies: dict[str, Reply] = field(default_factory=dict)


def curl(sent: Sent, base_url: str) -> str:
    """The request as a curl command line a person can paste (the finding's reproduction)."""
    import shlex

    parts = ["curl", "-i", "-X", sent.method]
    for k, v in sent.headers:
        if k.lower() in {"host", "content-length"}:
            continue
        parts += ["-H", f"{k}: {v}"]
    if sent.body:
        try:
            parts += ["--data-binary", sent.body.decode()]
        except UnicodeDecodeError:
            parts += ["--data-binary", "@body.bin"]
    parts.append(base_url.rstrip("/") + sent.path)
    return " ".join(shlex.quote(p) for p in parts)


def reply_evidence(reply: Reply, limit: int = 4000) -> dict[str, Any]:
    body: Any = reply.json
    if body is None:
        text = reply.body[:limit].decode("utf-8", "replace")
        body = text
    return {"status": reply.status, "headers": [[k, v] for k, v in reply.headers], "body": body}
