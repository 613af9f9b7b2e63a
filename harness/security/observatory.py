"""The Mozilla Observatory grade of one reply, computed here: the MDN HTTP Observatory's algorithm version 4 (its
2024 release, github.com/mdn/mdn-http-observatory up to v1.4.x: src/analyzer/tests/*.js, src/scanner/index.js,
src/grader/charts.js and grader.js, the Expectation strings of src/types.js), followed test by test, over an app's
real replies served over TLS on 127.0.0.1, because the hosted Observatory grades only public hosts on standard ports.

    Hop                 one step of the plain-HTTP redirect chain: the URL fetched, its status, its Location
    redirect_chain(http_url, fetch, port_map, *, limit=10) -> list[Hop]
                        follows Location from the app's HTTP listener as the Observatory's HTTP session does
    grade(reply, url, redirects, *, cors_preflight=None, cookie_replies=(), cors_origin=CORS_ORIGIN) -> Grade
                        the ten tests, the score and the letter; `Grade.to_a_plus` says what would reach A+
    TestResult, Grade, ToAPlus, Step   what `grade` returns; `Grade.to_dict()` is what the report renders

The tests themselves are in observatory_csp.py (the page a test reads, the CSP parser and test) and
observatory_checks.py (the other nine); this module holds the score table, the scoring and the chain.

The ten tests, each with the source's result strings and score modifiers (SCORE_TABLE), and its pass rule:
content-security-policy, cookies, cross-origin-resource-sharing, redirection, referrer-policy,
strict-transport-security, subresource-integrity, x-content-type-options, x-frame-options,
cross-origin-resource-policy. Scoring is the scanner's: 100, plus every modifier; the positive ones (the bonus) count
only when the score of the negative ones alone is at least 90; a score below 0 is 0; the letter is GRADE_CHART at
min(score - score % 5, 100). Repeated header lines are read as one value joined by ", " (how Node, and so the
scanner, hands them over): two HSTS, X-Frame-Options or X-Content-Type-Options lines are invalid, two CSP lines are
one policy.

Where this local grade differs from the hosted one:
- Ports: the app's plain-HTTP listener stands for port 80 and its TLS listener for 443 (`redirect_chain`'s
  `port_map`); hostnames are compared without ports, as the source does.
- No public lists: the HSTS preload list is not consulted, so "hsts-preloaded" (+5) and
  "redirection-all-redirects-preloaded" never occur (no loopback host is on it); SRI's "same second-level domain"
  is the last two labels of a name, or the address itself, where the source asks the Public Suffix List.
- One response graded: the caller picks the reply (the source grades its site's root page after redirects) and
  may add `cookie_replies` (the source's cookie jar also holds what the rest of its session set); no robots.txt.
- TLS: the reply is taken as fetched over a verified connection (the harness trusts its local CA); a certificate
  failure in the redirect chain is `Hop.verified` False and grades "redirection-invalid-cert".
- A redirect target that does not answer is kept as a hop with status 0 (the source would drop the whole chain and
  report "redirection-not-needed-no-http", a pass). Cookie attributes are read from each Set-Cookie as the
  tough-cookie jar reads them: the last cookie of a name, domain and path wins; a `__Secure-`/`__Host-` cookie
  that breaks its prefix's rules, or whose Domain does not match the host, is dropped as the jar drops it.
- CORS reads the preflight the caller sent (OPTIONS with `Origin: CORS_ORIGIN` and
  `Access-Control-Request-Method: GET`); crossdomain.xml and clientaccesspolicy.xml are not read (the MDN version
  no longer reads them either). A reflected Origin with `Access-Control-Allow-Credentials: true` is
  "…-universal-access" (-50), as the source's own tests say; `*` is public access (0) with or without credentials.
- Later versions of the algorithm (5: X-Frame-Options DENY/SAMEORIGIN +5; 6: Cross-Origin-Opener-Policy and
  Cross-Origin-Embedder-Policy tests, +10 each) are not followed; `ALGORITHM_VERSION` says which one is.
"""
from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

from harness.core.errors import TargetError
from harness.http import Reply

from .observatory_checks import CHECKS, PASSING
from .observatory_csp import Hop, read_page

