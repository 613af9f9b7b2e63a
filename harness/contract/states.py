"""The `states` source: the documented statuses that only a state or a setting reaches, sent through the fan-out
like every other source (so the candidate is compared with legacy on each), and the reasons for those that no
request can reach.

What it drives, in the order of `STEPS` (mutations late, so the earlier steps see the seed as it is):
- guards: every operation as a stranger (a user signed up for the run: no role beyond student, no enrolment, owns
  nothing) authenticated by cookie without the CSRF header (403 CSRF_INVALID) and by Bearer (403 FORBIDDEN /
  NOT_ENROLLED), and as the second seeded instructor, who owns none of the seeded path's rows (403 owner);
- states from the seed: enrolling twice (409 ALREADY_ENROLLED), a course update with a stale `version`
  (409 VERSION_CONFLICT), an uploaded video read back with a range, a range past its end and a conditional
  request (206, 416, 304), and by a stranger and anonymously (403, 401);
- the body-limit pass: a small request body limit (`MAX_CONTENT_LENGTH`: 413 on the upload operations);
- validation: every operation as the admin (who passes every guard) with an empty JSON object (400/422) and the
  seeded path parameters, so the handler's own checks answer; the deleting operations go last (their 200s);
- the rate-limit pass (`RATELIMIT_ENABLED`): every operation called anonymously until it answers 429; the limit
  is read from `X-RateLimit-Limit`.
The two settings passes (`SETTINGS_PASSES`) switch their settings on on every side for the pass only and off
again afterwards. A setting can be switched only on an in-process side (a Flask app's `config`, Django's
settings); when a side is a URL (a server someone else started, or one the harness spawned with its settings
fixed) or a plain WSGI callable, the pass is skipped (a typed `Skip`) and the result says why.
"""
from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from harness.http import login

from .exchange import Reply, Sent
from .gate import Skip, SkipReason

#: The bundled apps' settings (both read the same names from the environment; API.md §1.9 for the limits).
RATE_LIMITS_ON = {"RATELIMIT_ENABLED": True}
SMALL_BODY_LIMIT = 64 * 1024
BODY_LIMIT = {"MAX_CONTENT_LENGTH": SMALL_BODY_LIMIT, "DATA_UPLOAD_MAX_MEMORY_SIZE": SMALL_BODY_LIMIT}
#: The most anonymous calls of one operation the rate-limit pass makes (its limit + 1 when the limit is known).
RATE_LIMIT_CAP = 520

#: (x-api-id, status) -> why no request can reach it on a running target. Anything else not reached is listed
#: with the generic reason of `unreached`.
UNREACHABLE: dict[tuple[str, int], str] = {
    ("P52", 503): "needs the target's database to be unreachable; the gate never breaks a target's database",
    ("P54", 500): "needs the storage backend to fail while an upload completes; the gate cannot make storage fail",
    ("P2", 403): "403 ACCOUNT_DISABLED needs a suspended or inactive account that can still log in; the seed has "
                 "none and no API operation suspends one (a deleted profile logs in as 401)",
    ("P4", 403): "403 ACCOUNT_DISABLED needs a refresh token of a suspended account; the seed has none and no API "
                 "operation suspends one",
}
_DISABLED_ONLY = ("403 here is only ACCOUNT_DISABLED (no role, owner, enrolment or CSRF check applies to this "
                  "operation): it needs a suspended account; the seed has none and no API operation suspends one")
for _api in ("P3", "P5", "P6", "P9", "P11", "P12", "P13", "P19", "P20", "P24", "P43", "P46", "P60", "P61", "X9"):
    UNREACHABLE.setdefault((_api, 403), _DISABLED_ONLY)

DELETING = ("DELETE",)
_BAD_JSON = {"raw": b"{not json", "headers": [("Content-Type", "application/json")]}
#: method -> the validation step's requests as the admin: (path suffix, what the request carries).
VALIDATION_REQUESTS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "POST": (("", {"body": {}}), ("", _BAD_JSON)),
    "PUT": (("", {"body": {}}), ("", _BAD_JSON)),
    "PATCH": (("", {"body": {}}), ("", _BAD_JSON)),
    "GET": (("?page=0&limit=-1", {}), ("", {})),
    "DELETE": (("", {}),),
}
DESTRUCTIVE = frozenset({"P3", "P7", "P8", "P14", "P15"})  # revoke or rewrite the caller's own session/account


def _unwrap(app: Any) -> Any:
    """A middleware that keeps the app it wraps as `.app` (tests/harness/contract/faults.py) is seen through."""
    seen = 0
    while not hasattr(app, "config") and hasattr(app, "app") and seen < 10:
        app, seen = app.app, seen + 1
    return app


