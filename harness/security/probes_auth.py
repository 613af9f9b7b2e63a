"""Active probes of one side's authentication, as API.md describes it: JWT access and refresh tokens (HS256) in the
`access_token` cookie or the `Authorization: Bearer` header (§1.6), a session checked on every request, the
`X-CSRF-Token` header on cookie-authenticated writes (§1.7), the login's per-minute limit (§3.1 P2, §1.9).

    run_auth_probes(send, side, *, user, instructor=None, secret=None, login_limit=10) -> list[Proof]
    probe_login_limit(send, side, email, limit=10) -> Proof      the brute force alone
    family(probe) -> str                                          "jwt", "csrf", "bruteforce" or "cors"

Every attack starts from what a real login returned (`user`: e-mail and password of a seeded account). A side
that refuses that login, or accepts its token on neither transport, raises TargetError: nothing could be probed.
Each Proof keeps the forged request (`sent`) for a curl reproduction. What `refused` means, per probe id:

    jwt.<forgery>.<transport>   the forged access token on GET /api/v1/user/profile, as Bearer and as the
                                `access_token` cookie (each transport the side accepts with the real token):
                                refused = 401 or 403 and neither the user's id nor e-mail in the body. Forgeries:
                                signature_stripped, alg_none.{lower,title,upper,mixed} ("none", "None", "NONE",
                                "nOnE"), blank_key (HS256, empty secret), key_confusion (HS256 keyed with an RSA
                                public key PEM: the side's JWKS key when it publishes one at the usual path, else
                                a fresh one, which shows only that a foreign key is refused), kid_traversal
                                (kid "../../../../dev/null", empty secret), kid_sql (a UNION SELECT kid naming
                                the secret it is signed with), expired and not_yet_valid (past `exp`, future `nbf`:
                                only with `secret`, the key the side signs with, else not run), refresh_as_access
                                (the login's refresh token), revoked_session (an access token after its logout)
    csrf.<write>                a documented cookie-authenticated write (§1.7: unsafe method, not exempt) sent
                                with the session cookies, a foreign Origin and no X-CSRF-Token, at a target the
                                account may write (so only the CSRF check can stop it): refused = 401 or 403;
                                anything else (a 2xx, but also a 400 or 404) got past the check. The user's own
                                writes (profile, enrolment, progress, quiz, review, AI, media upload, sessions;
                                the account deletion last), and with `instructor` its course, video, section,
                                upload and media writes (deletions last). Not probed: P10 (needs an admin).
    bruteforce.login            wrong passwords for the user, `login_limit` + 2 times (a second round when the
                                limit's window rolled over during the first): refused = a 429 by attempt
                                `login_limit` + 1 of a round (the run's 3-4 logins count too, so it comes
                                sooner); not enforced otherwise. Run last: it locks the login for the window
    cors.credentials.{read,preflight}   `Origin: https://evil.example` on the profile read (with the cookie) and
                                on a preflight of its update: refused = no Access-Control-Allow-Origin naming that
                                origin (or `*`, or `null`) together with Access-Control-Allow-Credentials: true
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.core.errors import TargetError
from harness.http import Reply, Send, Sent, Upload, json_at, json_request, login_request, multipart_request

from .model import Proof

PROFILE = "/api/v1/user/profile"
LOGOUT = "/api/v1/auth/logout"
JWKS = "/.well-known/jwks.json"
EVIL_ORIGIN = "https://evil.example"
TRANSPORTS = ("bearer", "cookie")
#: The four spellings of the unsigned algorithm a lax verifier may compare case-insensitively.
ALG_NONE = {"lower": "none", "title": "None", "upper": "NONE", "mixed": "nOnE"}
SQL_KID_KEY = "probe-key"
SQL_KID = f"x' UNION SELECT '{SQL_KID_KEY}' -- "


@dataclass(slots=True)
class Session:
    """What one login returned: who it is, its session, its tokens (the refresh token from its cookie)."""

    email: str
    user_id: str
    session_id: str
    access: str
    refresh: str

    def cookie(self) -> tuple[str, str]:
        return ("Cookie", f"access_token={self.access}; refresh_token={self.refresh}")


@dataclass(slots=True)
class _Run:
    send: Send
    side: str
    proofs: list[Proof] = field(default_factory=list)

    def login(self, account: tuple[str, str]) -> Session:
        reply = self.send(login_request(*account))
        data = json_at(reply.json, "data") if reply.status == 200 else None
        access = json_at(data, "access_token")
        if not isinstance(access, str) or not access:
            raise TargetError(f"{self.side}: the login of {account[0]} was refused ({reply.status}), "
                              "so its authentication cannot be probed")
        return Session(account[0], str(json_at(data, "user.id")), str(json_at(data, "session_id")), access,
                       reply.cookies.get("refresh_token", ""))


def run_auth_probes(send: Send, side: str, *, user: tuple[str, str], instructor: tuple[str, str] | None = None,
                    secret: str | None = None, login_limit: int = 10, brute_force: bool = True) -> list[Proof]:
    """Every probe of the module docstring against one side, in an order that keeps each from spoiling the next
    (the destructive CSRF writes after the reads, the brute force last). `instructor` adds the instructor's
    writes to the CSRF probes; `secret` adds the expired and not-yet-valid tokens; without `brute_force` the
    login limit is left for `probe_login_limit` on an instance of its own."""
    run = _Run(send, side)
    victim = run.login(user)
    transports = _accepted(run, victim)
    for variant, token, what in _forgeries(run, victim, secret):
        for transport in transports:
            _probe_read(run, f"jwt.{variant}.{transport}", token, transport, victim, what)
    _revoked_session(run, user, transports)
    _cors(run, victim)
    _csrf(run, victim, run.login(user), run.login(instructor) if instructor else None)
    if brute_force:
        run.proofs.append(probe_login_limit(send, side, user[0], login_limit))
    return run.proofs


# --- JWT -----------------------------------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A compact JWS: HS256 over header and claims with `key`, or no signature at all when `key` is None. Built
    by hand: PyJWT will not write an `alg` none spelled otherwise, nor an HMAC under a PEM key."""
    signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims))
    if key is None:
        return signing_input + "."
    return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())


