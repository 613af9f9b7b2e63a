"""The write ledger: a sink of the fan-out that keeps every write exchange the primary answered with a 2xx and the
ids it named (harness/core/traffic.py's `WriteLog`), so a check after the traffic can name the write behind a
row."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.core.traffic import Write, WriteLog, uuids

from .exchange import Exchange

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WriteLedger(WriteLog):
    """Called with each exchange: keeps the primary's successful writes (not GET, HEAD or OPTIONS)."""

    primary: str = "legacy"

    def __call__(self, ex: Exchange, maps: Any = None) -> None:
        sent, reply = ex.sent.get(self.primary), ex.replies.get(self.primary)
        if sent is None or reply is None or sent.method.upper() in READ_METHODS or not 200 <= reply.status < 300:
            return
        requested = uuids(sent.path, sent.body.decode("latin-1"))
        self.add(Write(ex.seq, ex.operation, ex.source, requested | uuids(reply.body.decode("latin-1")), requested))