@dataclass(frozen=True, slots=True)
class Unswitchable:
    """Why a side's settings cannot be switched for one pass."""

    reason: SkipReason
    detail: str


def _unswitchable(name: str, app: Any) -> Unswitchable | None:
    from .routes import is_django

    if isinstance(app, str):
        return Unswitchable(SkipReason.NOT_APPLICABLE_TO_URL_TARGET,
                            f"{name} is reached by URL ({app}): its settings cannot be switched for one pass")
    inner = _unwrap(app)
    if isinstance(getattr(inner, "config", None), dict) or is_django(inner):
        return None
    return Unswitchable(SkipReason.NO_SETTINGS_MAPPING, f"{name} is a plain WSGI callable ({type(app).__name__}): "
                                                        f"the harness knows no settings mapping to switch")


@contextlib.contextmanager
def _flask_values(configs: list[dict[str, Any]], values: dict[str, Any]) -> Iterator[None]:
    saved = [{k: (k in c, c.get(k)) for k in values} for c in configs]
    for config in configs:
        config.update(values)
    try:
        yield
    finally:
        for config, old in zip(configs, saved, strict=True):
            for key, (present, value) in old.items():
                if present:
                    config[key] = value
                else:
                    config.pop(key, None)


@contextlib.contextmanager
def _django_values(on: bool, values: dict[str, Any]) -> Iterator[None]:
    if not on:
        yield
        return
    from django.test import override_settings

    with override_settings(**values):
        yield


@contextlib.contextmanager
def switched(apps: dict[str, Any], values: dict[str, Any]) -> Iterator[Unswitchable | None]:
    """Switch `values` on in every side's app for the block; yields None, or why it cannot (nothing switched)."""
    blocked = next(filter(None, (_unswitchable(name, app) for name, app in apps.items())), None)
    if blocked is not None:
        yield blocked
        return
    inner = [_unwrap(app) for app in apps.values()]
    configs = [app.config for app in inner if isinstance(getattr(app, "config", None), dict)]
    with _django_values(len(configs) < len(inner), values), _flask_values(configs, values):
        yield None


@contextlib.contextmanager
def configured(apps: dict[str, Any], values: dict[str, Any]) -> Iterator[str | None]:
    """`switched`, yielding why not as text."""
    with switched(apps, values) as blocked:
        yield None if blocked is None else blocked.detail