def unverified(token: str, part: int) -> dict[str, Any]:
    """The header (0) or claims (1) of a compact JWT, unverified; {} when the token is not one."""
    segments = token.split(".")
    try:
        decoded = json.loads(base64.urlsafe_b64decode(segments[part] + "=" * (-len(segments[part]) % 4)))
    except (IndexError, ValueError):  # binascii, UnicodeDecodeError and JSON errors are ValueErrors
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _forgeries(run: _Run, victim: Session, secret: str | None) -> Iterator[tuple[str, str, str]]:
    """(variant, forged access token, what it is) for every JWT forgery but the revoked session."""
    header, claims = unverified(victim.access, 0), unverified(victim.access, 1)
    if not header or not claims:
        raise TargetError(f"{run.side}: the login's access token is not a JWT (header.claims.signature), "
                          "so it cannot be forged")
    hs256 = {"alg": "HS256", "typ": "JWT"}
    yield "signature_stripped", victim.access.rsplit(".", 1)[0] + ".", "its own token with the signature removed"
    for spelling, alg in ALG_NONE.items():
        yield f"alg_none.{spelling}", forge({**header, "alg": alg}, claims, None), f"its claims under alg {alg!r}"
    yield "blank_key", forge(hs256, claims, b""), "its claims signed HS256 with an empty secret"
    pem, origin = public_key_pem(run.send)
    yield "key_confusion", forge(hs256, claims, pem), f"its claims signed HS256 with {origin} as the secret"
    yield ("kid_traversal", forge({**hs256, "kid": "../../../../dev/null"}, claims, b""),
           "its claims with kid '../../../../dev/null', signed HS256 with an empty secret")
    yield ("kid_sql", forge({**hs256, "kid": SQL_KID}, claims, SQL_KID_KEY.encode()),
           f"its claims with kid {SQL_KID!r}, signed HS256 with {SQL_KID_KEY!r}")
    if secret is not None:
        now = int(time.time())
        yield ("expired", forge(hs256, {**claims, "iat": now - 7200, "exp": now - 3600}, secret.encode()),
               "its claims with `exp` an hour past, signed with the side's own secret")
        yield ("not_yet_valid", forge(hs256, {**claims, "nbf": now + 3600, "exp": now + 7200}, secret.encode()),
               "its claims with `nbf` an hour ahead, signed with the side's own secret")
    if victim.refresh:
        yield "refresh_as_access", victim.refresh, "the refresh token the login set, as an access token"


