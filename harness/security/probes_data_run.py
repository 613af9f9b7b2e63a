"""What the data probes (probes_data.py) share: one run against one side, the seeded users it acts as, and the
few ways it reads an answer.

    Run(send, side)            sends each request (waiting out a 429 that says for how long), keeps every one it
                               saw (`seen`: the secrets probe reads them all) and the proofs made (`proofs`)
    run.log_in(account, who)   -> Actor: a seeded user's Bearer session; TargetError when the side refuses it
    run.try_log_in(account)    -> Actor | None
    run.request(actor, method, template, document, query, **ids)  -> Seen, named by its documented operation
    run.prove(...), run.not_run(probe, why)    a Proof; a probe that cannot be set up fails closed
    enrolled_video(run, actor) -> (course id, video id) | None
    claims_of(token) -> dict            a JWT's claims, unverified
"""
from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from harness.core.errors import TargetError
from harness.http import Reply, Send, Sent, json_at, json_request, login_request

from .model import Proof, retry_after

Account = tuple[str, str]
PROFILE = "/api/v1/user/profile"
#: A value no filter matches and no id has: what a hostile value is measured against, and the id of nothing.
NONSENSE = "zzqx-probe-nonsense"


@dataclass(slots=True)
class Seen:
    """One request a probe sent, named by its documented operation, and what came back in how long."""

    operation: str  # "GET /api/v1/media/media/{media_file_id}"
    sent: Sent
    reply: Reply
    seconds: float


@dataclass(slots=True)
class Actor:
    """A logged-in seeded user: who, and the Bearer token of its session."""

    email: str
    password: str
    user_id: str
    session_id: str
    token: str

    @property
    def account(self) -> Account:
        return self.email, self.password

    @property
    def auth(self) -> list[tuple[str, str]]:
        return [("Authorization", f"Bearer {self.token}")]


@dataclass(slots=True)
class Cast:
    """The four seeded users a run acts as: two students, two instructors."""

    owner: Actor
    other: Actor
    instructor: Actor
    other_instructor: Actor


@dataclass(slots=True)
class Run:
    send: Send
    side: str
    seen: list[Seen] = field(default_factory=list)
    proofs: list[Proof] = field(default_factory=list)
    waited: float = 0.0

    def call(self, operation: str, sent: Sent) -> Seen:
        for _ in range(3):
            started = time.perf_counter()
            reply = self.send(sent)
            seen = Seen(operation, sent, reply, time.perf_counter() - started)
            if reply.status != 429 or not self._wait(reply):
                break
        self.seen.append(seen)
        return seen

    def _wait(self, reply: Reply) -> bool:
        """Wait out a rate limit when the side says for how long (MAX_WAIT_S at most); False when it does not."""
        wait = retry_after(reply)
        if wait is None:
            return False
        time.sleep(wait)
        self.waited += wait
        return True

    def request(self, actor: Actor | None, method: str, template: str, document: Any = None, query: str = "",
                **ids: str) -> Seen:
        """`method template` with `ids` filled in (each percent-encoded whole), `query` appended, as `actor`
        (anonymous when None), `document` as the JSON body."""
        path = template.format_map({name: quote(value, safe="") for name, value in ids.items()})
        return self.call(f"{method} {template}", json_request(method, path + query, document,
                                                             actor.auth if actor else []))

    def prove(self, probe: str, refused: bool, detail: str, seen: Seen | None, **evidence: Any) -> None:
        self.proofs.append(Proof(probe, self.side, refused, detail, seen.sent if seen else None,
                                 seen.reply if seen else None, seen.operation if seen else None, evidence))

    def not_run(self, probe: str, why: str) -> None:
        """A probe that could not be set up: not refused (it fails closed), with the last request sent."""
        seen = self.seen[-1] if self.seen else None
        self.prove(probe, False, f"not run: {why} (a probe that cannot be set up fails closed)", seen, not_run=True)

    def log_in(self, account: Account, who: str) -> Actor:
        actor = self.try_log_in(account)
        if actor is None:
            raise TargetError(f"{self.side}: the {who} account {account[0]} cannot log in (HTTP "
                              f"{self.seen[-1].reply.status}); the data probes need the seeded accounts")
        return actor

    def try_log_in(self, account: Account) -> Actor | None:
        seen = self.call("POST /api/v1/auth/login", login_request(*account))
        found = data(seen.reply) if seen.reply.status == 200 else {}
        token, user_id = found.get("access_token"), json_at(found, "user.id")
        if not isinstance(token, str) or not token or not isinstance(user_id, str):
            return None
        return Actor(account[0], account[1], user_id, str(found.get("session_id") or ""), token)


def data(reply: Reply) -> dict[str, Any]:
    """The envelope's `data` object ({} when there is none)."""
    found = json_at(reply.body_json, "data")
    return found if isinstance(found, dict) else {}


def items(reply: Reply, key: str) -> list[dict[str, Any]]:
    """The objects listed at `data.<key>` of a 2xx answer."""
    listed = data(reply).get(key) if 200 <= reply.status < 300 else None
    return [item for item in listed if isinstance(item, dict)] if isinstance(listed, list) else []


def code(reply: Reply) -> str:
    """"403 FORBIDDEN": the status and the envelope's error code, when it has one."""
    found = json_at(reply.body_json, "error.code")
    return f"{reply.status} {found}" if isinstance(found, str) else str(reply.status)


def leaked(reply: Reply, markers: Iterable[str]) -> list[str]:
    """The markers (the owner's id, a row's own strings) the answer's body holds."""
    return [mark for mark in markers if mark and mark.encode() in reply.body]


def enrolled_video(run: Run, actor: Actor) -> tuple[str, str] | None:
    """(course id, video id): the first course `actor` is enrolled in that has a video."""
    for course in items(run.request(actor, "GET", "/api/v1/student/courses").reply, "courses"):
        detail = run.request(actor, "GET", "/api/v1/courses/{course_id}", course_id=str(course.get("id")))
        video = next(iter(items(detail.reply, "videos")), None)
        if video is not None:
            return str(course.get("id")), str(video.get("id"))
    return None


def as_text(value: Any) -> str:
    """A probe value as the text that goes on the wire: strings as they are, JSON for lists and objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value)


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a compact JWT, unverified; {} when the token is not one."""
    try:
        part = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):  # binascii, UnicodeDecodeError and JSON errors are ValueErrors
        return {}
    return claims if isinstance(claims, dict) else {}