__all__ = ["ALGORITHM_VERSION", "CORS_ORIGIN", "SCORES", "TESTS", "Grade", "Hop", "Step", "TestResult", "ToAPlus",
           "grade", "letter", "redirect_chain", "score_of"]

ALGORITHM_VERSION = 4
BASE_SCORE = 100
#: Bonus modifiers count only when the score of the negative ones alone reaches this.
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
GRADE_CHART = {100: "A+", 95: "A", 90: "A", 85: "A-", 80: "B+", 75: "B", 70: "B", 65: "B-", 60: "C+", 55: "C",
               50: "C", 45: "C-", 40: "D+", 35: "D", 30: "D", 25: "D-", 20: "F", 15: "F", 10: "F", 5: "F", 0: "F"}
#: The Origin the Observatory's CORS preflight sends (its config's `retriever.corsOrigin`).
CORS_ORIGIN = "https://http-observatory.security.mozilla.org"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: The statuses the scanner grades (2xx, 3xx, 401, 403); anything else is an error, not a grade.
_GRADED_STATUS = (200, 400)
_GRADED_DENIED = (401, 403)

#: The tests in the scanner's order, with their titles.
TESTS = {"content-security-policy": "Content Security Policy (CSP)", "cookies": "Cookies",
         "cross-origin-resource-sharing": "Cross Origin Resource Sharing (CORS)", "redirection": "Redirection",
         "referrer-policy": "Referrer Policy", "strict-transport-security": "Strict Transport Security (HSTS)",
         "subresource-integrity": "Subresource Integrity", "x-content-type-options": "X-Content-Type-Options",
         "x-frame-options": "X-Frame-Options", "cross-origin-resource-policy": "Cross Origin Resource Policy"}

