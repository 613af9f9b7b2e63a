"""harness/contract/tokens.py: the tokens each side mints are read (never trusted) and compared: lifetimes against
what the reply declares and against legacy's, claims against legacy's."""
from __future__ import annotations

import json

import jwt

from harness.contract.exchange import Exchange
from harness.contract.gate import GateOptions, run_gate, to_result
from harness.contract.tokens import TokenLedger, findings, read
from harness.http import Reply, Sent
from tests.harness.contract.conftest import blocking

LOGIN = "P2 POST /api/v1/auth/login"


def token(lifetime: int, **extra) -> str:
    claims = {"sub": "u", "sid": "s", "type": "access", "iat": 1_700_000_000, "exp": 1_700_000_000 + lifetime,
              **extra}
    return jwt.encode(claims, "a-secret-nobody-checks-here-32-bytes", algorithm="HS256")


def login_reply(access: str, expires_in: int = 3600, max_age: int = 3600) -> Reply:
    body = json.dumps({"data": {"access_token": access, "expires_in": expires_in}}).encode()
    return Reply(200, [("Content-Type", "application/json"),
                       ("Set-Cookie", f"access_token={access}; Max-Age={max_age}; Path=/; HttpOnly")], body)


def ledger_of(legacy: Reply, candidate: Reply) -> TokenLedger:
    ledger = TokenLedger()
    ledger(Exchange(1, LOGIN, "probes", {"legacy": Sent("POST", "/api/v1/auth/login", [])},
                    {"legacy": legacy, "candidate": candidate}))
    return ledger


def checks(ledger: TokenLedger) -> dict[str, list]:
    found: dict[str, list] = {}
    for item in findings(ledger, "legacy", "candidate"):
        if hasattr(item, "check"):
            found.setdefault(item.check, []).append(item)
    return found


def test_a_reply_carries_its_token_in_the_body_and_in_the_cookie():
    (body, cookie) = read(login_reply(token(3600)))
    assert (body.kind, body.carrier, body.lifetime, body.declared, body.declared_by) == (
        "access", "body", 3600, 3600, "expires_in")
    assert (cookie.carrier, cookie.lifetime, cookie.declared, cookie.declared_by) == ("cookie", 3600, 3600, "Max-Age")
    assert read(Reply(200, [("Content-Type", "application/json")], b'{"data": {"access_token": "opaque"}}')) == []


def test_faithful_tokens_say_nothing():
    assert checks(ledger_of(login_reply(token(3600)), login_reply(token(3600)))) == {}


def test_a_token_that_outlives_what_its_reply_says_is_caught_on_the_candidate():
    found = checks(ledger_of(login_reply(token(3600)), login_reply(token(7200))))
    declared = found["token_declared"]
    assert {(f.evidence["carrier"], f.evidence["lifetime_s"], f.evidence["declared_s"]) for f in declared} == {
        ("body", 7200, 3600), ("cookie", 7200, 3600)}
    assert all(f.operation == LOGIN and f.severity == "high" for f in declared)
    assert [f.evidence["candidate_s"] for f in found["token_lifetime"]] == [7200, 7200]


def test_a_lifetime_legacy_itself_misstates_is_information_not_a_failure():
    both = checks(ledger_of(login_reply(token(3600), expires_in=3000), login_reply(token(3600), expires_in=3000)))
    assert [(f.evidence["side"], f.severity) for f in both["token_declared"]] == [("candidate", "info"),
                                                                                  ("legacy", "info")]
    alone = checks(ledger_of(login_reply(token(3600), expires_in=3000), login_reply(token(3600))))
    assert [(f.evidence["side"], f.severity) for f in alone["token_declared"]] == [("legacy", "info")]


def test_other_claims_or_another_type_are_caught():
    found = checks(ledger_of(login_reply(token(3600)), login_reply(token(3600, scope="api", type="refresh"))))
    (body, _cookie) = found["token_claims"]
    assert body.evidence["extra"] == ["scope"] and body.evidence["candidate_type"] == "refresh"


def test_the_gate_reads_both_sides_tokens_and_passes_a_faithful_pair(make_legacy, tmp_path):
    options = GateOptions(sources=("postman",), candidate_conformance=False, accepted=tmp_path / "none.yaml")
    run = run_gate({"legacy": make_legacy("legacy"), "legacy-2": make_legacy("legacy-2"),
                    "candidate": make_legacy("candidate")}, options)
    result = to_result(run, options)
    assert not [f for f in result.findings if f.check.startswith("token_")]
    read_count = {m.id: m.value for m in result.metrics}["tokens_read"]
    assert read_count >= 4 and {key[1] for key in run.tokens.minted} >= {"legacy", "candidate"}
    assert blocking(result) == []