def public_key_pem(send: Send) -> tuple[bytes, str]:
    """(PEM, where it came from): the first RSA key of the side's JWKS when it serves one, else a fresh key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public: Any = None
    numbers = _jwks_rsa(send)
    if numbers is not None:
        public, origin = rsa.RSAPublicNumbers(*numbers).public_key(), f"the side's JWKS key ({JWKS})"
    else:
        public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
        origin = ("a freshly generated RSA public key (the side publishes no JWKS: an HMAC-only side is shown "
                  "to refuse a foreign key, not an algorithm confusion)")
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), origin


def _jwks_rsa(send: Send) -> tuple[int, int] | None:
    """(e, n) of the first RSA key the side's JWKS lists; None when it serves none."""
    keys = json_at(send(Sent("GET", JWKS, [])).body_json, "keys")
    for jwk in keys if isinstance(keys, list) else []:
        if not (isinstance(jwk, dict) and jwk.get("kty") == "RSA" and isinstance(jwk.get("n"), str)
                and isinstance(jwk.get("e"), str)):
            continue
        try:
            e, n = (int.from_bytes(base64.urlsafe_b64decode(jwk[k] + "=" * (-len(jwk[k]) % 4)), "big")
                    for k in ("e", "n"))
        except ValueError:
            continue
        return e, n
    return None


def _authenticated(token: str, transport: str) -> list[tuple[str, str]]:
    return [("Authorization", f"Bearer {token}")] if transport == "bearer" else [("Cookie", f"access_token={token}")]


def _leaks(reply: Reply, victim: Session) -> bool:
    return any(mark.encode() in reply.body for mark in (victim.user_id, victim.email) if mark)


def _code(reply: Reply) -> str:
    code = json_at(reply.body_json, "error.code")
    return f"{reply.status} {code}" if isinstance(code, str) else str(reply.status)


def _accepted(run: _Run, victim: Session) -> list[str]:
    """The transports the side accepts the real token on (the control every forged token is measured against)."""
    accepted = [t for t in TRANSPORTS
                if (r := run.send(Sent("GET", PROFILE, _authenticated(victim.access, t)))).status == 200
                and _leaks(r, victim)]
    if not accepted:
        raise TargetError(f"{run.side}: GET {PROFILE} refuses the login's own access token as Bearer and as cookie, "
                          "so no forged token can be told apart")
    return accepted


def _probe_read(run: _Run, probe: str, token: str, transport: str, victim: Session, what: str) -> None:
    sent = Sent("GET", PROFILE, _authenticated(token, transport))
    reply = run.send(sent)
    refused = reply.status in (401, 403) and not _leaks(reply, victim)
    header = unverified(token, 0)
    verdict = "refused" if refused else "ACCEPTED: the profile was read with it" if _leaks(reply, victim) else \
        "not refused with 401/403"
    run.proofs.append(Proof(probe, run.side, refused, f"GET {PROFILE} as {transport} with {what}: {_code(reply)}, "
                            f"{verdict}", sent, reply, f"GET {PROFILE}", {"transport": transport, "header": header}))


def _revoked_session(run: _Run, user: tuple[str, str], transports: list[str]) -> None:
    """A second session of the user, logged out, then its access token presented again."""
    other = run.login(user)
    out = run.send(Sent("POST", LOGOUT, _authenticated(other.access, "bearer")))
    what = f"the access token of a session logged out just before (logout answered {out.status})"
    for transport in transports:
        _probe_read(run, f"jwt.revoked_session.{transport}", other.access, transport, other, what)


# --- CORS ----------------------------------------------------------------------------------------------------

