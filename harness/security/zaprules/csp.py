"""ZAP's rule 10055: the Content-Security-Policy itself, evaluated by the harness (ZAP uses the Salvation
parser; passive.py says what differs)."""
from __future__ import annotations

from ..model import Exchange
from .base import (
    Instance,
    hit,
    page,
)
from .texts import MESSAGES as _M

# -- 10055: the Content-Security-Policy itself -----------------------------------------------------------------------

#: Where each directive ZAP checks for wildcards falls back to (CSP level 3); frame-ancestors and form-action do not.
_FALLBACK = {"script-src": ("script-src", "default-src"), "style-src": ("style-src", "default-src"),
             "img-src": ("img-src", "default-src"), "connect-src": ("connect-src", "default-src"),
             "frame-src": ("frame-src", "child-src", "default-src"), "frame-ancestors": ("frame-ancestors",),
             "font-src": ("font-src", "default-src"), "media-src": ("media-src", "default-src"),
             "object-src": ("object-src", "default-src"), "manifest-src": ("manifest-src", "default-src"),
             "worker-src": ("worker-src", "child-src", "script-src", "default-src"), "form-action": ("form-action",)}
_NO_FALLBACK = ("form-action", "frame-ancestors")
_ANY_HOST = {"*", "http:", "https:", "http://*", "https://*"}


def _directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        tokens = part.split()
        if tokens:
            parsed.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return parsed


def _effective(directives: dict[str, list[str]], name: str) -> list[str] | None:
    return next((directives[d] for d in _FALLBACK.get(name, (name, "default-src")) if d in directives), None)


def _wildcards(directives: dict[str, list[str]]) -> list[str]:
    """The directives a random third-party host passes (no directive and no fallback counts as allowing all)."""
    allowing = []
    for name in _FALLBACK:
        sources = _effective(directives, name)
        if sources is None or _ANY_HOST & set(sources):
            allowing.append(name)
    return allowing


def _inline_allowed(sources: list[str] | None) -> bool:
    """'unsafe-inline' counts unless a nonce, a hash or 'strict-dynamic' makes browsers ignore it."""
    if not sources or "'unsafe-inline'" not in sources:
        return False
    return not any(s.startswith(("'nonce-", "'sha")) or s == "'strict-dynamic'" for s in sources)


def _policy_findings(directives: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(alertRef, otherinfo) for one parsed policy."""
    found = []
    allowing = _wildcards(directives)
    without = [d for d in allowing if d in _NO_FALLBACK]
    if without:
        found.append(("10055-13", _M["csp.nofallback.otherinfo"].replace("{0}", ", ".join(without))))
    wild = [d for d in allowing if d not in _NO_FALLBACK]
    if wild:
        found.append(("10055-4", _M["csp.wildcard.otherinfo"].replace("{0}", ", ".join(wild))))
    checks = (("10055-5", _inline_allowed(_effective(directives, "script-src")), "csp.scriptsrc.unsafe.otherinfo"),
              ("10055-6", _inline_allowed(_effective(directives, "style-src")), "csp.stylesrc.unsafe.otherinfo"),
              ("10055-7", "'unsafe-hashes'" in directives.get("script-src", []),
               "csp.scriptsrc.unsafe.hashes.otherinfo"),
              ("10055-8", "'unsafe-hashes'" in directives.get("style-src", []), "csp.stylesrc.unsafe.hashes.otherinfo"),
              ("10055-10", "'unsafe-eval'" in directives.get("script-src", []), "csp.scriptsrc.unsafe.eval.otherinfo"))
    found += [(ref, _M[key]) for ref, hit, key in checks if hit]
    return found


def _csp_policy(ex: Exchange, header: str, policy: str) -> list[Instance]:
    odd = "".join(c for c in policy if not 32 <= ord(c) < 127)
    if odd:
        return [hit(ex, "10055-9", param=header, evidence=policy,
                     otherinfo=_M["csp.malformed.otherinfo"].replace("{0}", odd))]
    return [hit(ex, ref, param=header, evidence=policy, otherinfo=other)
            for ref, other in _policy_findings(_directives(policy))]


def policy(ex: Exchange) -> list[Instance]:
    policies = [(k, v) for k, v in ex.reply.headers if k.lower() == "content-security-policy"]
    found = []
    for ref, name, key in (("10055-1", "x-content-security-policy", "csp.xcsp.otherinfo"),
                           ("10055-2", "x-webkit-csp", "csp.xwkcsp.otherinfo")):
        legacy = [(k, v) for k, v in ex.reply.headers if k.lower() == name]
        if legacy:
            found.append(hit(ex, ref, param=legacy[0][0], evidence=legacy[0][1], otherinfo=_M[key],
                              risk=0 if policies else 1))
    for header, policy in policies:
        found += _csp_policy(ex, header, policy)
    meta = page(ex).meta("content-security-policy")
    if meta is not None:
        meta_policy = _directives(meta[2])
        if {"sandbox", "frame-ancestors", "report-uri"} & set(meta_policy):
            found.append(hit(ex, "10055-11", param=meta[0], evidence=meta[2]))
        if policies:
            found.append(hit(ex, "10055-12"))
    return found


