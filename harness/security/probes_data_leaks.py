"""What a side's answers give away, for probes_data.py: its errors (tracebacks, debug pages, version banners) and
its secrets (password hashes, private keys, access key ids).

    error_leaks(reply) -> list[str]      traceback text, Werkzeug's debugger, Django's technical pages, a version
                                         banner (Server / X-Powered-By, or in an error's body)
    secrets_in(reply) -> list[str]       password hashes in the formats Werkzeug, Django, bcrypt, Argon2 and
                                         crypt(3) write, a password or secret under its own JSON key, a private
                                         key, AWS and Backblaze B2 key ids; one line each
    debug(run, owner)                    the `debug.<case>` probes: malformed JSON (and JSON nested past the
                                         parser's depth), a wrong content type, an oversized body, an unknown
                                         route, a method not allowed, an id of the wrong type, bad paging, a
                                         garbage token; refused = no error_leaks and no 5xx
    secret_probes(run)                   `secrets.{password_hash,private_key,access_key}` over every answer the
                                         run saw: refused = none holds one
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from harness.http import Reply, Sent, json_request

from .probes_data_run import PROFILE, Actor, Run, Seen, as_text, code

#: (what it is, the text that betrays it).
ERROR_PAGES = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a source location", re.compile(r'File "/[^"]+", line \d+')),
    ("Werkzeug's debugger", re.compile(r"Werkzeug Debugger|__debugger__|The debugger caught an exception")),
    ("Django's debug page", re.compile(r"You're seeing this error because you have|Django Version:|"
                                       r"Using the URLconf defined in")),
)
BANNER = re.compile(r"(?i)\b(werkzeug|flask|django|gunicorn|uvicorn|daphne|hypercorn|waitress|python|cpython|"
                    r"nginx|apache)/\d")
BANNER_HEADERS = ("Server", "X-Powered-By", "X-AspNet-Version", "X-Runtime-Version")


def error_leaks(reply: Reply) -> list[str]:
    """What an answer gives away about the code behind it; a banner in a body only counts in an error's."""
    text = reply.body.decode("utf-8", "replace")
    found = [f"{what} ({match.group(0)!r})" for what, pattern in ERROR_PAGES if (match := pattern.search(text))]
    for name in BANNER_HEADERS:
        value = reply.header(name)
        if value and BANNER.search(value):
            found.append(f"a version banner ({name}: {value})")
    if reply.status >= 400 and (match := BANNER.search(text)):
        found.append(f"a version banner in the body ({match.group(0)!r}...)")
    return found


@dataclass(frozen=True, slots=True)
class Case:
    probe: str
    operation: str
    what: str
    sent: Sent


