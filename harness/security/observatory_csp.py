"""The Observatory's view of one graded reply (`Page`: what its scanner's `Requests` held) and its
content-security-policy test: the source's CSP parser (src/analyzer/cspParser.js) and test (tests/csp.js), followed
step by step (observatory.py says where the local grade differs from the hosted one).

    Hop                 one URL of the plain-HTTP redirect chain (observatory.py's `redirect_chain` builds them)
    Page, read_page(reply, url, redirects, cors, cors_origin, cookie_replies) -> Page
    header(reply, name)         a header's lines joined by ", ", as Node hands them to the scanner
    parse_csp(policies)         directives -> sources, merged over several policies; CspInvalid when it refuses one
    csp_reading(page)           the test's result and the merged policy (the X-Frame-Options test reads it too)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from harness.core.errors import ConfigError
from harness.http import Reply

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


# -- the inputs every test reads ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Hop:
    """One URL the HTTP session fetched: its status (0: it did not answer) and the Location it sent."""

    url: str
    status: int
    location: str | None = None
    verified: bool = True  # False: the TLS certificate did not verify


@dataclass(slots=True)
class Page:
    """What the scanner's `Requests` held for one graded reply."""

    reply: Reply
    url: SplitResult
    redirects: Sequence[Hop]
    cors: Reply | None
    cors_origin: str
    cookie_replies: Sequence[Reply]
    equiv: dict[str, list[str]] = field(default_factory=dict)  # <meta http-equiv> CSP and <meta name=referrer>
    scripts: list[dict[str, str]] | None = None  # None: not HTML

    @property
    def https(self) -> bool:
        return self.url.scheme == "https"

    @property
    def media(self) -> str:
        # As the source splits it: not lower-cased, not stripped; no Content-Type at all reads as HTML.
        return (header(self.reply, "Content-Type") or "").split(";")[0]


def header(reply: Reply | None, name: str) -> str | None:
    """Every line of a header joined by ", " as Node joins them (Content-Type: the first only); None if absent."""
    if reply is None:
        return None
    values = reply.headers_named(name)
    if not values:
        return None
    return values[0] if name.lower() == "content-type" else ", ".join(values)


class _Markup(HTMLParser):
    """The <meta> and <script> elements of a page, as the source reads them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.equiv: dict[str, list[str]] = {"content-security-policy": []}
        self.scripts: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "script":
            self.scripts.append(attributes)
        elif tag == "meta" and "http-equiv" in attributes and "content" in attributes:
            if attributes["http-equiv"].strip().lower() == "content-security-policy" and attributes["content"]:
                self.equiv["content-security-policy"].append(attributes["content"])
        elif tag == "meta" and attributes.get("name", "").strip().lower() == "referrer" and attributes.get("content"):
            self.equiv["referrer-policy"] = [attributes["content"]]


def read_page(reply: Reply, url: str, redirects: Sequence[Hop], cors: Reply | None, cors_origin: str,
              cookie_replies: Sequence[Reply]) -> Page:
    """The page the tests read; ConfigError when `url` is not an absolute http(s) URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"observatory grade: {url!r} is not an absolute http(s) URL")
    page = Page(reply, parts, redirects, cors, cors_origin, cookie_replies)
    if page.media and page.media not in HTML_TYPES:
        return page
    markup = _Markup()
    markup.feed(reply.body.decode("utf-8", "replace"))
    markup.close()
    page.scripts = markup.scripts  # SRI reads a reply without Content-Type as HTML; <meta> needs an HTML type
    if page.media in HTML_TYPES and reply.body:
        page.equiv = markup.equiv
    return page


# -- content-security-policy --------------------------------------------------------------------------------------