def _cors(run: _Run, victim: Session) -> None:
    read = Sent("GET", PROFILE, [("Origin", EVIL_ORIGIN), victim.cookie()])
    preflight = Sent("OPTIONS", PROFILE, [("Origin", EVIL_ORIGIN), ("Access-Control-Request-Method", "PUT"),
                                          ("Access-Control-Request-Headers", "content-type, x-csrf-token")])
    for name, sent in (("read", read), ("preflight", preflight)):
        reply = run.send(sent)
        allow = reply.header("Access-Control-Allow-Origin")
        credentials = (reply.header("Access-Control-Allow-Credentials") or "").strip().lower() == "true"
        opened = allow is not None and allow.strip() in (EVIL_ORIGIN, "*", "null") and credentials
        detail = (f"{sent.method} {PROFILE} with Origin {EVIL_ORIGIN}: {reply.status}, "
                  f"Access-Control-Allow-Origin {allow!r}, Allow-Credentials {credentials}; "
                  + ("a page on that origin can read the user's data with the user's cookies" if opened
                     else "no credentialed cross-origin access granted"))
        run.proofs.append(Proof(f"cors.credentials.{name}", run.side, not opened, detail, sent, reply,
                                f"{sent.method} {PROFILE}", {"allow_origin": allow, "allow_credentials": credentials}))


# --- CSRF ----------------------------------------------------------------------------------------------------

#: A path id for targets the side could not name (a side that checks CSRF first still refuses; one that does not
#: answers 404, which is not a refusal: the request got past where the check belongs).
NO_ID = "00000000-0000-4000-8000-000000000000"


@dataclass(frozen=True, slots=True)
class Write:
    """One documented cookie write at a target of the victim's: the operation as API.md names it, the path."""

    probe: str
    method: str
    operation: str  # "/api/v1/student/courses/{course_id}/enroll"
    path: str
    body: Any = None  # the JSON body, or a multipart form's text fields when `upload` is set
    upload: Upload | None = None

    def request(self, headers: list[tuple[str, str]]) -> Sent:
        if self.upload is not None:
            return multipart_request(self.method, self.path, self.body or {}, [self.upload], headers)
        return json_request(self.method, self.path, self.body, headers)


def _write(probe: str, method: str, operation: str, ids: dict[str, str], body: Any = None,
           upload: Upload | None = None) -> Write:
    return Write(probe, method, operation, operation.format_map(ids), body, upload)


def _ids(send: Send, path: str, session: Session, at: str) -> list[str]:
    """The `id` of each object in the list at `at` of a read the session makes with its Bearer token."""
    items = json_at(send(Sent("GET", path, _authenticated(session.access, "bearer"))).json, at)
    return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item] if isinstance(items, list) \
        else []


