"""Keeps a stateful flow comparable across sides: the ids and tokens each side minted for the same step.

The flow is driven by the primary side. After each step, the primary's and the other side's responses are
walked in parallel (same JSON paths; Set-Cookie by cookie name); where both hold a fresh id-like value (a UUID,
a JWT, a hex digest) that differs, the pair is recorded. The next request is translated primary -> side
before it is sent, and the side's responses are translated back side -> primary before comparison, so
a course created with id A on legacy and id B on Django compares as the same course.
"""
from __future__ import annotations

import re
from http.cookies import SimpleCookie
from typing import Any

from .exchange import Reply, Sent

_ID_LIKE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # UUID
    r"|[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWT
    r"|[0-9a-f]{32,128}"  # hex digest (csrf token, session key)
    r"|[A-Za-z0-9_-]{20,}"  # opaque keys (upload session keys)
)


_EMBEDDED = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


_TOKEN_RUN = re.compile(r"[A-Za-z0-9_.\-]{20,}")


def id_like(value: Any) -> bool:
    return isinstance(value, str) and bool(_ID_LIKE.fullmatch(value))


class IdMap:
    """primary value <-> side value, for one side."""

    def __init__(self) -> None:
        self.forward: dict[str, str] = {}
        self.backward: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.forward)

    def learn(self, primary: Any, side: Any) -> None:
        if not (id_like(primary) and id_like(side)) or primary == side:
            return
        if primary in self.forward or side in self.backward:
            return  # first sighting wins: a later reuse is a reference, not a new mint
        self.forward[primary], self.backward[side] = side, primary

    def learn_replies(self, primary: Reply, side: Reply) -> None:
        self._walk(primary.json, side.json)
        pc, sc = _cookies(primary), _cookies(side)
        for name in pc.keys() & sc.keys():
            self.learn(pc[name], sc[name])
        for name in ("Location",):
            p, s = primary.header(name), side.header(name)
            if p and s:
                for a, b in zip(_ID_LIKE.findall(p), _ID_LIKE.findall(s), strict=False):  # pairs as far as both go
                    self.learn(a, b)

    def _walk(self, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a.keys() & b.keys():
                self._walk(a[key], b[key])
        elif isinstance(a, list) and isinstance(b, list):
            for x, y in zip(a, b, strict=False):  # a longer list's tail has no counterpart to map
                self._walk(x, y)
        elif isinstance(a, str) and isinstance(b, str) and a != b:
            if id_like(a) and id_like(b):
                self.learn(a, b)
            else:  # ids inside text: a file name "<uuid>_video.mp4", a URL, a storage key
                found_a, found_b = _EMBEDDED.findall(a), _EMBEDDED.findall(b)
                if len(found_a) == len(found_b):
                    for x, y in zip(found_a, found_b, strict=True):
                        self.learn(x, y)

    @staticmethod
    def _substitute(text: str, table: dict[str, str]) -> str:
        """Replace every known value in `text`: UUIDs wherever they stand (inside file names too), then whole
        runs of token characters (JWTs, digests, opaque keys). Two scans with fixed patterns, whatever the
        map's size."""
        if not table or not text:
            return text
        text = _EMBEDDED.sub(lambda m: table.get(m.group(0), m.group(0)), text)
        return _TOKEN_RUN.sub(lambda m: table.get(m.group(0), m.group(0)), text)

    def to_side(self, text: str) -> str:
        return self._substitute(text, self.forward)

    def to_primary(self, text: str) -> str:
        return self._substitute(text, self.backward)

    def translate(self, sent: Sent) -> Sent:
        """The primary's request as this side must receive it."""
        if not self.forward:
            return Sent(sent.method, sent.path, list(sent.headers), sent.body)
        # latin-1 maps every byte to one character and back: ids inside a multipart body are translated
        # without touching the binary parts around them.
        body = self.to_side(sent.body.decode("latin-1")).encode("latin-1") if sent.body else sent.body
        return Sent(sent.method, self.to_side(sent.path), [(k, self.to_side(v)) for k, v in sent.headers], body)

    def untranslate(self, reply: Reply) -> Reply:
        """The side's reply with its minted ids replaced by the primary's, for comparison."""
        if not self.backward:
            return reply
        body = self.to_primary(reply.body.decode("latin-1")).encode("latin-1")
        return Reply(reply.status, [(k, self.to_primary(v)) for k, v in reply.headers], body)


def _cookies(reply: Reply) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in reply.headers_named("Set-Cookie"):
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # noqa: BLE001 - a malformed cookie is compared elsewhere, not mapped
            continue
        out.update({name: morsel.value for name, morsel in jar.items()})
    return out