def debug_cases(owner: Actor) -> Iterator[Case]:
    login, json_type = "/api/v1/auth/login", [("Content-Type", "application/json")]
    login_op, profile_op = f"POST {login}", f"PUT {PROFILE}"
    yield Case("debug.malformed_json", login_op, "JSON cut short",
               Sent("POST", login, json_type, b'{"email": "probe@unpuzzle.test", "password": '))
    yield Case("debug.malformed_json", profile_op, "JSON with a missing value",
               Sent("PUT", PROFILE, [*owner.auth, *json_type], b'{"full_name": }'))
    yield Case("debug.malformed_json", login_op, "bytes that are not UTF-8",
               Sent("POST", login, json_type, b"\xff\xfe{\x00"))
    yield Case("debug.deep_json", login_op, "JSON nested 100000 deep (past the parser's recursion limit)",
               Sent("POST", login, json_type, b"[" * 100_000 + b"]" * 100_000))
    yield Case("debug.wrong_content_type", login_op, "an XML body",
               Sent("POST", login, [("Content-Type", "application/xml")],
                    b'<?xml version="1.0"?><login><email>probe@unpuzzle.test</email></login>'))
    yield Case("debug.wrong_content_type", profile_op, "a form body",
               Sent("PUT", PROFILE, [*owner.auth, ("Content-Type", "application/x-www-form-urlencoded")],
                    b"full_name=probe"))
    yield Case("debug.wrong_content_type", login_op, "multipart without a boundary",
               Sent("POST", login, [("Content-Type", "multipart/form-data")], b"--x\r\n"))
    yield Case("debug.oversized_body", login_op, "a 4 MiB JSON body",
               json_request("POST", login, {"email": "a" * (4 << 20), "password": "x"}))
    for path in ("/api/v1/data-probe-no-such-route", "/data-probe.php", "/api/v1/courses/a/b/c/d"):
        yield Case("debug.unknown_route", f"GET {path}", "an unknown route", Sent("GET", path, []))
    for method, path in (("PATCH", "/api/v1/courses"), ("DELETE", login), ("PUT", "/health")):
        yield Case("debug.method_not_allowed", f"{method} {path}", "a method the path does not allow",
                   Sent(method, path, []))
    for operation, path, auth in (
            ("GET /api/v1/courses/{course_id}", "/api/v1/courses/12345", []),
            ("GET /api/v1/courses/{course_id}", "/api/v1/courses/" + "9" * 400, []),
            ("GET /api/v1/student/videos/{video_id}/progress", "/api/v1/student/videos/not-a-uuid/progress",
             owner.auth),
            ("GET /api/v1/media/media/{media_file_id}", "/api/v1/media/media/-1", owner.auth),
            ("DELETE /api/v1/auth/sessions/{session_id}", "/api/v1/auth/sessions/1", owner.auth)):
        yield Case("debug.wrong_id_type", operation, "an id that is not a UUID",
                   Sent(operation.split()[0], path, auth))
    yield Case("debug.bad_query", "GET /api/v1/courses", "non-numeric paging",
               Sent("GET", "/api/v1/courses?page=abc&limit=%FF", []))
    yield Case("debug.bad_token", f"GET {PROFILE}", "a Bearer token that is not a JWT",
               Sent("GET", PROFILE, [("Authorization", "Bearer not.a.jwt")]))
    yield Case("debug.bad_token", f"GET {PROFILE}", "a garbage access_token cookie",
               Sent("GET", PROFILE, [("Cookie", "access_token=%%%; refresh_token=")]))


def debug(run: Run, owner: Actor) -> None:
    for case in debug_cases(owner):
        seen = run.call(case.operation, case.sent)
        leaks = error_leaks(seen.reply)
        faults = leaks + ([f"a server error ({seen.reply.status})"] if seen.reply.status >= 500 else [])
        detail = (f"{case.sent.method} {case.sent.path[:80]} with {case.what}: {code(seen.reply)}, "
                  + (f"gives away {'; '.join(faults)}" if faults else "no traceback, debug page or version banner"))
        run.prove(case.probe, not faults, detail, seen, leaks=leaks)


# --- secrets -----------------------------------------------------------------------------------------------------

HASH, KEY, ACCESS = "secrets.password_hash", "secrets.private_key", "secrets.access_key"
SECRET_PROBES = (HASH, KEY, ACCESS)
#: (probe, what it is, pattern) for what no answer may hold.
SECRET_PATTERNS = (
    (HASH, "a Werkzeug password hash",
     re.compile(r"\b(?:pbkdf2:sha(?:1|256|512)(?::\d+)?|scrypt(?::\d+){0,3})\$[^$\s\"]+\$[0-9a-f]{16,}")),
    (HASH, "a Django password hash",
     re.compile(r"\b(?:pbkdf2_sha(?:1|256)|scrypt)\$\d+\$[^$\s\"]+\$|\b(?:argon2|bcrypt(?:_sha256)?)\$\$?")),
    (HASH, "a bcrypt hash", re.compile(r"\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}")),
    (HASH, "an Argon2 hash", re.compile(r"\$argon2(?:id|i|d)\$v=\d+\$")),
    (HASH, "a crypt(3) SHA hash", re.compile(r"\$[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}")),
    (KEY, "a private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    (ACCESS, "an AWS access key id", re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|AIPA)[A-Z0-9]{16}\b")),
    (ACCESS, "a Backblaze B2 key id", re.compile(r"\b00[0-9a-f]{23}\b")),
    (ACCESS, "a Backblaze B2 application key", re.compile(r"\bK\d{3}[A-Za-z0-9+/]{27}\b")),
)
#: JSON keys (lower case, without `_` and `-`) whose non-empty value is a secret whatever it looks like.
SECRET_KEYS = {
    "password": HASH, "passwordhash": HASH, "hashedpassword": HASH, "passwd": HASH, "passwordsalt": HASH,
    "privatekey": KEY, "secretkey": ACCESS, "secretaccesskey": ACCESS, "awssecretaccesskey": ACCESS,
    "applicationkey": ACCESS, "b2applicationkey": ACCESS, "jwtsecret": ACCESS, "clientsecret": ACCESS,
}
#: Values the key id patterns do not read: a presigned upload must carry its key id (AWS SigV4's
#: `x-amz-credential`), and its policy, signature and the tokens are base64 a 31-character key could match by chance.
NOT_KEY_IDS = frozenset({"xamzcredential", "policy", "xamzsignature", "accesstoken", "refreshtoken", "token",
                         "csrftoken"})


