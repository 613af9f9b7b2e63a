"""Who sent a request, read back from the request itself: the persona (the seeded account whose token it carries,
or `anonymous`, or `signed-up user` for an account the run made) and the transport (`bearer`, `cookie+csrf`,
`cookie without csrf`, `anonymous`).

Every source of the gate can then say which callers showed a difference, without labelling its requests: the
token's `sub` claim is read without checking the signature (`tokens.claims_of`), as a client could read it.
"""
from __future__ import annotations

from collections.abc import Callable
from http.cookies import SimpleCookie

from harness.http import Sent
from harness.seed import accounts

from .tokens import claims_of


def transport_and_token(sent: Sent) -> tuple[str, str | None]:
    """The transport of `sent` and the access token it carries (None when it carries none)."""
    authorization = sent.header("Authorization") or ""
    if authorization.lower().startswith("bearer "):
        return "bearer", authorization[7:].strip()
    jar = SimpleCookie()
    try:
        jar.load(sent.header("Cookie") or "")
    except Exception:  # noqa: BLE001 - a malformed cookie header authenticates nobody
        return "anonymous", None
    if "access_token" in jar:
        csrf = "cookie+csrf" if sent.header("X-CSRF-Token") else "cookie without csrf"
        return csrf, jar["access_token"].value
    return "anonymous", None


def seeded_accounts(seed: int = 0, scale: str = "small") -> dict[str, str]:
    """user id -> the documented account's key (admin, instructor, instructor2, student, student2)."""
    from harness.seed import SCALES, Graph

    g = Graph(SCALES[scale], seed)
    ids = {g.user_id(0): accounts.ADMIN.key}
    ids |= {g.user_id(g.instructor_user(i)): a.key for i, a in enumerate(accounts.INSTRUCTORS)}
    ids |= {g.user_id(g.student_user(i)): a.key for i, a in enumerate(accounts.STUDENTS)}
    return ids


def identify(known: dict[str, str]) -> Callable[[Sent], str]:
    """A function naming the caller of a request: "student2 · bearer", "anonymous", "signed-up user · cookie+csrf"."""
    def caller(sent: Sent) -> str:
        transport, token = transport_and_token(sent)
        if token is None:
            return "anonymous"
        claims = claims_of(token) or {}
        who = known.get(str(claims.get("sub", "")), "signed-up user" if claims else "unreadable token")
        return f"{who} · {transport}"
    return caller