DANGEROUSLY_BROAD = frozenset({"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"})
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
BROAD_OR_INLINE = DANGEROUSLY_BROAD | UNSAFE_INLINE
PASSIVE_DIRECTIVES = ("img-src", "media-src")
NONCES_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")
#: The source rejects a policy shorter than len("img-src") - 1.
_SHORTEST_POLICY = 6
_ALLOWED_DUPLICATES = frozenset({"report-uri", "report-to"})
_NOT_IN_META = ("frame-ancestors", "report-uri", "sandbox")
#: The test's passing results (its expectation among them).
CSP_PASSING = frozenset({
    "csp-implemented-with-no-unsafe", "csp-implemented-with-no-unsafe-default-src-none",
    "csp-implemented-with-unsafe-inline-in-style-src-only",
    "csp-implemented-with-insecure-scheme-in-passive-content-only", "csp-implemented-but-duplicate-directives"})


class CspInvalid(ValueError):
    """A policy the source's parser refuses (too short, a repeated directive)."""


@dataclass(slots=True)
class _Source:
    source: str
    index: int
    keep: bool


def parse_csp(policies: Sequence[str]) -> tuple[dict[str, set[str]], set[str]]:
    """The directives of one or more policies as the source's parser merges them (a later policy keeps only the
    sources it shares with the ones before), and the report-uri/report-to directives that were repeated.
    A directive without sources that ends in -src is 'none'. Raises CspInvalid."""
    cleaned = [policy.replace("\r", "").replace("\n", "").strip() for policy in policies]
    if any(len(policy) < _SHORTEST_POLICY for policy in cleaned):
        raise CspInvalid(f"invalid policy among {cleaned!r}")
    merged: dict[str, list[_Source]] = {}
    duplicates: set[str] = set()
    for index, policy in enumerate(cleaned):
        seen: set[str] = set()
        for entry in policy.split(";"):
            directive, *values = entry.strip().split() or [""]
            if directive:
                _check_duplicate(directive.lower(), seen, duplicates, index)
                _merge(merged, directive.lower(), values, index, len(cleaned))
    return {name: {s.source for s in sources} or {"'none'"} for name, sources in merged.items()}, duplicates


def _check_duplicate(directive: str, seen: set[str], duplicates: set[str], index: int) -> None:
    if directive not in seen:
        seen.add(directive)
    elif directive in _ALLOWED_DUPLICATES:
        duplicates.add(directive)
    else:
        raise CspInvalid(f"duplicate directive {directive} in policy {index}")


def _merge(merged: dict[str, list[_Source]], directive: str, values: list[str], index: int, count: int) -> None:
    new = [_Source(value.strip().lower(), index, index == 0) for value in values]
    if not new and directive.endswith("-src"):
        new = [_Source("'none'", index, index == 0)]
    # Code-point order where the source uses an English collator: it only picks which of two overlapping
    # sources is the superfluous one.
    combined = sorted(new if index == 0 else [*merged.get(directive, []), *new], key=lambda s: s.source)
    for prev, source in zip(combined, combined[1:], strict=False):
        if source.index == prev.index and source.source.startswith(prev.source):
            source.keep = False  # superfluous: a shorter source of the same policy covers it
        if source.index != prev.index and _path_part_match(prev.source, source.source):
            source.keep = True  # a source counts only when the policies before allow it too
    merged[directive] = [s for s in combined if s.keep]
    if index == 0 and count > 1:
        for source in merged[directive]:
            source.keep = False


def _path_part_match(a: str, b: str) -> bool:
    if not a or (a == "/" and not b):
        return True
    exact = not a.endswith("/")
    parts_a, parts_b = a.split("/"), b.split("/")
    if len(parts_a) > len(parts_b) or (exact and len(parts_a) != len(parts_b)):
        return False
    if not exact:
        parts_a.pop()
    return all(unquote(x) == unquote(y) for x, y in zip(parts_a, parts_b, strict=False))


@dataclass(slots=True)
class CspReading:
    """The CSP test's outcome: its result and the merged policy (None when it is missing or does not parse)."""

    result: str
    policy: dict[str, list[str]] | None = None