#: Every result string: its score modifier (SCORE_TABLE, algorithm 4) and what it means.
SCORES: dict[str, tuple[int, str]] = {
    "csp-implemented-with-no-unsafe-default-src-none": (10, "CSP with default-src 'none' and nothing unsafe"),
    "csp-implemented-with-no-unsafe": (5, "CSP without 'unsafe-inline' or 'unsafe-eval'"),
    "csp-implemented-with-unsafe-inline-in-style-src-only": (0, "CSP allows unsafe or broad sources in style-src"),
    "csp-implemented-with-insecure-scheme-in-passive-content-only":
        (-10, "CSP lets images or media load over HTTP on an HTTPS site"),
    "csp-implemented-with-unsafe-eval": (-10, "CSP allows 'unsafe-eval'"),
    "csp-implemented-with-unsafe-inline":
        (-20, "CSP allows 'unsafe-inline' or data: in script-src, broad sources in script-src or object-src, "
              "or leaves them unrestricted"),
    "csp-implemented-with-insecure-scheme": (-20, "CSP lets resources load over HTTP on an HTTPS site"),
    "csp-header-invalid": (-25, "the CSP cannot be parsed"),
    "csp-not-implemented": (-25, "no Content-Security-Policy"),
    "csp-not-implemented-but-reporting-enabled": (-25, "only Content-Security-Policy-Report-Only, nothing enforced"),
    "csp-implemented-but-duplicate-directives": (0, "CSP passes but repeats report-uri or report-to"),
    "cookies-secure-with-httponly-sessions-and-samesite":
        (5, "every cookie Secure, session cookies HttpOnly, SameSite set"),
    "cookies-secure-with-httponly-sessions": (0, "every cookie Secure and session cookies HttpOnly, SameSite missing"),
    "cookies-not-found": (0, "no cookies set"),
    "cookies-without-secure-flag-but-protected-by-hsts": (-5, "a cookie without Secure, HSTS protects it"),
    "cookies-session-without-secure-flag-but-protected-by-hsts":
        (-10, "a session cookie without Secure, HSTS protects it"),
    "cookies-without-secure-flag": (-20, "a cookie without Secure"),
    "cookies-samesite-flag-invalid": (-20, "SameSite other than Strict, Lax or None, or None without Secure"),
    "cookies-anticsrf-without-samesite-flag": (-20, "an anti-CSRF cookie without SameSite"),
    "cookies-session-without-httponly-flag": (-30, "a session cookie without HttpOnly"),
    "cookies-session-without-secure-flag": (-40, "a session cookie without Secure"),
    "cross-origin-resource-sharing-not-implemented": (0, "no CORS access granted"),
    "cross-origin-resource-sharing-implemented-with-public-access": (0, "CORS: public content (*)"),
    "cross-origin-resource-sharing-implemented-with-restricted-access": (0, "CORS: restricted to given origins"),
    "cross-origin-resource-sharing-implemented-with-universal-access":
        (-50, "CORS reflects any Origin with credentials"),
    "redirection-all-redirects-preloaded": (0, "every host redirected to is HSTS-preloaded"),
    "redirection-to-https": (0, "HTTP redirects to HTTPS on the same host first, ends on HTTPS"),
    "redirection-not-needed-no-http": (0, "nothing answers on HTTP"),
    "redirection-off-host-from-http": (-5, "HTTP redirects to HTTPS on another host first"),
    "redirection-not-to-https-on-initial-redirection": (-10, "HTTP redirects to HTTP first"),
    "redirection-not-to-https": (-20, "redirects, but does not end on HTTPS"),
    "redirection-missing": (-20, "HTTP does not redirect to HTTPS"),
    "redirection-invalid-cert": (-20, "an invalid certificate on the way"),
    "referrer-policy-private": (5, "Referrer-Policy no-referrer, same-origin, strict-origin(-when-cross-origin)"),
    "referrer-policy-not-implemented": (0, "no Referrer-Policy"),
    "referrer-policy-unsafe": (-5, "Referrer-Policy origin, origin-when-cross-origin, unsafe-url or "
                                   "no-referrer-when-downgrade"),
    "referrer-policy-header-invalid": (-5, "Referrer-Policy not recognised"),
    "hsts-preloaded": (5, "on the HSTS preload list"),
    "hsts-implemented-max-age-at-least-six-months": (0, "HSTS max-age of at least six months"),
    "hsts-implemented-max-age-less-than-six-months": (-10, "HSTS max-age under six months"),
    "hsts-not-implemented": (-20, "no Strict-Transport-Security"),
    "hsts-header-invalid": (-20, "Strict-Transport-Security not recognised"),
    "hsts-not-implemented-no-https": (-20, "no HTTPS, so no HSTS"),
    "hsts-invalid-cert": (-20, "an invalid certificate, so no HSTS"),
    "sri-implemented-and-all-scripts-loaded-securely": (5, "SRI on scripts, all from the same site"),
    "sri-implemented-and-external-scripts-loaded-securely": (5, "SRI on external scripts, all over HTTPS"),
    "sri-not-implemented-response-not-html": (0, "not HTML: SRI does not apply"),
    "sri-not-implemented-but-no-scripts-loaded": (0, "no scripts"),
    "sri-not-implemented-but-all-scripts-loaded-from-secure-origin": (0, "no SRI, all scripts from the same site"),
    "sri-not-implemented-but-external-scripts-loaded-securely": (-5, "no SRI on external scripts loaded over HTTPS"),
    "sri-implemented-but-external-scripts-not-loaded-securely": (-20, "SRI, but external scripts not over HTTPS"),
    "sri-not-implemented-and-external-scripts-not-loaded-securely":
        (-50, "no SRI and external scripts not over HTTPS"),
    "html-not-parseable": (-20, "claims to be HTML but cannot be parsed"),
    "x-content-type-options-nosniff": (0, "X-Content-Type-Options: nosniff"),
    "x-content-type-options-not-implemented": (-5, "no X-Content-Type-Options"),
    "x-content-type-options-header-invalid": (-5, "X-Content-Type-Options not recognised"),
    "x-frame-options-implemented-via-csp": (5, "framing governed by CSP frame-ancestors"),
    "x-frame-options-sameorigin-or-deny": (0, "X-Frame-Options DENY or SAMEORIGIN"),
    "x-frame-options-allow-from-origin": (0, "X-Frame-Options ALLOW-FROM"),
    "x-frame-options-not-implemented": (-20, "no X-Frame-Options and no frame-ancestors"),
    "x-frame-options-header-invalid": (-20, "X-Frame-Options not recognised"),
    "corp-header-invalid": (-5, "Cross-Origin-Resource-Policy not recognised"),
    "corp-implemented-with-cross-origin": (0, "CORP cross-origin"),
    "corp-implemented-with-same-origin": (10, "CORP same-origin"),
    "corp-implemented-with-same-site": (10, "CORP same-site"),
    "corp-not-implemented": (0, "no Cross-Origin-Resource-Policy"),
}