class StateDriver:
    """Drives the stateful and settings-bound statuses through `send` (the fan-out's)."""

    def __init__(self, send: Callable[[Sent], Reply], contract: dict[str, Any], fill: Callable[[str], str],
                 params: dict[str, str]) -> None:
        from .routes import documented

        self.send_raw, self.fill, self.params = send, fill, params
        self.operations = sorted(documented(contract))
        self.api_ids = {f"{m.upper()} {p}": op.get("x-api-id", "") for p, item in contract["paths"].items()
                        for m, op in item.items() if isinstance(op, dict)}
        self._n = 0

    # -- plumbing ---------------------------------------------------------------------------------------------

    def send(self, method: str, path: str, *, token: str | None = None, cookie: str | None = None,
             body: Any = None, headers: list[tuple[str, str]] | None = None, raw: bytes | None = None) -> Reply:
        hs = list(headers or [])
        if token:
            hs.append(("Authorization", f"Bearer {token}"))
        if cookie:
            hs.append(("Cookie", f"access_token={cookie}"))
        data = b""
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            hs.append(("Content-Type", "application/json"))
        return self.send_raw(Sent(method, path, hs, data))

    def login(self, email: str, password: str) -> str | None:
        return login(self.send_raw, email, password)

    def stranger(self) -> str | None:
        self._n += 1
        email, password = f"states-{self._n}@throwaway.test", "Throwaway123!"
        self.send("POST", "/api/v1/auth/signup", body={"email": email, "password": password})
        return self.login(email, password)

    def _body(self, method: str) -> Any:
        return {} if method in {"POST", "PUT", "PATCH", "DELETE"} else None

    # -- the steps --------------------------------------------------------------------------------------------

    def guards(self, instructor2: str | None) -> None:
        stranger = self.stranger()
        for op in self.operations:
            method, template = op.split(" ", 1)
            path, body = self.fill(template), self._body(method)
            own = self.stranger() if self.api_ids.get(op) in DESTRUCTIVE else stranger
            if own:
                self.send(method, path, cookie=own, body=body)  # cookie auth without X-CSRF-Token
            if self.api_ids.get(op) in DESTRUCTIVE:
                own = self.stranger()
            if own:
                self.send(method, path, token=own, body=body)
            if instructor2 and self.api_ids.get(op) not in DESTRUCTIVE and method not in DELETING:
                self.send(method, path, token=instructor2, body=body)

    def validation(self, admin: str) -> None:
        self._section_round_trip(admin)
        ops = [op for op in self.operations if self.api_ids.get(op) not in DESTRUCTIVE]
        for op in sorted(ops, key=lambda o: o.startswith(DELETING)):  # the deletes last
            method, template = op.split(" ", 1)
            path = self.fill(template)
            for suffix, extra in VALIDATION_REQUESTS.get(method, ()):
                self.send(method, path + suffix, token=admin, **extra)

    def _section_round_trip(self, admin: str) -> None:
        """A section created (201, before any delete) and deleted again."""
        section = self.send("POST", f"/api/v1/content/courses/{self.params['course_id']}/sections", token=admin,
                            body={"title": "A section from the states source"})
        created = ((section.json or {}).get("data") or {}).get("id") if section.status == 201 else None
        if created:
            self.send("DELETE", f"/api/v1/content/sections/{created}", token=admin)

    def conflicts(self, student: str | None, instructor: str | None) -> None:
        course = self.params["course_id"]
        stranger = self.stranger()
        if stranger:
            self.send("POST", f"/api/v1/student/courses/{course}/enroll", token=stranger, body={})
            self.send("POST", f"/api/v1/student/courses/{course}/enroll", token=stranger, body={})  # 409
            self.send("POST", f"/api/v1/student/courses/{course}/enroll", token=stranger,
                      body={"paymentMethod": 5})  # 400
            for comment in ("Clear and well paced.", "Even better the second time."):  # 201, then 200
                self.send("POST", f"/api/v1/student/courses/{course}/review", token=stranger,
                          body={"rating": 5, "comment": comment})
            self.send("GET", f"/api/v1/content/courses/{self.params['draft_course_id']}/sections", token=stranger)
            self.send("GET", f"/api/v1/ai/videos/{self.params['video_id']}/chat?sessionId=not-a-session",
                      token=stranger)
        if instructor:
            reply = self.send("GET", f"/api/v1/instructor/courses/{course}", token=instructor)
            version = ((reply.json or {}).get("data") or {}).get("version")
            stale = version - 1 if isinstance(version, int) and version > 0 else 10_000
            self.send("PUT", f"/api/v1/instructor/courses/{course}", token=instructor,
                      body={"title": "A title that must not be stored", "version": stale})

    def uploads(self, instructor: str | None) -> None:
        if not instructor:
            return
        course = self.params["course_id"]
        boundary = "statesboundary"
        video = bytes(range(256)) * 8
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"course_id\"\r\n\r\n{course}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"video\"; filename=\"states.mp4\"\r\n"
                f"Content-Type: video/mp4\r\n\r\n").encode() + video + f"\r\n--{boundary}--\r\n".encode()
        reply = self.send("POST", "/api/v1/videos/upload", token=instructor, raw=body,
                          headers=[("Content-Type", f"multipart/form-data; boundary={boundary}")])
        url = ((reply.json or {}).get("data") or {}).get("url") or ""
        path = url[url.find("/api/v1/uploads/"):] if "/api/v1/uploads/" in url else None
        if path is None:
            return
        self.send("GET", path)
        stranger = self.stranger()
        if stranger:
            self.send("GET", path, token=stranger)
        self.send("GET", path, token=instructor)
        self.send("GET", path, token=instructor, headers=[("Range", "bytes=0-15")])
        self.send("GET", path, token=instructor, headers=[("Range", f"bytes={len(video) + 100}-")])
        self.send("GET", path, token=instructor, headers=[("If-None-Match", "*")])
        self.send("GET", path, token=instructor, headers=[("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")])

    def oversized(self, instructor: str | None) -> None:
        """The upload operations with a body over the (lowered) limit: 413 before any field is read."""
        if not instructor:
            return
        boundary = "statesboundary"
        for path, field in (("/api/v1/videos/upload", "video"), ("/api/v1/thumbnails/upload", "thumbnail"),
                            ("/api/v1/documents/upload", "document")):
            blob = b"\0" * (SMALL_BODY_LIMIT + 1024)
            body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"big.bin\"\r\n"
                    f"Content-Type: application/octet-stream\r\n\r\n").encode()
            body += blob + f"\r\n--{boundary}--\r\n".encode()
            self.send("POST", path, token=instructor, raw=body,
                      headers=[("Content-Type", f"multipart/form-data; boundary={boundary}")])

    def rate_limits(self) -> None:
        """Each operation anonymously until it answers 429 (its limit + 1 calls)."""
        for op in self.operations:
            method, template = op.split(" ", 1)
            path, body = self.fill(template), self._body(method)
            first = self.send(method, path, body=body)
            limit = first.header("X-RateLimit-Limit")
            if first.status == 429 or limit is None or not limit.isdigit():
                continue
            for _ in range(min(int(limit), RATE_LIMIT_CAP)):
                if self.send(method, path, body=body).status == 429:
                    break


