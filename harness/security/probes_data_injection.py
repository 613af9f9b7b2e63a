"""The SQL-injection and type-confusion probes of probes_data.py: hostile values in each filter and path parameter
of the documented reads (`READS`: API.md §3.3-3.10).

    injection(run, cast, seed, examples)     one Proof per parameter, `injection.<read>.<param>`

Each parameter gets the classic values (`CLASSIC`: SQL that would widen a query, a sleep, an encoded quote, NUL,
a huge and a negative number, an empty list and object, NaN, Unicode) and its share of `examples` values
hypothesis draws from `seed` (the same on every run: `@seed`, no example database, the generate phase only). The
other path parameters hold ids that exist. Refused = never a 5xx, no database error text (psycopg, sqlite3,
SQLAlchemy, Django) or traceback in the body, no SQL value widening the answer beyond what a nonsense value gets
(rows listed, or the pagination total; a single row counts 1, a refusal 0), no sleep value delaying the answer.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from harness.http import json_at

from .probes_data_leaks import error_leaks
from .probes_data_run import NONSENSE, Actor, Cast, Run, Seen, as_text, data, enrolled_video, items

#: The classic SQL-injection values: an answer to one may be no wider than NONSENSE's.
SQL = ("' OR '1'='1", "1) OR (1=1", "1;SELECT pg_sleep(2)--", "%27")
CLASSIC: tuple[Any, ...] = (*SQL, "\x00", 10**30, -1, [], {}, "NaN", "\u0130\u2028\U0001d54f'\u202e--")
#: Seconds a sleep value's answer may take beyond the nonsense value's before it counts as delayed.
DELAY = 1.5
DB_ERRORS = re.compile(
    r"psycopg2?\.|sqlite3\.\w*Error|\(sqlite3\.|sqlalchemy\.(?:exc|orm|engine)|django\.db\.(?:utils|backends)|"
    r"OperationalError|ProgrammingError|IntegrityError|DatabaseError|\bDataError\b|syntax error at or near|"
    r"unterminated quoted string|SQLSTATE|unrecognized token|SQL logic error|current transaction is aborted|"
    r"invalid input syntax for|error in your SQL syntax|\bORA-\d{5}\b")


@dataclass(frozen=True, slots=True)
class Read:
    """A documented read: its query filters (path ids are the template's `{name}`s), who reads it, and where its
    answer lists rows (None: one row)."""

    name: str
    template: str
    params: tuple[str, ...]
    reader: str  # "anonymous", "owner", "instructor"
    items: str | None = None

    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.template)


PAGING = ("page", "limit")
READS = (
    Read("courses", "/api/v1/courses", ("search", "difficulty", "category", "priceRange", "minRating", "instructor",
                                        "sortBy", *PAGING), "anonymous", "courses"),
    Read("course", "/api/v1/courses/{course_id}", (), "anonymous"),
    Read("reviews", "/api/v1/courses/{course_id}/reviews", PAGING, "anonymous", "reviews"),
    Read("recommended", "/api/v1/courses/recommended", ("limit",), "owner", "courses"),
    Read("student_courses", "/api/v1/student/courses", PAGING, "owner", "courses"),
    Read("course_progress", "/api/v1/student/courses/{course_id}/progress", (), "owner"),
    Read("video_progress", "/api/v1/student/videos/{video_id}/progress", (), "owner"),
    Read("instructor_courses", "/api/v1/instructor/courses", (*PAGING, "status"), "instructor", "courses"),
    Read("instructor_course", "/api/v1/instructor/courses/{course_id}", (), "instructor"),
    Read("ai_recommendations", "/api/v1/ai/courses/{course_id}/recommendations", (), "instructor"),
    Read("engagement", "/api/v1/ai/courses/{course_id}/analyze-engagement", (), "instructor"),
    Read("chat", "/api/v1/ai/videos/{video_id}/chat", ("sessionId",), "owner", "messages"),
    Read("upload_progress", "/api/v1/media/upload/progress/{session_key}", (), "owner"),
    Read("media", "/api/v1/media/media/{media_file_id}", (), "instructor"),
    Read("user_media", "/api/v1/media/user/media", ("type", "status", "sortBy", "sortOrder", *PAGING), "instructor",
         "mediaFiles"),
    Read("unassigned_videos", "/api/v1/media/user/unassigned-videos", PAGING, "instructor", "videos"),
    Read("sections", "/api/v1/content/courses/{course_id}/sections", (), "owner", "sections"),
    Read("course_media", "/api/v1/content/courses/{course_id}/media", (), "instructor"),
    Read("upload", "/api/v1/uploads/thumbnails/{filename}", (), "anonymous"),
)


@dataclass(frozen=True, slots=True)
class Slot:
    """One parameter of one read, the other path parameters filled with ids that exist."""

    read: Read
    param: str
    fills: Mapping[str, str]

    @property
    def probe(self) -> str:
        return f"injection.{self.read.name}.{self.param}"

    def send(self, run: Run, actor: Actor | None, value: Any) -> Seen:
        ids = dict(self.fills)
        if self.param in self.read.path_params():
            ids[self.param] = as_text(value)
            return run.request(actor, "GET", self.read.template, **ids)
        return run.request(actor, "GET", self.read.template, query="?" + query(self.param, value), **ids)

    def measure(self, seen: Seen) -> int:
        """How much the answer holds: 0 when refused, the rows listed (or the total) for a list, 1 for a row."""
        if not 200 <= seen.reply.status < 300:
            return 0
        if self.read.items is None:
            return 1
        total = json_at(seen.reply.body_json, "data.pagination.total")
        if isinstance(total, int) and not isinstance(total, bool):
            return total
        listed = data(seen.reply).get(self.read.items)
        return len(listed) if isinstance(listed, list) else 1


def query(param: str, value: Any) -> str:
    """`param` with `value` as a query string: a list as the key repeated (`param[]=` when empty), a dict as
    `param[key]=value` pairs (the text `{}` when empty), anything else as its text, each percent-encoded whole."""
    def q(text: Any) -> str:
        return quote(as_text(text), safe="")
    if isinstance(value, list):
        return "&".join(f"{param}={q(v)}" for v in value) if value else f"{param}%5B%5D="
    if isinstance(value, dict):
        return "&".join(f"{param}%5B{q(k)}%5D={q(v)}" for k, v in value.items()) if value else f"{param}=%7B%7D"
    return f"{param}={q(value)}"


def slots(fills: Mapping[str, str], reads: tuple[Read, ...]) -> list[Slot]:
    return [Slot(read, param, fills) for read in reads for param in (*read.path_params(), *read.params)]


def generated(targets: list[Slot], seed: int, examples: int) -> list[tuple[Slot, Any]]:
    """`examples` (slot, value) cases hypothesis draws from `seed`: the same ones on every run."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as seeded
    from hypothesis import strategies as st

    cases: list[tuple[Slot, Any]] = []
    if not examples or not targets:
        return cases
    text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # surrogates cannot be UTF-8 encoded
    sqlish = st.text(st.sampled_from("'\";-()=%*/\\ ORANDSELECTUNIONsleep0129_x\x00"), max_size=40)
    values = st.one_of(sqlish, text, st.integers(), st.floats(), st.booleans(),
                       st.lists(sqlish, max_size=3), st.dictionaries(sqlish, sqlish, max_size=2))

    @seeded(seed)
    @settings(max_examples=examples, derandomize=False, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(targets), values)
    def draw(slot: Slot, value: Any) -> None:
        cases.append((slot, value))

    draw()
    return cases[:examples]


def injection(run: Run, cast: Cast, seed: int, examples: int) -> None:
    place = enrolled_video(run, cast.owner)
    listed = items(run.request(None, "GET", "/api/v1/courses").reply, "courses")
    fills = {"course_id": next((str(c.get("id")) for c in listed), NONSENSE),
             "video_id": place[1] if place else NONSENSE}
    targets = slots(fills, READS)
    readers = {"anonymous": None, "owner": cast.owner, "instructor": cast.instructor}
    drawn: dict[str, list[Any]] = {}
    for slot, value in generated(targets, seed, examples):
        drawn.setdefault(slot.probe, []).append(value)
    for slot in targets:
        actor = readers[slot.read.reader]
        cases = [(value, slot.send(run, actor, value)) for value in (*CLASSIC, *drawn.get(slot.probe, ()))]
        baseline: list[Seen] = []

        def nonsense(slot: Slot = slot, actor: Actor | None = actor, baseline: list[Seen] = baseline) -> Seen:
            """The nonsense value's answer, asked once and only when a hostile answer needs comparing."""
            if not baseline:
                baseline.append(slot.send(run, actor, NONSENSE))
            return baseline[0]
        _judge(run, slot, cases, nonsense)


def faults(slot: Slot, value: Any, seen: Seen, nonsense: Callable[[], Seen]) -> list[str]:
    """What is wrong with one hostile value's answer ([] when it was turned away)."""
    found = []
    if seen.reply.status >= 500:
        found.append(f"a server error ({seen.reply.status})")
    if match := DB_ERRORS.search(seen.reply.body.decode("utf-8", "replace")):
        found.append(f"database error text ({match.group(0)!r})")
    found += error_leaks(seen.reply)
    if value in SQL and (wider := slot.measure(seen)) and wider > (base := slot.measure(nonsense())):
        found.append(f"a wider answer than a nonsense value's ({wider} > {base})")
    if isinstance(value, str) and "sleep" in value and seen.seconds > DELAY \
            and seen.seconds - nonsense().seconds > DELAY:
        found.append(f"delayed {seen.seconds:.1f} s (a nonsense value: {nonsense().seconds:.1f} s)")
    return found


def _judge(run: Run, slot: Slot, cases: list[tuple[Any, Seen]], nonsense: Callable[[], Seen]) -> None:
    failures = [(value, seen, found) for value, seen in cases if (found := faults(slot, value, seen, nonsense))]
    where = f"{slot.param} of GET {slot.read.template}"
    if failures:
        value, seen, found = failures[0]
        detail = (f"{len(failures)} of {len(cases)} hostile values in {where} got through, first "
                  f"{as_text(value)!r}: {'; '.join(found)}")
    else:
        seen = cases[0][1]
        detail = (f"{len(cases)} hostile values in {where}: no 5xx, database error text or traceback, no answer "
                  "wider than a nonsense value's, no delay")
    run.prove(slot.probe, not failures, detail, seen, param=slot.param, cases=len(cases),
              failures=[{"value": as_text(v), "status": s.reply.status, "faults": f} for v, s, f in failures])