# -- what grade returns -------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TestResult:
    __test__ = False  # not a pytest class

    name: str
    result: str
    passed: bool
    modifier: int
    description: str
    data: Any = None  # what the test read: the header value, the parsed policy, the cookies, the route


@dataclass(frozen=True, slots=True)
class Step:
    """One change that earns points: the test, what it gives now, what it would give, and what to send."""

    test: str
    result: str
    modifier: int
    best: int
    advice: str

    @property
    def gain(self) -> int:
        return self.best - self.modifier


@dataclass(frozen=True, slots=True)
class ToAPlus:
    points_missing: int  # 100 - score, 0 at A+
    steps: list[Step]
    score_after: int  # the score with every step taken


@dataclass(frozen=True, slots=True)
class Grade:
    url: str
    score: int
    grade: str
    tests: list[TestResult]
    to_a_plus: ToAPlus
    algorithm: int = ALGORITHM_VERSION

    @property
    def passed(self) -> int:
        return sum(test.passed for test in self.tests)

    def test(self, name: str) -> TestResult:
        return next(test for test in self.tests if test.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "url": self.url, "score": self.score, "grade": self.grade,
                "tests_passed": self.passed, "tests_failed": len(self.tests) - self.passed,
                "tests": [{**asdict(test), "title": TESTS[test.name]} for test in self.tests],
                "to_a_plus": {"points_missing": self.to_a_plus.points_missing,
                              "score_after": self.to_a_plus.score_after,
                              "steps": [{**asdict(step), "gain": step.gain} for step in self.to_a_plus.steps]}}


# -- scoring ------------------------------------------------------------------------------------------------------

def score_of(modifiers: Iterable[int]) -> int:
    """The scanner's score: 100 and every modifier, the bonus only when the penalties leave at least 90; ≥ 0."""
    modifiers = list(modifiers)
    uncurved = BASE_SCORE + sum(m for m in modifiers if m < 0)
    score = BASE_SCORE + sum(modifiers) if uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else uncurved
    return max(score, 0)


def letter(score: int) -> str:
    """The letter of a score (GRADE_CHART at min(score - score % 5, 100))."""
    score = max(score, 0)
    return GRADE_CHART[min(score - score % 5, 100)]


# -- the redirect chain -------------------------------------------------------------------------------------------

def redirect_chain(http_url: str, fetch: Callable[[str], Reply], port_map: Mapping[int, int], *,
                   limit: int = 10) -> list[Hop]:
    """The URLs the Observatory's HTTP session visits from `http_url`: each reply's Location (301, 302, 303, 307,
    308) followed, resolved against the URL it came from, at most `limit` times. `fetch(url)` sends one GET and
    returns the reply without following anything.

    `port_map` stands the loopback ports in for the standard ones: {http port: https port} (and {443: https port}
    when the app redirects to the default port). A redirect to `https://127.0.0.1:<http port>/…`, what an app
    behind port 80 writes when it keeps the Host's port, is read as going to 443 and fetched on the TLS port.

    Nothing answering `http_url` (an OSError) gives [] ("redirection-not-needed-no-http"); a certificate that does
    not verify ends the chain with an unverified hop; a later hop that does not answer ends it with status 0."""
    hops: list[Hop] = []
    url = http_url
    while True:
        try:
            reply = fetch(url)
        except ssl.SSLCertVerificationError:
            return [*hops, Hop(url, 0, verified=False)]
        except OSError:
            return [*hops, Hop(url, 0)] if hops else []
        location = reply.header("Location")
        hops.append(Hop(url, reply.status, location))
        if reply.status not in REDIRECT_STATUSES or location is None or len(hops) > limit:
            return hops
        url = _mapped(urljoin(url, location.strip()), port_map)


def _mapped(url: str, port_map: Mapping[int, int]) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme != "https" or port not in port_map:
        return url
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return urlunsplit(parts._replace(netloc=f"{host}:{port_map[port]}"))


