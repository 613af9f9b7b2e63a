"""The data probes: the faithful candidate refuses every one; each flaw injected into a copy of the candidate (an
owner check removed from media, courses, sessions, the tutor chat or progress; role fields taken from the profile
update; a traceback page on errors; a password hash in the profile; a SQL error or a widened answer for a quote in
a filter) turns its own probes, and only its family's, from refused to not refused; legacy refuses what API.md
§1.4, §1.8, §2 and §3.1-3.2 say it must. `secrets_in` and the error checks are read on replies made by hand."""
from __future__ import annotations

import json
import uuid
from urllib.parse import parse_qs, urlencode

import pytest

from harness.core.errors import ConfigError, TargetError
from harness.http import Reply, Sent, WsgiSide, curl, login
from harness.security import probes_data_injection as injection_module
from harness.security.probes_data import FAMILIES, run_data_probes, secrets_in
from harness.security.probes_data_injection import READS as ALL_READS
from harness.security.probes_data_injection import generated, slots
from harness.security.probes_data_leaks import error_leaks
from harness.security.probes_data_run import Run, claims_of
from harness.seed import accounts
from tests.harness.contract.faults import ResponseRewriter

CAST = {"owner": (accounts.STUDENT.email, accounts.STUDENT.password),
        "other": (accounts.STUDENT2.email, accounts.STUDENT2.password),
        "instructor": (accounts.INSTRUCTOR.email, accounts.INSTRUCTOR.password),
        "other_instructor": (accounts.INSTRUCTOR2.email, accounts.INSTRUCTOR2.password)}
#: Every family but the injection probes (the slowest): enough to show a flaw outside them stays in its family.
NOT_INJECTION = ("debug", "idor", "mass_assignment", "secrets")
HASH = "pbkdf2:sha256:600000$Xk2pQ9rLwZ$" + "9f" * 32


def _probe(send, side: str = "candidate", families=FAMILIES):
    proofs = run_data_probes(send, side, **CAST, seed=0, examples=5, families=families)
    return proofs, {p.probe for p in proofs if not p.refused}


def _family(probe: str) -> str:
    return probe.split(".")[0]


# --- the faithful candidate and legacy --------------------------------------------------------------------------

def test_the_faithful_candidate_refuses_every_probe(make_candidate):
    proofs, accepted = _probe(make_candidate())
    assert accepted == set(), [p.detail for p in proofs if not p.refused]
    ids = {p.probe for p in proofs}
    assert {_family(i) for i in ids} == {"idor", "mass_assignment", "injection", "debug", "secrets"}
    assert {f"idor.{r}.{a}" for r, a in [("progress", "read"), ("progress", "write"), ("reflections", "read"),
                                         ("reflections", "write"), ("media", "read"), ("media", "write"),
                                         ("media", "delete"), ("courses", "read"), ("courses", "edit"),
                                         ("courses", "publish"), ("courses", "delete"), ("sessions", "list"),
                                         ("sessions", "revoke")]} <= ids
    assert {"mass_assignment.profile", "mass_assignment.signup", "injection.courses.search",
            "injection.course.course_id", "injection.user_media.sortBy", "debug.malformed_json",
            "debug.wrong_content_type", "debug.oversized_body", "debug.unknown_route", "debug.method_not_allowed",
            "debug.wrong_id_type", "secrets.password_hash", "secrets.private_key", "secrets.access_key"} <= ids
    assert all(p.sent is not None and p.reply is not None and p.operation and p.detail for p in proofs)
    media = next(p for p in proofs if p.probe == "idor.media.read")
    assert media.reply.status == 403 and media.operation == "GET /api/v1/media/media/{media_file_id}"
    assert curl(media.sent, "http://127.0.0.1:8000").startswith("curl -i -X GET -H 'Authorization: Bearer ")
    search = next(p for p in proofs if p.probe == "injection.courses.search")
    assert search.evidence["cases"] >= 11 and search.evidence["failures"] == []