def _student_writes(send: Send, victim: Session, spare: Session) -> list[Write]:
    """The user's own cookie writes (§3.1-3.6, 3.9), at targets the user may write: a course it is enrolled in
    and its first video and quiz, a published course it is not enrolled in, its own second session. Unenrolling
    and deleting the account come last: they end what the others need."""
    enrolled = _ids(send, "/api/v1/student/courses?limit=100", victim, "data.courses")
    course = next(iter(enrolled), NO_ID)
    other = next((c for c in _ids(send, "/api/v1/courses?limit=100", victim, "data.courses") if c not in enrolled),
                 NO_ID)
    detail = json_at(send(Sent("GET", f"/api/v1/courses/{course}", _authenticated(victim.access, "bearer"))).json,
                     "data.videos.0") or {}
    ids = {"course_id": course, "video_id": str(detail.get("id", NO_ID)), "session_id": spare.session_id,
           "quiz_id": str(json_at(detail, "quizPoints.0.id") or NO_ID)}
    video = "/api/v1/student/videos/{video_id}"
    return [
        _write("csrf.profile_update", "PUT", PROFILE, ids, {"bio": "csrf probe"}),
        _write("csrf.enroll", "POST", "/api/v1/student/courses/{course_id}/enroll", {**ids, "course_id": other}, {}),
        _write("csrf.video_progress", "PUT", video + "/progress", ids, {"watchedSeconds": 1}),
        _write("csrf.video_complete", "POST", video + "/complete", ids),
        _write("csrf.quiz_answer", "POST", video + "/quiz/{quiz_id}/answer", ids, {"answer": 0}),
        _write("csrf.review", "POST", "/api/v1/student/courses/{course_id}/review", ids,
               {"rating": 5, "comment": "csrf probe"}),
        _write("csrf.ai_chat", "POST", "/api/v1/ai/videos/{video_id}/chat", ids, {"message": "csrf probe"}),
        _write("csrf.ai_outline", "POST", "/api/v1/ai/courses/generate-outline", ids, {"topic": "csrf probe"}),
        _write("csrf.media_initiate", "POST", "/api/v1/media/upload/initiate", ids,
               {"filename": "probe.mp4", "fileSize": 1, "contentType": "video/mp4"}),
        _write("csrf.media_complete", "POST", "/api/v1/media/upload/complete", ids, {"sessionKey": "csrf-probe"}),
        _write("csrf.session_revoke", "DELETE", "/api/v1/auth/sessions/{session_id}", ids),
        _write("csrf.sessions_revoke_all", "POST", "/api/v1/auth/sessions/revoke-all", ids),
        _write("csrf.unenroll", "POST", "/api/v1/student/courses/{course_id}/unenroll", ids),
        _write("csrf.profile_delete", "DELETE", PROFILE, ids),
    ]


def _instructor_ids(send: Send, owner: Session) -> dict[str, Any]:
    course = next(iter(_ids(send, "/api/v1/instructor/courses?limit=100", owner, "data.courses")), NO_ID)
    detail = f"/api/v1/instructor/courses/{course}"
    videos = _ids(send, detail, owner, "data.videos")
    return {"course_id": course, "videos": videos, "video_id": next(iter(videos), NO_ID),
            "section_id": next(iter(_ids(send, detail, owner, "data.sections")), NO_ID),
            "media_file_id": next(iter(_ids(send, "/api/v1/media/user/media", owner, "data.mediaFiles")), NO_ID)}


