"""The Unpuzzle Postman collection played end to end against one API implementation.

Every request runs in collection order and must get its documented success status (API.md §3) and pass what
the collection's client checks (`check_reply`): a JSON body served as `application/json`, the API envelope
`{"success": true, "data": ...}`, and every value its test scripts read. Two requests answer otherwise by
design: the file download (P51, checked byte for byte against the upload) and the health check (P52, JSON
without the envelope).
The collection was written to be clicked through by hand, so a few steps need what a person
would do between clicks; each such step (a "fixup") is listed here with its reason, and each uses
the API itself — never the database — so the replay runs against any base URL.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.http import Reply, Upload, credentials, curl

from .postman import (
    CollectionError,
    CollectionRequest,
    Transport,
    build,
    check_reply,
    collection_variables,
    extract,
    load_collection,
)

#: Documented success statuses that are not 200 (API.md §3).
CREATED = {"P1", "P28", "P31", "P36", "P37"}
#: The one request whose success is not JSON: P51 downloads the file P47 uploaded.
NOT_JSON = {"P51"}
#: JSON without the API envelope: the health check (API.md P52).
NO_ENVELOPE = {"P52"}
#: The collection's requests, in order (API.md's P1…P61).
REQUEST_IDS = tuple(f"P{i}" for i in range(1, 62))

# Tiny but well-formed files for the multipart routes (the collection names local paths only).
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(slots=True)
class StepResult:
    rid: str
    name: str
    status: int
    expected: int
    curl: str
    body: Any
    fixup: str | None = None
    #: what the reply fails of the client's checks beyond the status (content type, envelope, fields read)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.status == self.expected and not self.problems


@dataclass(slots=True)
class ReplayReport:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def collection_steps(self) -> list[StepResult]:
        return [s for s in self.steps if s.fixup is None]

    @property
    def failures(self) -> list[StepResult]:
        return [s for s in self.steps if not s.passed]


class UnpuzzleReplay:
    def __init__(self, transport: Transport, collection: str | Path, *, admin: tuple[str, str],
                 unique_user: bool = False) -> None:
        self.transport = transport
        self.requests: dict[str, CollectionRequest] = {r.rid: r for r in load_collection(collection)}
        if tuple(self.requests) != REQUEST_IDS:
            raise CollectionError(f"{collection} has {len(self.requests)} requests: the Unpuzzle replay plays "
                                  f"the collection of API.md, with its {len(REQUEST_IDS)} requests")
        self.vars: dict[str, str] = collection_variables(collection)
        self.admin = admin
        self.report = ReplayReport()
        self.saved: dict[str, str] = {}
        self.uploaded: bytes | None = None
        try:
            sent = json.loads(self.requests["P1"].body["raw"])
            self.email, self.password = sent["email"], sent["password"]
        except (TypeError, KeyError, ValueError):
            raise CollectionError(f"{collection}: P1 (signup) has no JSON body with an email and a password") \
                from None
        if unique_user:  # lets the replay run again against a server that already has the user
            local, _, domain = self.email.partition("@")
            self.email = f"{local}+{uuid.uuid4().hex[:8]}@{domain}"

    # -- primitives ---------------------------------------------------------------------------
    def send(self, rid: str, *, fixup: str | None = None, json_body: Any = None,
             files: dict[str, Upload] | None = None, expect: int | None = None) -> Reply:
        req = self.requests[rid]
        sent = build(req, self.vars, files=files, json_override=json_body)
        reply = self.transport.send(sent)
        self.vars.update(extract(req, reply))
        want = expect if expect is not None else (201 if rid in CREATED else 200)
        problems: list[str] = []
        if reply.status == want:
            problems = check_reply(req, reply, json_body=rid not in NOT_JSON, envelope=rid not in NO_ENVELOPE)
            if rid == "P51" and self.uploaded is not None and reply.body != self.uploaded:
                problems.append(f"the body ({len(reply.body)} bytes) is not the file P47 uploaded "
                                f"({len(self.uploaded)} bytes)")
        self.report.steps.append(StepResult(rid, req.name, reply.status, want, curl(sent, self.transport.base_url),
                                            reply.body_json, fixup, problems))
        return reply

    def login(self, email: str, password: str, why: str) -> Reply:
        """The collection's own login (P2) with other credentials: a fixup step, its tokens kept as P2 keeps them."""
        return self.send("P2", fixup=why, json_body=credentials(email, password))

    def save_identity(self) -> None:
        self.saved = {k: self.vars.get(k, "") for k in ("access_token", "refresh_token", "csrf_token", "session_id")}

    def restore_identity(self) -> None:
        self.vars.update(self.saved)

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> ReplayReport:
        user = credentials(self.email, self.password)
        signup = json.loads(self.requests["P1"].body["raw"]) | {"email": self.email}
        self.send("P1", json_body=signup)
        self.send("P2", json_body=user)
        self.send("P3")
        self.login(self.email, self.password, "P3 ended the session; the client logs in again")
        for rid in ("P4", "P5", "P6"):
            self.send(rid)
        self.login(self.email, self.password, "a second device, so P7 revokes another session than the one in use")
        self.send("P7")
        self.send("P8")
        self.send("P9")

        self.save_identity()
        self.vars["target_user_id"] = self.vars.get("user_id", "")
        self.login(*self.admin, why="P10 is an admin route: the admin grants the new user the instructor role")
        self.send("P10")
        self.restore_identity()
        for rid in ("P11", "P12", "P13", "P14"):
            self.send(rid)

        self.save_identity()
        throwaway = f"delete-me-{uuid.uuid4().hex[:8]}@example.com"
        self.send("P1", fixup="P15 deletes the caller's account: a throwaway account is deleted instead",
                  json_body={"email": throwaway, "password": self.password})
        self.login(throwaway, self.password, "log in as the throwaway account")
        self.send("P15")
        self.restore_identity()

        for rid in ("P16", "P17", "P18", "P19", "P20", "P21", "P22"):
            self.send(rid)
        self.send("P21", fixup="P22 dropped the enrollment that P23–P28 need; the student enrolls again")
        self._pick_lesson()
        for rid in ("P23", "P24", "P25", "P26", "P27", "P28", "P29"):
            self.send(rid)
        student_video = self.vars.get("video_id", "")

        self.send("P31", fixup="P30 reads one of the caller's own courses: the instructor creates one first")
        self.vars["course_id"] = self.vars.get("new_course_id", "")
        for rid in ("P30", "P31", "P32", "P33"):
            self.send(rid)
        # P33 deleted the first course; carry on with the second
        self.vars["course_id"] = self.vars.get("new_course_id", "")
        self.send("P37", fixup="a course needs a video before P34 can publish it")
        kept_video = self.vars.get("video_id", "")
        for rid in ("P34", "P35", "P36", "P37", "P38", "P39"):
            self.send(rid)
        self.send("P40", json_body={"videoIds": self._course_video_ids()[::-1]})

        self.send("P41")
        self.send("P42")
        self.vars["video_id"] = student_video  # P39 deleted the instructor's video; chat about the lesson watched
        for rid in ("P43", "P44", "P45", "P46"):
            self.send(rid)

        self.vars["resource_id"] = self.vars.get("course_id", "")
        self.uploaded = MP4
        video_up = self.send("P47", files={"video": Upload("video", "video.mp4", MP4, "video/mp4")})
        self.send("P48", files={"thumbnail": Upload("thumbnail", "image.jpg", JPEG, "image/jpeg")})
        doc_up = self.send("P49", files={"document": Upload("document", "document.pdf", PDF, "application/pdf")})
        self.send("P50", json_body={"file_path": _data(doc_up).get("file_path", "")})
        video_path = str(_data(video_up).get("file_path", "videos/"))
        self.vars["category"], _, self.vars["filename"] = video_path.partition("/")
        self.send("P51")
        self.send("P52")

        for rid in ("P53", "P54", "P55", "P56", "P57"):
            self.send(rid)
        self.vars["video_id"] = kept_video  # media attaches to a video of the caller's own course
        for rid in ("P58", "P59", "P60", "P61"):
            self.send(rid)
        return self.report

    def _pick_lesson(self) -> None:
        """The ids a student's client takes from the course page: the first video and its first quiz point."""
        reply = self.send("P17", fixup="the student opens the course page to pick a lesson and its quiz")
        videos = _data(reply).get("videos") or []
        videos = [v for v in videos if isinstance(v, dict)] if isinstance(videos, list) else []
        with_quiz = [v for v in videos if v.get("quizPoints")]
        lesson = (with_quiz or videos or [{}])[0]
        self.vars["video_id"] = lesson.get("id", "")
        quiz = (lesson.get("quizPoints") or [{}])[0]
        self.vars["quiz_id"] = quiz.get("id", "") if isinstance(quiz, dict) else ""

    def _course_video_ids(self) -> list[str]:
        """P40's body holds placeholder ids; the client sends the course's real videos."""
        reply = self.send("P30", fixup="P40's body holds placeholder ids: read the course's real videos first")
        videos = _data(reply).get("videos")
        return [v["id"] for v in videos if isinstance(v, dict) and "id" in v] if isinstance(videos, list) else []


def _data(reply: Reply) -> dict[str, Any]:
    """The envelope's `data` object of a reply; empty when the reply has none (a wrong server, say)."""
    body = reply.body_json
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, dict) else {}
