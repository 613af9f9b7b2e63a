"""Token semantics: what the tokens each side mints say, read from every exchange, never trusted.

The differential comparison maps tokens across sides (each side mints its own), so it never looks inside one. A
candidate whose access token expires at another time than its reply says (`exp − iat` against `expires_in` and the
cookie's `Max-Age`), or whose tokens carry other claims, would pass it. The ledger is a second sink of the fan-out:
for every reply that carries a JWT (`data.access_token`, `data.refresh_token`, the `access_token` and
`refresh_token` cookies) it decodes the claims without verifying the signature and keeps, per (operation, side,
token, carrier), the claim names, the `type` claim, the lifetime `exp − iat` and the lifetime the reply declares
for it. `findings` then applies TOKEN_CHECKS:

    declared   on one side, a token lives for another time than its reply says (expires_in, Max-Age)
    lifetime   the candidate's token lives for another time than legacy's
    claims     the candidate's token carries other claims, or another `type`, than legacy's
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import jwt

from harness.core.results import Finding, Metric, Severity
from harness.http import Reply, json_at

from .exchange import Exchange

#: Where a reply carries a token, and where it declares that token's lifetime.
BODY_TOKENS = (("access", "data.access_token", "data.expires_in"), ("refresh", "data.refresh_token", None))
COOKIE_TOKENS = (("access", "access_token"), ("refresh", "refresh_token"))
#: Seconds of slack between two lifetimes (a second boundary crossed between `iat` and the reply).
SLACK_S = 1


@dataclass(frozen=True, slots=True)
class Minted:
    """One token as a reply carried it."""

    kind: str  # access | refresh
    carrier: str  # body | cookie
    claims: frozenset[str]
    type_claim: Any
    lifetime: int | None  # exp - iat
    declared: int | None  # what the reply says: expires_in, or the cookie's Max-Age
    declared_by: str  # "expires_in" | "Max-Age" | ""


def claims_of(token: Any) -> dict[str, Any] | None:
    """The JWT's claims, signature not checked (the harness only reads what a client could read); None when the
    value is not a JWT."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return claims if isinstance(claims, dict) else None


def _lifetime(claims: dict[str, Any]) -> int | None:
    exp, iat = claims.get("exp"), claims.get("iat")
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (exp, iat))
    return int(exp - iat) if numbers else None


def _minted(kind: str, carrier: str, claims: dict[str, Any], declared: Any, declared_by: str) -> Minted:
    number = isinstance(declared, int) and not isinstance(declared, bool)
    return Minted(kind, carrier, frozenset(claims), claims.get("type"), _lifetime(claims),
                  declared if number else None, declared_by if number else "")


def _from_body(reply: Reply) -> Iterator[Minted]:
    document = reply.json
    for kind, token_at, declared_at in BODY_TOKENS:
        claims = claims_of(json_at(document, token_at))
        if claims is not None:
            declared = json_at(document, declared_at) if declared_at else None
            yield _minted(kind, "body", claims, declared, "expires_in")


def _from_cookies(reply: Reply) -> Iterator[Minted]:
    for raw in reply.headers_named("Set-Cookie"):
        jar = SimpleCookie()
        jar.load(raw)
        for kind, name in COOKIE_TOKENS:
            morsel = jar.get(name)
            claims = claims_of(morsel.value) if morsel is not None else None
            if claims is not None:
                max_age = morsel["max-age"]
                yield _minted(kind, "cookie", claims, int(max_age) if str(max_age).isdigit() else None, "Max-Age")


def read(reply: Reply) -> list[Minted]:
    """Every token `reply` carries, in its body and in its cookies."""
    return [*_from_body(reply), *_from_cookies(reply)]


Key = tuple[str, str, str, str]  # operation, side, token kind, carrier


@dataclass
class TokenLedger:
    """A fan-out sink: the first token of each (operation, side, kind, carrier), and how many were read."""

    minted: dict[Key, Minted] = field(default_factory=dict)
    read_count: int = 0

    def __call__(self, ex: Exchange, maps: Any = None) -> None:
        for side, reply in ex.replies.items():
            for token in read(reply):
                self.read_count += 1
                self.minted.setdefault((ex.operation, side, token.kind, token.carrier), token)

    def pairs(self, primary: str, candidate: str) -> Iterator[tuple[str, str, str, Minted, Minted]]:
        """(operation, kind, carrier, legacy's token, the candidate's) wherever both sides minted one."""
        for (operation, side, kind, carrier), token in sorted(self.minted.items()):
            other = self.minted.get((operation, candidate, kind, carrier))
            if side == primary and other is not None:
                yield operation, kind, carrier, token, other


