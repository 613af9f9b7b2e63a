"""The authentication probes: the faithful candidate refuses every one; each flaw injected into a copy of the
candidate (alg none accepted, an empty signature skipped, a blank secret, a kid read as a path or looked up in SQL,
the published public key taken as HMAC secret, exp not checked, a revoked session accepted, a refresh token taken
as access, CORS opened to any origin with credentials, the login limit off, the CSRF check gone) turns exactly its
own probes from refused to not refused; legacy refuses what API.md §1.6, §1.7 and §1.9 say it must."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import jwt
import pytest

from harness.core.errors import TargetError
from harness.http import Reply, WsgiSide
from harness.security.probes_auth import family, probe_login_limit, run_auth_probes
from harness.seed import accounts
from tests.harness.contract.faults import ResponseRewriter

STUDENT = (accounts.STUDENT.email, accounts.STUDENT.password)
INSTRUCTOR = (accounts.INSTRUCTOR.email, accounts.INSTRUCTOR.password)
LIMITED = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URL": "memory://"}
LEGACY_SECRET = "legacy-probe-secret-0123456789abcdef0123456789"
ALG_NONE = {f"jwt.alg_none.{s}.{t}" for s in ("lower", "title", "upper", "mixed") for t in ("bearer", "cookie")}


def _both(name: str) -> set[str]:
    return {f"jwt.{name}.bearer", f"jwt.{name}.cookie"}


def _signing_key() -> str:
    from django.conf import settings

    return settings.SIMPLE_JWT["SIGNING_KEY"]


def _probe(send, side: str = "candidate", secret: str | None = None, instructor: bool = False):
    """Every probe against `send` (the instructor's writes too when asked: they only add CSRF probes)."""
    proofs = run_auth_probes(send, side, user=STUDENT, instructor=INSTRUCTOR if instructor else None,
                             secret=_signing_key() if secret is None else secret)
    return proofs, {p.probe for p in proofs if not p.refused}


# --- the faithful candidate and legacy --------------------------------------------------------------------------

def test_the_faithful_candidate_refuses_every_probe(make_candidate):
    proofs, accepted = _probe(make_candidate(**LIMITED), instructor=True)
    assert accepted == set(), [p.detail for p in proofs if not p.refused]
    ids = [p.probe for p in proofs]
    assert len(ids) == len(set(ids))
    assert ALG_NONE | _both("expired") | _both("not_yet_valid") | _both("revoked_session") <= set(ids)
    assert {"csrf.profile_update", "csrf.enroll", "csrf.video_progress", "csrf.course_create", "bruteforce.login",
            "cors.credentials.read", "cors.credentials.preflight"} <= set(ids)
    assert {family(i) for i in ids} == {"jwt", "csrf", "bruteforce", "cors"}
    assert all(p.sent is not None and p.reply is not None and p.detail for p in proofs)
    csrf = next(p for p in proofs if p.probe == "csrf.profile_update")
    assert csrf.reply.status == 403 and csrf.sent.header("X-CSRF-Token") is None
    assert "access_token=" in csrf.sent.header("Cookie")
    brute = next(p for p in proofs if p.probe == "bruteforce.login")
    assert brute.reply.status == 429 and brute.evidence["first_429"] <= 11
    confusion = next(p.detail for p in proofs if p.probe == "jwt.key_confusion.bearer")
    assert "freshly generated RSA public key" in confusion and "publishes no JWKS" in confusion


def test_legacy_refuses_what_api_md_says_it_must(make_legacy):
    """§1.6: a valid signature, not expired, the right type, an active session; §1.7: CSRF on cookie writes;
    §1.9: login 10/min. API.md says nothing of `nbf` or CORS, so those are only reported."""
    proofs, accepted = _probe(make_legacy(JWT_SECRET=LEGACY_SECRET, **LIMITED), "legacy", LEGACY_SECRET, True)
    musts = {p.probe for p in proofs if family(p.probe) in ("jwt", "csrf", "bruteforce")} - _both("not_yet_valid")
    assert ALG_NONE | _both("expired") | _both("revoked_session") | {"csrf.enroll", "bruteforce.login"} <= musts
    assert not musts & accepted, [p.detail for p in proofs if p.probe in musts & accepted]


def test_without_the_secret_the_expiry_probes_do_not_run(make_candidate):
    proofs = run_auth_probes(make_candidate(), "candidate", user=STUDENT)
    ids = {p.probe for p in proofs}
    assert not ids & (_both("expired") | _both("not_yet_valid"))
    assert not any(i.startswith("csrf.course_") for i in ids)  # no instructor given: only the student's writes
    assert "jwt.alg_none.lower.cookie" in ids and "csrf.profile_update" in ids


def test_a_refused_login_is_a_target_error(make_candidate):
    with pytest.raises(TargetError, match="candidate: the login of student@unpuzzle.test was refused"):
        run_auth_probes(make_candidate(), "candidate", user=(accounts.STUDENT.email, "not-the-password"))


# --- each flaw in a copy of the candidate ------------------------------------------------------------------------

def _flawed_decode(monkeypatch, flawed):
    """Replace the candidate's token decoding (reference_django/accounts/tokens.py `decode`, which every request's
    authentication calls) with `flawed(raw, kind, original)`."""
    from reference_django.accounts import tokens

    original = tokens.decode
    monkeypatch.setattr(tokens, "decode", lambda raw, kind: flawed(raw, kind, original))


def test_alg_none_accepted_is_caught(make_candidate, monkeypatch):
    def decode(raw, kind, original):
        if jwt.get_unverified_header(raw).get("alg", "").lower() == "none":
            return jwt.decode(raw, options={"verify_signature": False})
        return original(raw, kind)
    send = make_candidate(**LIMITED)  # Django is set up before its modules are patched
    _flawed_decode(monkeypatch, decode)
    proofs, accepted = _probe(send)
    assert accepted == ALG_NONE
    replay = next(p for p in proofs if p.probe == "jwt.alg_none.mixed.bearer")
    assert jwt.get_unverified_header(replay.sent.header("Authorization").split()[1])["alg"] == "nOnE"
    assert send(replay.sent).status == 200  # the kept request reproduces the acceptance


def _hmac_accepting(key_for):
    """A decode that also takes an HS256 token whose HMAC verifies under `key_for(header)` (None: no such key),
    as a verifier that picks its key from the token's own header does; every other token as before."""
    def decode(raw, kind, original):
        try:
            header = jwt.get_unverified_header(raw)
        except jwt.PyJWTError:
            return original(raw, kind)
        key = key_for(header)
        signing_input, _, signature = raw.rpartition(".")
        mac = base64.urlsafe_b64encode(hmac.new(key or b"", signing_input.encode(), hashlib.sha256).digest())
        if key is not None and header.get("alg") == "HS256" and hmac.compare_digest(mac.rstrip(b"=").decode(),
                                                                                      signature):
            claims = jwt.decode(raw, options={"verify_signature": False})
            if claims.get("type") == kind:
                return claims
        return original(raw, kind)
    return decode


def _kid_sql_key(header):
    kid = header.get("kid", "")
    return kid.split("SELECT '", 1)[1].split("'", 1)[0].encode() if "UNION SELECT '" in kid else None


def _unsigned_accepted(raw, kind, original):
    """A verifier that skips an HS256 token's check when its signature is empty."""
    if raw.endswith(".") and jwt.get_unverified_header(raw).get("alg") == "HS256":
        return jwt.decode(raw, options={"verify_signature": False})
    return original(raw, kind)


@pytest.mark.parametrize(("decode", "caught"), [
    (_unsigned_accepted, "signature_stripped"),
    (_hmac_accepting(lambda header: None if "kid" in header else b""), "blank_key"),
    (_hmac_accepting(lambda header: b"" if header.get("kid", "").endswith("/dev/null") else None), "kid_traversal"),
    (_hmac_accepting(_kid_sql_key), "kid_sql"),
], ids=["empty signature skipped", "blank secret", "kid read as a file path", "kid looked up in SQL"])
def test_each_forged_signature_accepted_is_caught(make_candidate, monkeypatch, decode, caught):
    send = make_candidate(**LIMITED)
    _flawed_decode(monkeypatch, decode)
    assert _probe(send)[1] == _both(caught)


def test_public_key_as_hmac_secret_is_caught(candidate_app, monkeypatch):
    """A side that publishes its RSA key (JWKS) and verifies HS256 with that key's PEM as the HMAC secret."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    numbers = public.public_numbers()

    def b64(value: int) -> str:
        return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    def jwks(environ, status, headers, body):
        if environ["PATH_INFO"] == "/.well-known/jwks.json":
            key = {"kty": "RSA", "alg": "RS256", "use": "sig", "n": b64(numbers.n), "e": b64(numbers.e)}
            return "200 OK", [("Content-Type", "application/json")], json.dumps({"keys": [key]}).encode()
        return status, headers, body
    def serving_jwks():
        return WsgiSide("candidate", ResponseRewriter(candidate_app(**LIMITED), jwks)).send
    clean = _probe(serving_jwks())  # each run on its own copy: the first one's brute force locks the login
    send = serving_jwks()
    _flawed_decode(monkeypatch, _hmac_accepting(lambda header: None if "kid" in header else pem))
    proofs, accepted = _probe(send)
    assert clean[1] == set() and accepted == _both("key_confusion")
    assert "the side's JWKS key" in next(p.detail for p in proofs if p.probe == "jwt.key_confusion.bearer")


def test_exp_not_checked_is_caught(make_candidate, monkeypatch):
    def decode(raw, kind, original):
        try:
            claims = jwt.decode(raw, _signing_key(), algorithms=["HS256"], options={"verify_exp": False})
        except jwt.PyJWTError:
            return original(raw, kind)  # every other check as before
        return claims if claims.get("type") == kind else original(raw, kind)
    send = make_candidate(**LIMITED)
    _flawed_decode(monkeypatch, decode)
    assert _probe(send)[1] == _both("expired")


def test_refresh_token_accepted_as_access_is_caught(make_candidate, monkeypatch):
    def decode(raw, kind, original):
        return original(raw, "refresh" if jwt.decode(raw, options={"verify_signature": False}).get("type") ==
                        "refresh" else kind)
    send = make_candidate(**LIMITED)
    _flawed_decode(monkeypatch, decode)
    assert _probe(send)[1] == _both("refresh_as_access")


def test_revoked_session_accepted_is_caught(make_candidate, monkeypatch):
    send = make_candidate(**LIMITED)
    from reference_django.accounts import authentication
    from reference_django.accounts.models import UserSession

    # The session looked up without asking whether it is still active (reference_django/accounts/authentication.py).
    monkeypatch.setattr(authentication, "active_session",
                        lambda session_id: UserSession.objects.select_related("user").get(pk=session_id))
    assert _probe(send)[1] == _both("revoked_session")


def test_csrf_check_removed_is_caught(make_candidate, monkeypatch):
    send = make_candidate(**LIMITED)
    from reference_django.common import views

    monkeypatch.setattr(views, "check_csrf", lambda request: None)
    proofs, accepted = _probe(send, instructor=True)
    csrf = {p.probe for p in proofs if family(p.probe) == "csrf"}
    assert len(csrf) == 37 and accepted == csrf
    assert {"csrf.profile_update", "csrf.enroll", "csrf.video_progress"} <= accepted


def test_login_rate_limit_off_is_caught(make_candidate):
    proofs, accepted = _probe(make_candidate(RATELIMIT_ENABLED=False))
    assert accepted == {"bruteforce.login"}
    brute = next(p for p in proofs if p.probe == "bruteforce.login")
    assert brute.evidence["first_429"] is None and len(brute.evidence["statuses"]) == 12
    assert "not enforced" in brute.detail  # on (the faithful test): a 429 by attempt 11


class FixedWindowLogin:
    """A stand-in login with a fixed-window limit of 10 a window: wrong passwords get 401 until the window's 11th,
    then 429; the window rolls over after `rollover_after` requests (None: never); no headers when `headers` is
    False; no limit at all when `limit` is None."""

    def __init__(self, limit: int | None = 10, rollover_after: int | None = None, used: int = 0,
                 headers: bool = True) -> None:
        self.limit, self.rollover_after, self.count, self.sent, self.window = limit, rollover_after, used, 0, 1
        self.headers = headers

    def __call__(self, sent) -> Reply:
        self.sent += 1
        if self.sent - 1 == self.rollover_after:
            self.count, self.window = 0, 2
        self.count += 1
        status = 429 if self.limit is not None and self.count > self.limit else 401
        return Reply(status, [("X-RateLimit-Reset", str(self.window))] if self.headers else [], b"{}")


def test_a_window_boundary_does_not_hide_the_login_limit():
    # 4 earlier logins, then the window rolls over after 5 wrong passwords: 9 in the first window, 7 in the next
    side = FixedWindowLogin(used=4, rollover_after=5)
    proof = probe_login_limit(side, "stand-in", "student@unpuzzle.test")
    assert proof.refused and proof.reply.status == 429
    assert proof.evidence["first_429"] == 16 and proof.evidence["statuses"][:12] == [401] * 12


def test_without_a_429_the_login_limit_is_not_enforced():
    unlimited = probe_login_limit(FixedWindowLogin(limit=None), "stand-in", "student@unpuzzle.test")
    assert not unlimited.refused and len(unlimited.evidence["statuses"]) == 12  # no rollover seen: one round
    assert "not enforced" in unlimited.detail
    silent = probe_login_limit(FixedWindowLogin(headers=False, rollover_after=5, used=4), "stand-in", "s@x.test")
    assert not silent.refused and len(silent.evidence["statuses"]) == 12
    late = probe_login_limit(FixedWindowLogin(limit=11), "stand-in", "s@x.test")  # one more than documented
    assert not late.refused and late.evidence["first_429"] == 12


def _cors_open(environ, status, headers, body):
    origin = environ.get("HTTP_ORIGIN")
    if origin:
        headers = [*headers, ("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
    return status, headers, body


def _cors_any(environ, status, headers, body):
    return status, [*headers, ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")], body


@pytest.mark.parametrize("rewrite", [_cors_open, _cors_any], ids=["reflected origin", "wildcard"])
def test_cors_with_credentials_is_caught(candidate_app, rewrite):
    send = WsgiSide("candidate", ResponseRewriter(candidate_app(**LIMITED), rewrite)).send
    proofs, accepted = _probe(send)
    assert accepted == {"cors.credentials.read", "cors.credentials.preflight"}
    read = next(p for p in proofs if p.probe == "cors.credentials.read")
    assert read.sent.header("Origin") == "https://evil.example" and read.reply.status == 200
    assert json.loads(read.reply.body)["data"]["email"] == accounts.STUDENT.email


def test_cors_origin_without_credentials_is_not_a_finding(candidate_app):
    def rewrite(environ, status, headers, body):
        return status, [*headers, ("Access-Control-Allow-Origin", environ.get("HTTP_ORIGIN", "*"))], body
    send = WsgiSide("candidate", ResponseRewriter(candidate_app(**LIMITED), rewrite)).send
    assert _probe(send)[1] == set()