def secrets_in(reply: Reply) -> list[str]:
    """What `reply` gives away, one line each ("a Werkzeug password hash at body.data.passwordHash: 'pbkdf2:sh…'").
    Set-Cookie is not read (it carries the session's tokens)."""
    return [line for _, line in secret_hits(reply)]


def secret_hits(reply: Reply) -> list[tuple[str, str]]:
    """(probe, line) for each secret in `reply`."""
    hits: list[tuple[str, str]] = []
    document = reply.body_json
    if document is None:
        hits += _matches(reply.body.decode("utf-8", "replace"), "body", key_ids=True)
    for where, key, value in _walk(document, "body") if document is not None else ():
        hits += _matches(value, where, key_ids=key not in NOT_KEY_IDS)
        if key in SECRET_KEYS and value not in (None, "", [], {}):
            hits.append((SECRET_KEYS[key], f"a secret under its own key at {where}: {_short(value)}"))
    for name, value in reply.headers:
        if name.lower() != "set-cookie":
            hits += _matches(value, f"header {name}", key_ids=True)
    return hits


def _walk(document: Any, where: str, key: str = "") -> Iterator[tuple[str, str, Any]]:
    """(where, normalised key, value) for every value of a JSON document, depth first."""
    yield where, key, document
    if isinstance(document, dict):
        for name, value in document.items():
            yield from _walk(value, f"{where}.{name}", re.sub(r"[_\-]", "", str(name)).lower())
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _walk(value, f"{where}.{index}", key)


def _matches(value: Any, where: str, *, key_ids: bool) -> list[tuple[str, str]]:
    if not isinstance(value, str):
        return []
    return [(probe, f"{what} at {where}: {_short(match.group(0))}") for probe, what, pattern in SECRET_PATTERNS
            if (key_ids or probe != ACCESS) and (match := pattern.search(value))]


def _short(value: Any) -> str:
    text = as_text(value)
    return repr(text[:12] + "…" if len(text) > 12 else text)


def secret_probes(run: Run) -> None:
    found: dict[str, list[tuple[Seen, str]]] = {probe: [] for probe in SECRET_PROBES}
    for seen in run.seen:
        for probe, line in secret_hits(seen.reply):
            found[probe].append((seen, line))
    # A clean verdict keeps a profile read that answered: where a password hash would most likely show.
    profile = next((s for s in run.seen if s.operation == f"GET {PROFILE}" and s.reply.status == 200),
                   run.seen[-1] if run.seen else None)
    for probe, hits in found.items():
        where = sorted({f"{seen.operation}: {line}" for seen, line in hits})
        detail = (f"{len(hits)} in the {len(run.seen)} answers the data probes saw: {'; '.join(where[:5])}" if hits
                  else f"none in the {len(run.seen)} answers the data probes saw")
        run.prove(probe, not hits, detail, hits[0][0] if hits else profile, found=where)