def _instructor_writes(send: Send, owner: Session) -> list[Write]:
    """The instructor's cookie writes (§3.5, 3.7, 3.9, 3.10) on its first course, that course's first video and
    section, and its first media file; the deletions last."""
    ids = _instructor_ids(send, owner)
    course, section = "/api/v1/instructor/courses/{course_id}", "/api/v1/content/sections/{section_id}"
    media = "/api/v1/media/media/{media_file_id}"
    clip = Upload("video", "probe.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    image = Upload("thumbnail", "probe.png", b"\x89PNG\r\n\x1a\n", "image/png")
    document = Upload("document", "probe.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    return [
        _write("csrf.course_create", "POST", "/api/v1/instructor/courses", ids, {"title": "csrf probe"}),
        _write("csrf.course_update", "PUT", course, ids, {"description": "csrf probe"}),
        _write("csrf.course_publish", "POST", course + "/publish", ids),
        _write("csrf.course_unpublish", "POST", course + "/unpublish", ids),
        _write("csrf.video_reorder", "PUT", course + "/videos/reorder", ids, {"videoIds": ids["videos"]}),
        _write("csrf.course_duplicate", "POST", course + "/duplicate", ids),
        _write("csrf.video_create", "POST", course + "/videos", ids,
               {"title": "csrf probe", "videoUrl": "https://cdn.example/probe.mp4"}),
        _write("csrf.video_update", "PUT", "/api/v1/instructor/videos/{video_id}", ids, {"description": "csrf probe"}),
        _write("csrf.video_upload", "POST", "/api/v1/videos/upload", ids, {"course_id": ids["course_id"]}, clip),
        _write("csrf.thumbnail_upload", "POST", "/api/v1/thumbnails/upload", ids,
               {"resource_id": ids["course_id"], "resource_type": "course"}, image),
        _write("csrf.document_upload", "POST", "/api/v1/documents/upload", ids, {"course_id": ids["course_id"]},
               document),
        _write("csrf.section_create", "POST", "/api/v1/content/courses/{course_id}/sections", ids,
               {"title": "csrf probe"}),
        _write("csrf.section_update", "PUT", section, ids, {"description": "csrf probe"}),
        _write("csrf.section_media_assign", "POST", section + "/media", ids, {"mediaFileId": ids["media_file_id"]}),
        _write("csrf.section_media_reorder", "PUT", section + "/media/reorder", ids, {"mediaOrder": []}),
        _write("csrf.media_process", "POST", media + "/process", ids),
        _write("csrf.media_attach", "POST", media + "/attach-video", ids, {"videoId": ids["video_id"]}),
        _write("csrf.media_unassign", "POST", "/api/v1/content/media/{media_file_id}/unassign", ids),
        _write("csrf.file_delete", "DELETE", "/api/v1/delete", ids, {"file_path": "videos/csrf-probe.mp4"}),
        _write("csrf.video_delete", "DELETE", "/api/v1/instructor/videos/{video_id}", ids),
        _write("csrf.section_delete", "DELETE", section, ids),
        _write("csrf.media_delete", "DELETE", media, ids),
        _write("csrf.course_delete", "DELETE", course, ids),
    ]


def _csrf(run: _Run, victim: Session, spare: Session, owner: Session | None) -> None:
    writes = [(owner, w) for w in _instructor_writes(run.send, owner)] if owner else []
    writes += [(victim, w) for w in _student_writes(run.send, victim, spare)]
    for session, write in writes:
        sent = write.request([("Origin", EVIL_ORIGIN), session.cookie()])
        reply = run.send(sent)
        refused = reply.status in (401, 403)
        verdict = "refused" if refused else "NOT refused: it got past the CSRF check, so a cross-site page can send it"
        run.proofs.append(Proof(write.probe, run.side, refused,
                                f"{write.method} {write.path} with {session.email}'s session cookies, Origin "
                                f"{EVIL_ORIGIN} and no X-CSRF-Token: {_code(reply)}, {verdict}",
                                sent, reply, f"{write.method} {write.operation}", {"account": session.email}))


# --- login brute force ---------------------------------------------------------------------------------------

def probe_login_limit(send: Send, side: str, email: str, limit: int = 10) -> Proof:
    """`bruteforce.login`: `limit` + 2 wrong passwords; once more when the window rolled over during them
    (X-RateLimit-Reset changed) and no 429 came, so a fixed window's boundary cannot split the attempts below the
    limit. Refused when a 429 came by attempt `limit` + 1 of a round."""
    statuses: list[int] = []
    sent, reply, first, resets = _attempts(send, email, limit + 2, statuses)
    if first is None and len(resets) > 1:
        sent, reply, first, resets = _attempts(send, email, limit + 2, statuses)
    refused = first is not None and first <= limit + 1
    seen = ", ".join(map(str, sorted(set(statuses))))
    detail = (f"{len(statuses)} wrong passwords for {email} on POST /api/v1/auth/login (documented limit "
              f"{limit}/min): " + (f"429 at attempt {len(statuses)}" if first else f"no 429 (statuses {seen})")
              + ("" if refused else "; the login limit is not enforced"))
    return Proof("bruteforce.login", side, refused, detail, sent, reply, "POST /api/v1/auth/login",
                 {"statuses": statuses, "first_429": len(statuses) if first else None, "limit": limit})


def _attempts(send: Send, email: str, count: int, statuses: list[int]) -> tuple[Sent, Reply, int | None, set[str]]:
    """Up to `count` wrong passwords, stopping at a 429: the last request and reply, the attempt (1-based) that
    drew the 429, the X-RateLimit-Reset values seen."""
    resets: set[str] = set()
    for attempt in range(1, count + 1):
        sent = login_request(email, f"wrong-password-{attempt}")
        reply = send(sent)
        statuses.append(reply.status)
        resets.update(filter(None, [reply.header("X-RateLimit-Reset")]))
        if reply.status == 429:
            return sent, reply, attempt, resets
    return sent, reply, None, resets


def family(probe: str) -> str:
    """The family of a probe id: jwt, csrf, bruteforce or cors."""
    return probe.split(".", 1)[0]