def test_legacy_refuses_what_api_md_says_it_must(make_legacy):
    """§1.8 owner/media-owner guards and P7's 404 for another user's session (idor), P1 assigns `student` and
    unknown body fields are ignored (mass assignment), §1.4 errors are enveloped JSON (debug), §2's User carries no
    password (secrets). What API.md leaves open (injection, a deep or oversized body, a garbage token) is not
    asserted."""
    proofs, accepted = _probe(make_legacy(), "legacy")
    documented = {p.probe for p in proofs if _family(p.probe) in ("idor", "mass_assignment", "secrets")
                  or p.probe in ("debug.malformed_json", "debug.wrong_content_type", "debug.unknown_route",
                                 "debug.method_not_allowed", "debug.wrong_id_type")}
    assert documented and not documented & accepted, [p.detail for p in proofs if not p.refused]


def test_a_refused_login_is_a_target_error(make_candidate):
    with pytest.raises(TargetError, match="owner account student@unpuzzle.test cannot log in"):
        run_data_probes(make_candidate(), "candidate", **{**CAST, "owner": (accounts.STUDENT.email, "wrong")})


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="unknown family 'xss'"):
        run_data_probes(lambda sent: Reply(500, [], b""), "x", **CAST, families=("idor", "xss"))
    with pytest.raises(ConfigError, match="examples must be 0 or more"):
        run_data_probes(lambda sent: Reply(500, [], b""), "x", **CAST, examples=-1)


def test_a_probe_that_cannot_be_set_up_fails_closed():
    """A side that lets everyone log in and answers every other request 404 holds nothing to attack."""
    def send(sent: Sent) -> Reply:
        if sent.path == "/api/v1/auth/login":
            body = {"ok": True, "data": {"access_token": "a.b.c", "session_id": str(uuid.uuid4()),
                                         "user": {"id": str(uuid.uuid4())}}}
            return Reply(200, [("Content-Type", "application/json")], json.dumps(body).encode())
        return Reply(404, [("Content-Type", "application/json")], b'{"ok": false}')

    proofs, accepted = _probe(send, "stand-in", families=("idor",))
    assert {"idor.progress.read", "idor.media.read", "idor.courses.delete"} <= accepted
    assert all(p.evidence.get("not_run") and p.detail.startswith("not run:") for p in proofs if not p.refused)
    assert {p.probe for p in proofs} - accepted == set()


def test_a_rate_limited_request_is_sent_again_after_its_retry_after():
    answers = iter([Reply(429, [("Retry-After", "0")], b""), Reply(200, [], b"ok")])
    run = Run(lambda sent: next(answers), "stand-in")
    seen = run.call("GET /api/v1/courses", Sent("GET", "/api/v1/courses", []))
    assert seen.reply.status == 200 and len(run.seen) == 1
    refused = Run(lambda sent: Reply(429, [], b""), "stand-in").call("GET /x", Sent("GET", "/x", []))
    assert refused.reply.status == 429  # no Retry-After: nothing to wait for


# --- IDOR: an owner check removed ------------------------------------------------------------------------------

def _allow(course_or_media, ident):
    return ident


OWNER_CHECKS = {
    "media": (["reference_django.media.apis.require_media_owner",
               "reference_django.courses.content_apis.require_media_owner"],
              {"idor.media.read", "idor.media.write", "idor.media.delete"}),
    "courses": (["reference_django.courses.selectors.require_owner",
                 "reference_django.courses.content_apis.require_owner", "reference_django.ai.apis.require_owner"],
                {"idor.courses.read", "idor.courses.edit", "idor.courses.publish", "idor.courses.duplicate",
                 "idor.courses.delete"}),
}


@pytest.mark.parametrize("resource", sorted(OWNER_CHECKS))
def test_an_owner_check_removed_is_caught(make_candidate, monkeypatch, resource):
    targets, caught = OWNER_CHECKS[resource]
    send = make_candidate()  # Django is set up: the views can be imported
    for target in targets:
        monkeypatch.setattr(target, _allow)
    families = NOT_INJECTION if resource == "media" else ("idor",)
    proofs, accepted = _probe(send, families=families)
    assert accepted == caught, [p.detail for p in proofs if not p.refused]
    read = next(p for p in proofs if p.probe == f"idor.{resource}.read" and not p.refused)
    assert read.reply.status == 200 and read.evidence["leaked"]


