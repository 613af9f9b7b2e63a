"""The ids the run's own requests created, by the path parameter they fill: a sink of the fan-out.

Generated cases (schemathesis) draw their path parameters from the seed's rows and from these, so a request to an
object reaches one that exists, including objects a recorded flow or a persona made moments before. The ids kept
are the primary side's; the fan-out maps them to every other side, as it does for any id a reply carried.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from harness.http import json_at

from .exchange import Exchange
from .idmap import IdMap, id_like

#: x-api-id of a creating operation -> (the path parameter its new row fills, where its 2xx reply names the row).
CREATES: dict[str, tuple[tuple[str, str], ...]] = {
    "P31": (("course_id", "data.id"),),
    "P36": (("course_id", "data.id"),),
    "P37": (("video_id", "data.id"), ("quiz_id", "data.quizPoints.0.id")),
    "X2": (("section_id", "data.id"),),
    "P53": (("session_key", "data.sessionKey"),),
    "P54": (("media_file_id", "data.mediaFileId"),),
}
#: The most ids kept per parameter (the earliest: the pool stays small and its order fixed).
KEPT = 20


@dataclass(slots=True)
class CreatedIds:
    """path parameter -> the ids created for it so far on the `primary` side, oldest first."""

    primary: str
    ids: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def __call__(self, exchange: Exchange, maps: dict[str, IdMap]) -> None:
        reply = exchange.replies.get(self.primary)
        creates = CREATES.get(exchange.operation.split(" ", 1)[0])
        if reply is None or creates is None or not 200 <= reply.status < 300:
            return
        for parameter, at in creates:
            value = json_at(reply.json, at)
            pool = self.ids[parameter]
            if id_like(value) and value not in pool and len(pool) < KEPT:
                pool.append(value)

    def pool(self, parameter: str) -> list[str]:
        return list(self.ids.get(parameter, ()))