@dataclass(frozen=True, slots=True)
class Logins:
    """The seeded accounts' tokens (None: that login failed)."""

    admin: str | None
    instructor: str | None
    instructor2: str | None
    student: str | None

    @classmethod
    def of(cls, driver: StateDriver) -> Logins:
        from harness.seed import accounts

        return cls(*(driver.login(a.email, a.password)
                     for a in (accounts.ADMIN, accounts.INSTRUCTOR, accounts.INSTRUCTOR2, accounts.STUDENT)))


@dataclass(frozen=True, slots=True)
class Step:
    """A step of the source: `progress` is announced before it (None: silently); `needs` names the login it
    cannot run without."""

    action: Callable[[StateDriver, Logins], None]
    progress: str | None = None
    needs: str | None = None

    def run(self, driver: StateDriver, who: Logins, apps: dict[str, Any], say: Callable[[str], None]) -> Skip | None:
        if self.needs and not getattr(who, self.needs):
            return None
        if self.progress:
            say(f"contract: states ({self.progress})")
        self.action(driver, who)
        return None


@dataclass(frozen=True, slots=True)
class SettingsPass:
    """A step that needs `settings` switched on on every side for its duration, and reaches `status` with them."""

    name: str
    status: int
    settings: dict[str, Any]
    action: Callable[[StateDriver, Logins], None]
    progress: str

    def run(self, driver: StateDriver, who: Logins, apps: dict[str, Any], say: Callable[[str], None]) -> Skip | None:
        say(f"contract: states ({self.progress})")
        with switched(apps, self.settings) as blocked:
            if blocked is not None:
                return Skip("states", blocked.reason, f"{self.name} pass ({self.status}) skipped: {blocked.detail}")
            self.action(driver, who)
        return None


BODY_LIMIT_PASS = SettingsPass("body-limit", 413, BODY_LIMIT, lambda d, who: d.oversized(who.instructor),
                               progress="body limit pass")
RATE_LIMIT_PASS = SettingsPass("rate-limit", 429, RATE_LIMITS_ON, lambda d, who: d.rate_limits(),
                               progress="rate-limit pass")
SETTINGS_PASSES = (BODY_LIMIT_PASS, RATE_LIMIT_PASS)
#: The steps in the order they run: the seed's states first, the validation's deletions late, the rate limits last.
STEPS: tuple[Step | SettingsPass, ...] = (
    Step(lambda d, who: d.guards(who.instructor2), progress="guards"),
    Step(lambda d, who: d.conflicts(who.student, who.instructor)),
    Step(lambda d, who: d.uploads(who.instructor)),
    BODY_LIMIT_PASS,
    Step(lambda d, who: d.validation(who.admin), progress="validation", needs="admin"),
    RATE_LIMIT_PASS,
)


def drive(send: Callable[[Sent], Reply], apps: dict[str, Any], contract: dict[str, Any], fill: Callable[[str], str],
          params: dict[str, str], say: Callable[[str], None] = lambda _m: None) -> list[Skip]:
    """Run every step; returns the settings passes skipped and why (empty when none was)."""
    driver = StateDriver(send, contract, fill, params)
    who = Logins.of(driver)
    skips = (step.run(driver, who, apps, say) for step in STEPS)
    return [skip for skip in skips if skip is not None]


#: status -> why no request of the run answered it, when the run could have (its pass ran).
NOT_ANSWERED = {429: "no request of the run answered 429 (the rate-limit pass runs in the `states` source)"}


def unreached(documented_statuses: set[tuple[str, int]], reached: set[tuple[str, int]],
              skipped: Iterable[Skip | str]) -> list[tuple[str, int, str]]:
    """Every documented (operation, status) not reached, with the reason it cannot be when that is known: a
    structural reason (`UNREACHABLE`), the skipped settings pass that reaches the status, or why it was not."""
    texts = [str(s) for s in skipped]
    passes_skipped = {p.status: text for p in SETTINGS_PASSES
                      if (text := next((t for t in texts if f"({p.status})" in t), None))}

    def reason(op: str, status: int) -> str:
        return (UNREACHABLE.get((op.split(" ", 1)[0], status)) or passes_skipped.get(status)
                or NOT_ANSWERED.get(status) or "not reached by the sources of this run")

    return [(op, status, reason(op, status))
            for op, status in sorted(documented_statuses - reached, key=lambda p: (p[0].split(" ", 1)[1], p[1]))]