def test_another_users_session_revoked_is_caught(make_candidate, monkeypatch):
    send = make_candidate()
    from reference_django.accounts import apis, services
    from reference_django.accounts.models import UserSession
    from reference_django.common.access import get_or_404
    from reference_django.common.envelope import ok

    def delete(self, request, session_id):  # P7 without `target.user_id != ident.user_id`
        target = get_or_404(UserSession, str(session_id), "Session")
        services.session_end(session=target, activity="session_revoked", client=apis.client_of(request))
        return ok({"session_id": target.id, "message": "Session revoked successfully"})

    monkeypatch.setattr(apis.SessionDetailApi, "delete", delete)
    proofs, accepted = _probe(send, families=("idor",))
    assert accepted == {"idor.sessions.revoke"}
    revoke = next(p for p in proofs if p.probe == "idor.sessions.revoke" and not p.refused)
    assert revoke.evidence["changed"] and revoke.sent.method == "DELETE"


def test_another_users_chat_read_is_caught(make_candidate, monkeypatch):
    send = make_candidate()
    from reference_django.ai import selectors
    from reference_django.ai.models import AIChat

    def chat_history(user_id, video_id, session_id):  # the session id alone picks the conversation
        if session_id is None:
            return original(user_id, video_id, session_id)
        return list(AIChat.objects.filter(video_id=video_id, session_id=session_id).order_by("created_at", "id"))

    original = selectors.chat_history
    monkeypatch.setattr(selectors, "chat_history", chat_history)
    proofs, accepted = _probe(send, families=("idor",))
    assert accepted == {"idor.reflections.read", "idor.reflections.write"}
    read = next(p for p in proofs if p.probe == "idor.reflections.read" and not p.refused)
    assert any("data probe reflection" in mark for mark in read.evidence["leaked"])


def _as_user_in_query(app):
    """Progress read and written for the user the query's `userId` names (as a port taking the caller from the
    query would): the request is sent on with that seeded user's own token."""
    tokens: dict[str, str] = {}
    send = WsgiSide("fault", app).send

    def token_of(user_id: str) -> str | None:
        if not tokens:
            for account in accounts.DOCUMENTED:
                token = login(send, account.email, account.password)
                tokens[claims_of(token)["sub"]] = token
        return tokens.get(user_id)

    def middleware(environ, start_response):
        user = parse_qs(environ.get("QUERY_STRING", "")).get("userId", [""])[0]
        if environ["PATH_INFO"].endswith("/progress") and token_of(user):
            environ = {**environ, "HTTP_AUTHORIZATION": f"Bearer {token_of(user)}"}
        return app(environ, start_response)
    return middleware


def test_progress_taken_from_the_query_is_caught(candidate_app):
    send = WsgiSide("candidate", _as_user_in_query(candidate_app())).send
    proofs, accepted = _probe(send, families=("idor",))
    assert accepted == {"idor.progress.read", "idor.progress.write"}
    write = next(p for p in proofs if p.probe == "idor.progress.write")
    assert write.evidence["changed"]


# --- mass assignment -------------------------------------------------------------------------------------------

def test_roles_taken_from_the_profile_update_are_caught(make_candidate, monkeypatch):
    send = make_candidate()
    from reference_django.accounts import apis, selectors, services
    from reference_django.common import parsing

    original = apis.ProfileApi.put

    def put(self, request):  # P14 that also assigns every role the body names
        for name in parsing.json_body(request).get("roles", []):
            services.user_role_assign(admin=self.identity, user=self.identity.user, role=selectors.role_by_name(name),
                                      client=apis.client_of(request))
        return original(self, request)

    monkeypatch.setattr(apis.ProfileApi, "put", put)
    proofs, accepted = _probe(send, families=NOT_INJECTION)
    assert accepted == {"mass_assignment.profile"}, [p.detail for p in proofs if not p.refused]
    profile = next(p for p in proofs if p.probe == "mass_assignment.profile")
    assert "role admin" in profile.evidence["gained"] and "role instructor" in profile.evidence["gained"]
    assert profile.reply.status == 200 and b'"roles"' in profile.sent.body


