"""Diffy's noise cancellation: a field is reported only when the candidate differs from the primary
clearly more often than a second primary instance differs from the primary.

Per (operation, field) — list indices generalised — over the `total` exchanges of that operation:
`raw` is how many times primary and candidate differed there, `noise` how many times primary and the
noise side (the same legacy code on its own database) did. A field is reported when raw > noise, when
100·(raw − noise)/total exceeds the absolute threshold (percent), and when 100·(raw − noise)/raw exceeds
the relative threshold (percent). Timestamps of rows created during the run, tokens minted per login and
other legitimately varying values differ on both pairs and cancel out; a renamed field or a changed status
differs on the candidate pair only.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from harness.http.compare import Difference, compare, general

from .exchange import Exchange, Sent
from .idmap import IdMap

DEFAULT_RELATIVE = 20.0
DEFAULT_ABSOLUTE = 0.03


@dataclass(slots=True)
class Sample:
    exchange: Exchange
    field: str
    difference: Difference


@dataclass(slots=True)
class FieldVerdict:
    operation: str
    field: str
    kinds: tuple[str, ...]
    raw: int
    noise: int
    total: int
    samples: list[Sample]
    #: who sent the exchanges where the candidate differed ("student2 · bearer" -> how many)
    callers: dict[str, int] = field(default_factory=dict)
    #: the exchanges (by sequence number) where the candidate differed here
    exchanges: frozenset[int] = frozenset()
    #: the fields that differed only where this status did (gate.parity folds them in)
    consequences: list[str] = field(default_factory=list)

    @property
    def absolute(self) -> float:
        return 100.0 * (self.raw - self.noise) / self.total if self.total else 0.0

    @property
    def relative(self) -> float:
        return 100.0 * (self.raw - self.noise) / self.raw if self.raw else 0.0


@dataclass(slots=True)
class Analyzer:
    """The fan-out's sink: compares each exchange on both pairs as it happens and keeps counters and a few
    samples (not the exchanges themselves, so a long run stays small)."""

    primary: str
    candidate: str
    noise_side: str | None
    relative: float = DEFAULT_RELATIVE
    absolute: float = DEFAULT_ABSOLUTE
    max_samples: int = 3
    totals: Counter = field(default_factory=Counter)
    raw: Counter = field(default_factory=Counter)
    noise: Counter = field(default_factory=Counter)
    kinds: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    samples: dict[tuple[str, str], list[Sample]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    #: (side, operation, source of cases) -> how many of its requests that side answered with a 2xx
    successes: Counter = field(default_factory=Counter)
    pairs: int = 0
    #: names the caller of a request (callers.py); None: callers are not told apart
    caller: Callable[[Sent], str] | None = None
    callers: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    seqs: dict[tuple[str, str], set[int]] = field(default_factory=lambda: defaultdict(set))

    def __call__(self, ex: Exchange, maps: dict[str, IdMap]) -> None:
        op = ex.operation
        self.totals[op] += 1
        primary = ex.replies[self.primary]
        for side, reply in ex.replies.items():
            self.statuses[side].add((op, reply.status))
            if 200 <= reply.status < 300:
                self.successes[(side, op, ex.source.split(":", 1)[0])] += 1
        candidate = maps[self.candidate].untranslate(ex.replies[self.candidate])
        raw = compare(primary, candidate)
        self.pairs += 1
        seen: set[tuple[str, str]] = set()  # counted once per exchange, however many list entries differ
        for name, diff in raw.items():
            key = (op, general(name))
            self.kinds[key].add(diff.kind)
            if key in seen:
                continue
            seen.add(key)
            self.raw[key] += 1
            self.seqs[key].add(ex.seq)
            if self.caller is not None:
                self.callers[key][self.caller(ex.sent[self.primary])] += 1
            if len(self.samples[key]) < self.max_samples:
                self.samples[key].append(Sample(ex, name, diff))
        if self.noise_side is not None:
            noisy = compare(primary, maps[self.noise_side].untranslate(ex.replies[self.noise_side]))
            self.pairs += 1
            for key in {(op, general(name)) for name in noisy}:
                self.noise[key] += 1

    def verdicts(self) -> list[FieldVerdict]:
        """Every (operation, field) where the candidate differed, reported or not (see `reported`)."""
        out = []
        for key, raw in sorted(self.raw.items()):
            op, name = key
            out.append(FieldVerdict(op, name, tuple(sorted(self.kinds[key])), raw, self.noise.get(key, 0),
                                    self.totals[op], list(self.samples[key]), dict(self.callers.get(key, {})),
                                    frozenset(self.seqs.get(key, ()))))
        return out

    def reported(self, verdict: FieldVerdict) -> bool:
        return (verdict.raw > verdict.noise and verdict.absolute > self.absolute
                and verdict.relative > self.relative)

    def summary(self) -> dict[str, Any]:
        return {"exchanges": sum(self.totals.values()), "pairs_compared": self.pairs,
                "operations": len([op for op in self.totals if not op.startswith("unmatched")]),
                "relative_threshold": self.relative, "absolute_threshold": self.absolute}