# -- the grade ----------------------------------------------------------------------------------------------------

def grade(reply: Reply, url: str, redirects: Sequence[Hop], *, cors_preflight: Reply | None = None,
          cookie_replies: Sequence[Reply] = (), cors_origin: str = CORS_ORIGIN) -> Grade:
    """The Observatory's grade of `reply`, fetched from `url` (https://127.0.0.1:<tls port>/…), with the HTTP
    listener's `redirects` (`redirect_chain`), the CORS preflight answered at `url` (None: not sent, read as no
    CORS), and the other replies of the session whose cookies count too. TargetError for a status the scanner
    refuses to grade (1xx, 4xx but 401/403, 5xx)."""
    low, high = _GRADED_STATUS
    if not (low <= reply.status < high or reply.status in _GRADED_DENIED):
        raise TargetError(f"observatory grade: {url} answered {reply.status}; the Observatory grades only 2xx, 3xx, "
                          "401 and 403 replies")
    page = read_page(reply, url, redirects, cors_preflight, cors_origin, cookie_replies)
    tests = []
    for name, check in CHECKS.items():
        result, data = check(page)
        modifier, description = SCORES[result]
        tests.append(TestResult(name, result, result in PASSING[name], modifier, description, data))
    score = score_of(test.modifier for test in tests)
    return Grade(url, score, letter(score), tests, _to_a_plus(tests, score))


# -- what would reach A+ ------------------------------------------------------------------------------------------

#: The best modifier a loopback grade can reach per test (no preload bonus) and the header that earns it.
BEST: dict[str, tuple[int, str]] = {
    "content-security-policy": (10, "Content-Security-Policy: default-src 'none'; frame-ancestors 'none' (a page "
                                    "adds its own script-src, style-src, img-src … without 'unsafe-inline')"),
    "cookies": (5, "Set-Cookie: {names}=…; Secure; HttpOnly; SameSite=Lax; Path=/"),
    "cross-origin-resource-sharing": (0, "Access-Control-Allow-Origin: a fixed list of origins, never the "
                                         "request's Origin echoed with Access-Control-Allow-Credentials: true"),
    "redirection": (0, "on the HTTP listener: 301 Moved Permanently, Location: https://<same host>/… first"),
    "referrer-policy": (5, "Referrer-Policy: strict-origin-when-cross-origin"),
    "strict-transport-security": (0, "Strict-Transport-Security: max-age=63072000; includeSubDomains"),
    "subresource-integrity": (5, "<script src=\"…\" integrity=\"sha384-…\" crossorigin=\"anonymous\"> on every "
                                 "script, each over HTTPS"),
    "x-content-type-options": (0, "X-Content-Type-Options: nosniff"),
    "x-frame-options": (5, "Content-Security-Policy: frame-ancestors 'none' (X-Frame-Options: DENY alone earns "
                           "no bonus in algorithm 4)"),
    "cross-origin-resource-policy": (10, "Cross-Origin-Resource-Policy: same-origin"),
}
#: Results where the bonus of the test does not apply: nothing to gain by changing anything.
_NOTHING_TO_EARN = frozenset({"cookies-not-found", "sri-not-implemented-response-not-html",
                              "sri-not-implemented-but-no-scripts-loaded"})


def _to_a_plus(tests: Sequence[TestResult], score: int) -> ToAPlus:
    steps = []
    for test in tests:
        best, advice = BEST[test.name]
        if test.result in _NOTHING_TO_EARN or test.modifier >= best:
            continue
        if test.name == "cookies":
            advice = advice.format(names=", ".join(_cookies_to_fix(test.data)))
        steps.append(Step(test.name, test.result, test.modifier, best, advice))
    after = {step.test: step.best for step in steps}
    taken = [replace(test, modifier=after.get(test.name, test.modifier)) for test in tests]
    return ToAPlus(max(0, BASE_SCORE - score), steps, score_of(test.modifier for test in taken))


def _cookies_to_fix(jar: Mapping[str, Mapping[str, Any]] | None) -> list[str]:
    names = [name for name, c in (jar or {}).items()
             if not c["secure"] or c["samesite"] in (None, "none") or (c["session"] and not c["httponly"])]
    return names or ["<each cookie>"]