# --- errors and secrets ----------------------------------------------------------------------------------------

TRACEBACK = (b'Traceback (most recent call last):\n  File "/srv/app/reference_django/common/parsing.py", line 27, '
             b'in json_body\n    data = json.loads(raw)\njson.decoder.JSONDecodeError: Expecting value\n')


def _traceback_on_login_errors(environ, status, headers, body):
    if environ["PATH_INFO"] == "/api/v1/auth/login" and status[0] in "45":
        return "500 Internal Server Error", [("Content-Type", "text/plain")], TRACEBACK
    return status, headers, body


def test_a_traceback_on_an_error_is_caught(candidate_app):
    send = WsgiSide("candidate", ResponseRewriter(candidate_app(), _traceback_on_login_errors)).send
    proofs, accepted = _probe(send, families=NOT_INJECTION)
    assert {_family(p) for p in accepted} == {"debug"}
    assert {"debug.malformed_json", "debug.wrong_content_type", "debug.oversized_body"} <= accepted
    shown = next(p for p in proofs if p.probe == "debug.malformed_json" and not p.refused)
    assert "a Python traceback" in shown.detail and shown.evidence["leaks"]


def _password_hash_in_profile(environ, status, headers, body):
    if environ["PATH_INFO"] == "/api/v1/user/profile" and environ["REQUEST_METHOD"] == "GET" and status[0] == "2":
        document = json.loads(body)
        document["data"]["passwordHash"] = HASH
        body = json.dumps(document).encode()
    return status, headers, body


def test_a_password_hash_in_the_profile_is_caught(candidate_app):
    send = WsgiSide("candidate", ResponseRewriter(candidate_app(), _password_hash_in_profile)).send
    proofs, accepted = _probe(send, families=NOT_INJECTION)
    assert accepted == {"secrets.password_hash"}
    found = next(p for p in proofs if p.probe == "secrets.password_hash")
    assert found.sent.path == "/api/v1/user/profile" and "body.data.passwordHash" in found.detail


# --- injection -------------------------------------------------------------------------------------------------

def _search(environ) -> str:
    return parse_qs(environ.get("QUERY_STRING", "")).get("search", [""])[0]


def _sql_error_for_a_quote(environ, status, headers, body):
    if environ["PATH_INFO"] == "/api/v1/courses" and "'" in _search(environ):
        return ("500 Internal Server Error", [("Content-Type", "application/json")],
                b'{"error": "(sqlite3.OperationalError) near \\"OR\\": syntax error"}')
    return status, headers, body


@pytest.fixture
def catalogue_only(monkeypatch):
    """The injection probes on the catalogue's nine parameters only (every read is covered by the faithful run)."""
    monkeypatch.setattr(injection_module, "READS", ALL_READS[:1])


def test_a_sql_error_for_a_quote_in_a_filter_is_caught(candidate_app, catalogue_only):
    send = WsgiSide("candidate", ResponseRewriter(candidate_app(), _sql_error_for_a_quote)).send
    proofs, accepted = _probe(send, families=("injection", "debug", "secrets"))
    assert accepted == {"injection.courses.search"}
    assert len([p for p in proofs if p.probe.startswith("injection.courses.")]) == 9
    search = next(p for p in proofs if p.probe == "injection.courses.search")
    assert "database error text" in search.detail and "a server error (500)" in search.detail
    assert "' OR '1'='1" in {f["value"] for f in search.evidence["failures"]}


def _injectable(app):
    """A search that an injected `' OR '1'='1` turns into no filter at all (as string-built SQL would)."""
    def middleware(environ, start_response):
        if "OR '1'='1" in _search(environ):
            query = {k: v for k, v in parse_qs(environ["QUERY_STRING"]).items() if k != "search"}
            environ = {**environ, "QUERY_STRING": urlencode(query, doseq=True)}
        return app(environ, start_response)
    return middleware