def csp_reading(page: Page) -> CspReading:
    http = [value] if (value := header(page.reply, "Content-Security-Policy")) is not None else []
    meta = page.equiv.get("content-security-policy", [])
    try:
        csp, duplicates = parse_csp([*http, *meta])
    except CspInvalid:
        return CspReading("csp-header-invalid")
    header_only = _parsed_or_empty(http)
    meta_only = {k: v for k, v in _parsed_or_empty(meta).items() if k not in _NOT_IN_META}
    if not header_only and not meta_only:
        reporting = header(page.reply, "Content-Security-Policy-Report-Only")
        return CspReading("csp-not-implemented-but-reporting-enabled" if reporting else "csp-not-implemented")
    result = _csp_result(csp, page.https)
    if result in CSP_PASSING and duplicates:
        result = "csp-implemented-but-duplicate-directives"
    return CspReading(result, {name: sorted(sources) for name, sources in csp.items()})


def _parsed_or_empty(policies: list[str]) -> dict[str, set[str]]:
    try:
        return parse_csp(policies)[0]
    except CspInvalid:
        return {}


def _csp_result(csp: dict[str, set[str]], https: bool) -> str:
    """The first failure in the source's order. The sets are the policy's own, as in the source: what is dropped
    here (an 'unsafe-inline' a nonce overrides) is dropped from the policy the test reports too."""
    default = csp.get("default-src")
    object_src, script_src, style_src = (csp.get(name) or default or {"*"}
                                         for name in ("object-src", "script-src", "style-src"))
    for sources in (script_src, style_src):
        if _has_nonce_or_hash(sources):
            sources.discard("'unsafe-inline'")  # ignored by browsers once a nonce or hash is given
    first = _strict_dynamic(script_src)
    active = [s for name, sources in csp.items() if name not in (*PASSIVE_DIRECTIVES, "script-src") for s in sources]
    passive = [s for name in PASSIVE_DIRECTIVES for s in (csp.get(name) or default or set())]
    failures = _failures(object_src, script_src, style_src, [*active, *script_src], passive, https)
    if default == {"'none'"}:
        failures.append("csp-implemented-with-no-unsafe-default-src-none")
    return first or next(iter(failures), "csp-implemented-with-no-unsafe")


def _failures(object_src: set[str], script_src: set[str], style_src: set[str], active: list[str], passive: list[str],
              https: bool) -> list[str]:
    insecure = ("http:", "ftp:")
    checks = [
        (bool(script_src & BROAD_OR_INLINE or object_src & DANGEROUSLY_BROAD), "csp-implemented-with-unsafe-inline"),
        (https and any(s.startswith(insecure) for s in active), "csp-implemented-with-insecure-scheme"),
        ("'unsafe-eval'" in script_src | style_src, "csp-implemented-with-unsafe-eval"),
        (https and any(s.startswith(insecure) for s in passive),
         "csp-implemented-with-insecure-scheme-in-passive-content-only"),
        (bool(style_src & BROAD_OR_INLINE), "csp-implemented-with-unsafe-inline-in-style-src-only"),
    ]
    return [result for failed, result in checks if failed]


def _has_nonce_or_hash(sources: set[str]) -> bool:
    return any(source.startswith(NONCES_HASHES) for source in sources)


def _strict_dynamic(script_src: set[str]) -> str | None:
    if "'strict-dynamic'" not in script_src:
        return None
    if not _has_nonce_or_hash(script_src):
        return "csp-header-invalid"  # 'strict-dynamic' without a nonce or hash to trust
    for source in list(script_src):
        if source.startswith(tuple(DANGEROUSLY_BROAD)) or source in ("'self'", "'unsafe-inline'"):
            script_src.discard(source)  # ignored by browsers under 'strict-dynamic'
    return None


def content_security_policy(page: Page) -> tuple[str, Any]:
    reading = csp_reading(page)
    return reading.result, reading.policy


