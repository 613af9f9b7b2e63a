"""The `personas` source: every documented operation as each caller its guard tells apart, by each way of
authenticating, on rows of the seed that have an owner (API.md §1.8's guards: auth, role, owner, media-owner,
enrolled, session owner).

The callers (`PERSONAS`), on the second instructor's first course and what hangs off it (`persona_ids`), rows no
other source of the gate reads:
- `anonymous`;
- `instructor2`: owns the course, its videos, sections and media files, and an upload session and uploaded files
  the source makes first;
- `instructor`: another instructor, who owns none of them;
- `student2`: enrolled in the course; owns a chat session and an auth session the source makes first;
- `student`: another student, not enrolled;
- `admin`.
Every request goes through the fan-out, so a caller that legacy refuses and the candidate serves (or the reverse)
is a status difference at that operation; which caller and transport sent it is read back from the request
(`callers.py`).

The order (`drive`): first every caller that must be refused, and the owner's cookie write without its CSRF
header, on every operation (the reads before the writes); then the owner's own writes, by Bearer and by cookie
with the CSRF header, the deleting ones last. Writes that revoke or rewrite the caller's own session or account
(`DESTRUCTIVE`) are sent anonymously, then by Bearer and by cookie with the CSRF header as users signed up for
the one request; every non-owner also tries to delete the enrolled student's session (P7). Bodies are the
contract's request examples with the ids of the persona rows put in.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from harness.http import Reply, Sent, Upload, json_at, json_request, login_request, multipart_request
from harness.seed import accounts

from .conformance import DESTRUCTIVE

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: The operations that undo what the owner made: sent last, so the owner's other writes still find the rows.
UNDOING = frozenset({"P22", "P33", "P39", "P50", "P59", "X4", "X6"})
#: The operations whose owner is the enrolled student (their rows are the caller's own learning data).
STUDENT_OWNED = frozenset({"P7", "P21", "P22", "P23", "P24", "P25", "P26", "P27", "P28", "P43", "P44"})
#: The path parameter, body field or query value -> the key of `persona_ids` (or of the setup's values) it takes.
FIELD_IDS = {"courseId": "course_id", "course_id": "course_id", "resource_id": "course_id", "videoId": "video_id",
             "mediaFileId": "media_file_id", "sessionKey": "session_key", "sessionId": "chat_session_id",
             "file_path": "file_path"}
#: Body fields of the examples that name rows the persona rows cannot stand for; left out.
DROPPED_FIELDS = frozenset({"storageKey", "videoIds", "mediaOrder", "version"})
MULTIPART_FILES = {"P47": ("video", "persona.mp4", "video/mp4"), "P48": ("thumbnail", "persona.png", "image/png"),
                   "P49": ("document", "persona.pdf", "application/pdf")}


class Transport(Enum):
    """How a request authenticates."""

    NONE = "anonymous"
    BEARER = "bearer"
    COOKIE_CSRF = "cookie+csrf"
    COOKIE = "cookie without csrf"


@dataclass(frozen=True, slots=True)
class Caller:
    """A signed-in persona: its access token and CSRF token (the primary side's; the fan-out maps them)."""

    name: str
    token: str | None = None
    csrf: str | None = None
    session_id: str | None = None

    def headers(self, transport: Transport) -> list[tuple[str, str]]:
        if transport is Transport.BEARER:
            return [("Authorization", f"Bearer {self.token}")]
        if transport is Transport.COOKIE:
            return [("Cookie", f"access_token={self.token}")]
        if transport is Transport.COOKIE_CSRF:
            return [("Cookie", f"access_token={self.token}"), ("X-CSRF-Token", self.csrf or "")]
        return []


ANONYMOUS = Caller("anonymous")
#: persona name -> its seeded account (None: anonymous).
PERSONAS: dict[str, accounts.Account | None] = {
    "anonymous": None, "instructor2": accounts.INSTRUCTOR2, "instructor": accounts.INSTRUCTOR,
    "student2": accounts.STUDENT2, "student": accounts.STUDENT, "admin": accounts.ADMIN,
}


def persona_ids(seed: int = 0, scale: str = "small") -> dict[str, str]:
    """The rows the personas address: the second instructor's first course (published; the second documented
    student is enrolled in it), its first video, that video's quiz, its first section, the instructor's first
    media file; `user_id` is the first documented student (the target of the admin-only role grant)."""
    from harness.seed import SCALES, Graph
    from harness.seed.ids import seeded_uuid

    sc = SCALES[scale]
    g = Graph(sc, seed)
    course = sc.courses_per_instructor  # instructor index 1's first course
    video = g.video_index(course, 0)
    return {"course_id": g.course_id(course), "video_id": seeded_uuid(seed, "videos", video),
            "quiz_id": seeded_uuid(seed, "quizzes", video),
            "section_id": seeded_uuid(seed, "course_sections", course * sc.sections_per_course),
            "media_file_id": seeded_uuid(seed, "media_files", sc.media_per_instructor),
            "user_id": g.user_id(g.student_user(0))}


@dataclass(frozen=True, slots=True)
class Operation:
    api_id: str
    method: str
    template: str
    example: Any  # the contract's JSON request example (None: no JSON body)

    @property
    def owner(self) -> str:
        return "student2" if self.api_id in STUDENT_OWNED else "instructor2"

    @property
    def writes(self) -> bool:
        return self.method in WRITES


def operations(contract: dict[str, Any]) -> list[Operation]:
    out = []
    for template, item in contract["paths"].items():
        for method, op in item.items():
            if method in {"get", "put", "post", "delete", "patch"}:
                media = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
                out.append(Operation(op.get("x-api-id", ""), method.upper(), template, media.get("example")))
    return sorted(out, key=lambda o: (o.writes, o.template, o.method))


def _with_ids(value: Any, ids: dict[str, str]) -> Any:
    """The example with every id-bearing field set to the persona rows' value (fields it cannot fill dropped)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in DROPPED_FIELDS:
                continue
            out[key] = ids.get(FIELD_IDS[key], item) if key in FIELD_IDS else _with_ids(item, ids)
        return out
    if isinstance(value, list):
        return [_with_ids(item, ids) for item in value]
    return value


def _upload(op: Operation, path: str, ids: dict[str, str], headers: list[tuple[str, str]]) -> Sent:
    """An upload operation's multipart request: its file field and the persona course it belongs to."""
    name, filename, kind = MULTIPART_FILES[op.api_id]
    fields = {"resource_id": ids["course_id"], "resource_type": "course"} if op.api_id == "P48" else {
        "course_id": ids["course_id"]}
    return multipart_request(op.method, path, fields, [Upload(name, filename, bytes(range(256)) * 4, kind)], headers)


@dataclass(slots=True)
class PersonaDriver:
    """Sends the personas' requests through `send` (the fan-out's)."""

    send: Callable[[Sent], Reply]
    ids: dict[str, str]
    callers: dict[str, Caller] = field(default_factory=dict)

    def sign_in(self) -> None:
        for name, account in PERSONAS.items():
            if account is None:
                self.callers[name] = ANONYMOUS
                continue
            self._log_in(name, account.email, account.password)

    def _log_in(self, name: str, email: str, password: str) -> Caller | None:
        """Log in through the fan-out and keep the caller under `name` (None: the login was refused)."""
        reply = self.send(login_request(email, password))
        data = json_at(reply.json, "data") if reply.status == 200 else None
        if not isinstance(data, dict):
            return None
        caller = self.callers[name] = Caller(name, data.get("access_token"), data.get("csrf_token"),
                                             data.get("session_id"))
        return caller

    def request(self, op: Operation, caller: Caller, transport: Transport) -> Sent:
        path = "/" + "/".join(self.ids.get(part[1:-1], part) if part.startswith("{") else part
                              for part in op.template.strip("/").split("/"))
        if op.api_id == "P43" and "chat_session_id" in self.ids:
            path += f"?sessionId={self.ids['chat_session_id']}"
        headers = caller.headers(transport)
        if op.api_id in MULTIPART_FILES:
            return _upload(op, path, self.ids, headers)
        if op.api_id == "P50":
            return json_request(op.method, path, {"file_path": self.ids.get("file_path", "")}, headers)
        if op.example is not None:
            return json_request(op.method, path, _with_ids(copy.deepcopy(op.example), self.ids), headers)
        if op.writes and op.method != "DELETE":
            return json_request(op.method, path, {}, headers)
        return Sent(op.method, path, headers, b"")

    def sign_up(self) -> Caller | None:
        """A user signed up and logged in for one request that revokes or rewrites its own session or account."""
        n = sum(1 for name in self.callers if name.startswith("signed-up"))
        email, password = f"persona-{n}@throwaway.test", "Throwaway123!"
        self.send(json_request("POST", "/api/v1/auth/signup", {"email": email, "password": password}))
        return self._log_in(f"signed-up {n}", email, password)

    def own_account(self, op: Operation) -> None:
        """A write on the caller's own session or account, by Bearer and by cookie with the CSRF header, each as a
        user of its own (P7 deletes that user's own session)."""
        for transport in (Transport.BEARER, Transport.COOKIE_CSRF):
            caller = self.sign_up()
            if caller is None:
                continue
            sent = self.request(op, caller, transport)
            if op.api_id == "P7" and caller.session_id and "session_id" in self.ids:
                sent = Sent(sent.method, sent.path.replace(self.ids["session_id"], caller.session_id),
                            sent.headers, sent.body)
            self.send(sent)

    def _call(self, op: Operation, name: str, transport: Transport) -> None:
        caller = self.callers.get(name)
        if caller is not None and (caller is ANONYMOUS) == (transport is Transport.NONE):
            self.send(self.request(op, caller, transport))

    # -- what the owners make first ---------------------------------------------------------------------------

    def setup(self) -> None:
        """An upload session and uploaded files of the course owner, an auth session and a chat session of the
        enrolled student: the rows the session-owner and uploader guards protect."""
        owner, student = self.callers.get("instructor2"), self.callers.get("student2")
        if owner is not None:
            initiate = json_request("POST", "/api/v1/media/upload/initiate",
                                    {"filename": "persona.mp4", "fileSize": 1024, "contentType": "video/mp4",
                                     "courseId": self.ids["course_id"]}, owner.headers(Transport.BEARER))
            self._keep("session_key", self.send(initiate), "data.sessionKey")
            upload = self.request(Operation("P47", "POST", "/api/v1/videos/upload", None), owner, Transport.BEARER)
            uploaded = self.send(upload)
            self._keep("file_path", uploaded, "data.file_path")
            self._keep("filename", uploaded, "data.filename")
            self.ids["category"] = "videos"
        if student is not None:
            chat = json_request("POST", f"/api/v1/ai/videos/{self.ids['video_id']}/chat",
                                {"message": "What does this part show?"}, student.headers(Transport.BEARER))
            self._keep("chat_session_id", self.send(chat), "data.sessionId")
            if student.session_id:
                self.ids["session_id"] = student.session_id

    def _keep(self, key: str, reply: Reply, at: str) -> None:
        value = json_at(reply.json, at) if 200 <= reply.status < 300 else None
        if isinstance(value, str) and value:
            self.ids[key] = value

    # -- the matrix -------------------------------------------------------------------------------------------

    def refused(self, op: Operation) -> Iterator[tuple[str, Transport]]:
        """The calls every guard of `op` must treat alike on both sides, none of which may change a row."""
        yield "anonymous", Transport.NONE
        if op.api_id in DESTRUCTIVE and op.api_id != "P7":
            return
        others = [name for name in PERSONAS if name not in {"anonymous", op.owner}]
        if op.writes:
            yield op.owner, Transport.COOKIE  # the CSRF check: refused before anything is written
            others = [name for name in others if name != "admin"]  # the admin passes every guard: it would write
        for name in others:
            yield name, Transport.BEARER
        if op.writes and others:
            yield others[0], Transport.COOKIE_CSRF
        if not op.writes:
            yield op.owner, Transport.BEARER
            yield op.owner, Transport.COOKIE

    def owned(self, op: Operation) -> Iterator[tuple[str, Transport]]:
        """The owner's own writes, by each transport that must be served."""
        if op.writes and op.api_id not in DESTRUCTIVE:
            yield op.owner, Transport.BEARER
            yield op.owner, Transport.COOKIE_CSRF

    def run(self, ops: list[Operation]) -> None:
        self.sign_in()
        self.setup()
        for op in ops:
            for name, transport in self.refused(op):
                self._call(op, name, transport)
        for op in sorted(ops, key=lambda o: (o.api_id in UNDOING, o.api_id == "P33")):
            for name, transport in self.owned(op):
                self._call(op, name, transport)
        for op in ops:
            if op.api_id in DESTRUCTIVE:
                self.own_account(op)


def drive(send: Callable[[Sent], Reply], contract: dict[str, Any], seed: int = 0) -> int:
    """Send the personas' requests; returns how many operations they covered."""
    ops = operations(contract)
    PersonaDriver(send, persona_ids(seed)).run(ops)
    return len(ops)