def _finding(check: str, operation: str, message: str, evidence: dict[str, Any],
             severity: Severity = Severity.HIGH) -> Finding:
    where = ":".join(str(evidence.get(key, "")) for key in ("side", "token", "carrier"))
    return Finding(id=f"tokens:{check}:{operation}:{where}",
                   check=f"token_{check}", severity=severity, operation=operation, message=message,
                   evidence=evidence)


def _describe(side: str, kind: str, carrier: str) -> str:
    where = "reply body" if carrier == "body" else "cookie"
    return f"{side}'s {kind} token ({where})"


def _gap(token: Minted | None) -> int | None:
    """How much longer the token lives than its reply says (None: nothing to compare)."""
    if token is None or None in (token.lifetime, token.declared):
        return None
    return token.lifetime - token.declared


def declared(ledger: TokenLedger, primary: str, candidate: str) -> Iterator[Finding]:
    """A token that lives for another time than its reply declares. The candidate's fails the gate unless legacy's
    does the same (parity with a client's experience of legacy); legacy's own is information."""
    for (operation, side, kind, carrier), token in sorted(ledger.minted.items()):
        gap = _gap(token)
        if side not in (primary, candidate) or gap is None or abs(gap) <= SLACK_S:
            continue
        legacy_gap = _gap(ledger.minted.get((operation, primary, kind, carrier)))
        as_legacy = side == candidate and legacy_gap is not None and abs(gap - legacy_gap) <= SLACK_S
        yield _finding("declared", operation,
                       f"{_describe(side, kind, carrier)} lives {token.lifetime} s (exp - iat) but the reply "
                       f"says {token.declared} s ({token.declared_by})" + (", as legacy's does" if as_legacy else ""),
                       {"side": side, "token": kind, "carrier": carrier, "lifetime_s": token.lifetime,
                        "declared_s": token.declared, "declared_by": token.declared_by},
                       Severity.HIGH if side == candidate and not as_legacy else Severity.INFO)


def lifetime(ledger: TokenLedger, primary: str, candidate: str) -> Iterator[Finding]:
    """The candidate's token lives for another time than legacy's."""
    for operation, kind, carrier, legacy, other in ledger.pairs(primary, candidate):
        if None not in (legacy.lifetime, other.lifetime) and abs(legacy.lifetime - other.lifetime) > SLACK_S:
            yield _finding("lifetime", operation,
                           f"{_describe(candidate, kind, carrier)} lives {other.lifetime} s (exp - iat); "
                           f"legacy's lives {legacy.lifetime} s",
                           {"token": kind, "carrier": carrier, "legacy_s": legacy.lifetime,
                            "candidate_s": other.lifetime})


def claims(ledger: TokenLedger, primary: str, candidate: str) -> Iterator[Finding]:
    """The candidate's token carries other claims, or another `type`, than legacy's."""
    for operation, kind, carrier, legacy, other in ledger.pairs(primary, candidate):
        missing, extra = sorted(legacy.claims - other.claims), sorted(other.claims - legacy.claims)
        if missing or extra or legacy.type_claim != other.type_claim:
            yield _finding("claims", operation,
                           f"{_describe(candidate, kind, carrier)} differs from legacy's in its claims: missing "
                           f"{missing or 'none'}, extra {extra or 'none'}, type {other.type_claim!r} (legacy "
                           f"{legacy.type_claim!r})",
                           {"token": kind, "carrier": carrier, "missing": missing, "extra": extra,
                            "legacy_type": legacy.type_claim, "candidate_type": other.type_claim})


TOKEN_CHECKS: tuple[Callable[[TokenLedger, str, str], Iterator[Finding]], ...] = (declared, lifetime, claims)


def findings(ledger: TokenLedger, primary: str, candidate: str) -> Iterator[Finding | Metric]:
    """Every token check's findings, and how many tokens were read."""
    for check in TOKEN_CHECKS:
        yield from check(ledger, primary, candidate)
    yield Metric("tokens_read", "both", ledger.read_count, "tokens")