def test_a_filter_widened_by_injection_is_caught(candidate_app, catalogue_only):
    proofs, accepted = _probe(WsgiSide("candidate", _injectable(candidate_app())).send, families=("injection",))
    assert accepted == {"injection.courses.search"}
    search = next(p for p in proofs if p.probe == "injection.courses.search")
    assert "a wider answer than a nonsense value's" in search.detail


def test_the_generated_values_are_the_same_for_a_seed_and_bounded_by_examples():
    targets = slots({"course_id": str(uuid.uuid4()), "video_id": str(uuid.uuid4())}, ALL_READS)
    first = [(s.probe, repr(v)) for s, v in generated(targets, 7, 12)]
    assert first == [(s.probe, repr(v)) for s, v in generated(targets, 7, 12)]
    assert first != [(s.probe, repr(v)) for s, v in generated(targets, 8, 12)]
    assert 0 < len(first) <= 12 and generated(targets, 7, 0) == []


# --- the checks on replies made by hand ------------------------------------------------------------------------

def _json(document, headers=()) -> Reply:
    return Reply(200, [("Content-Type", "application/json"), *headers], json.dumps(document).encode())


@pytest.mark.parametrize(("value", "what"), [
    (HASH, "a Werkzeug password hash"),
    ("scrypt:32768:8:1$kQ8mYz1p$" + "ab" * 32, "a Werkzeug password hash"),
    ("pbkdf2_sha256$870000$GgS0wVbQ$Zq0Y5tW0fH1sTzV8m1o9lQ6tX1u3g0n5YyH1p2sC4nE=", "a Django password hash"),
    ("$2b$12$" + "a" * 53, "a bcrypt hash"),
    ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", "an Argon2 hash"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow", "a private key"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    ("0051a2b3c4d5e6f0000000001", "a Backblaze B2 key id"),
])
def test_secrets_in_finds_each_kind(value, what):
    found = secrets_in(_json({"ok": True, "data": {"note": value}}))
    assert any(line.startswith(f"{what} at body.data.note") for line in found), found


def test_secrets_in_finds_a_password_under_its_own_key_and_in_plain_text():
    assert secrets_in(_json({"data": {"password_hash": "x1"}})) == ["a secret under its own key at "
                                                                  "body.data.password_hash: 'x1'"]
    assert secrets_in(Reply(500, [("Content-Type", "text/plain")], b"user row: " + HASH.encode()))


def test_secrets_in_is_silent_on_what_the_api_sends():
    """A login (tokens, a null password-like key), a presigned upload (its key id is meant to be there)."""
    login_reply = _json({"ok": True, "data": {"access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.K123" + "a" * 27,
                                              "csrf_token": "f" * 64, "user": {"password": None, "email": "a@b.c"}}},
                        [("Set-Cookie", "access_token=AKIAIOSFODNN7EXAMPLE; HttpOnly")])
    presigned = _json({"ok": True, "data": {"fields": {"x-amz-credential": "0051a2b3c4d5e6f0000000001/20250101/"
                                                                          "us-west-004/s3/aws4_request",
                                                       "policy": "eyJleHBpcmF0aW9uIjogIjIwMjUifQ=="}}})
    assert secrets_in(login_reply) == [] and secrets_in(presigned) == []


def test_error_leaks_names_tracebacks_debug_pages_and_banners():
    django = Reply(500, [("Content-Type", "text/plain")],
                   b"You're seeing this error because you have DEBUG = True in your Django settings file.")
    banner = Reply(404, [("Server", "Werkzeug/3.1.3 Python/3.11.7")], b'{"ok": false}')
    assert [leak.split(" (")[0] for leak in error_leaks(Reply(500, [], TRACEBACK))] == [
        "a Python traceback", "a source location"]
    assert error_leaks(django)[0].startswith("Django's debug page")
    assert error_leaks(banner) == ["a version banner (Server: Werkzeug/3.1.3 Python/3.11.7)"]
    assert error_leaks(Reply(400, [("Server", "gunicorn")], b'{"ok": false, "error": {"code": "X"}}')) == []
