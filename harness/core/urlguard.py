"""The one URL guard: every URL the harness sends traffic to, and every address it listens on, passes here.

A URL is accepted only when it is plain enough that every parser in the process reads the same host from it:
the check uses `urllib.parse` (what urllib.request, http.client and werkzeug's proxy use) *and* urllib3's own
`parse_url` (what requests and urllib3 connect to), and refuses the URL when they disagree. On top of that,
anything a parser might read differently is refused outright rather than interpreted:

- a scheme other than http or https;
- user info (`user@host`), backslashes, whitespace, control and non-ASCII characters, `%` in the host;
- a query or fragment in a base URL;
- a host that is not a loopback address written plainly: `127.x.y.z` (dotted quad), `[::1]`, or `localhost`
  (which must resolve to loopback addresses only; no other name is ever resolved). Integer, hex, octal and
  short forms (`2130706433`, `0x7f000001`, `127.1`), IPv4-mapped IPv6 (`[::ffff:127.0.0.1]`), zone ids and
  names that merely point at loopback (`127.0.0.1.nip.io`) are refused: the client would hand them to the
  resolver, whose answer the guard cannot vouch for.

`allow_remote=True` (a url target with `allow_remote = true`) skips only the loopback rule.
"""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import SplitResult, urlsplit

__all__ = ["UnsafeUrl", "check_base_url", "is_loopback_host", "require_loopback_host"]

SCHEMES = ("http", "https")


class UnsafeUrl(ValueError):
    """A URL or host the harness will not use; `str(exc)` is the one-line reason (no URL repeated). `host` is set
    when the URL is well-formed and only its host is not loopback."""

    def __init__(self, reason: str, host: str | None = None) -> None:
        super().__init__(reason)
        self.host = host


def _loopback_literal(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and (address.ipv4_mapped is not None or address.scope_id):
        return False  # ::ffff:a.b.c.d, fe80::1%eth0: read differently by different resolvers; refused
    return address.is_loopback


def _localhost_is_loopback() -> bool:
    try:
        infos = socket.getaddrinfo("localhost", None, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(infos) and all(_loopback_literal(str(info[4][0]).split("%", 1)[0]) for info in infos)


def is_loopback_host(host: str) -> bool:
    """Whether `host` (an address literal, brackets allowed, or `localhost`) is a loopback address."""
    if not isinstance(host, str) or not host.isascii() or not host.isprintable() or any(c.isspace() for c in host):
        return False
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if bare.lower() == "localhost":
        return _localhost_is_loopback()
    return _loopback_literal(bare)


def require_loopback_host(host: str) -> str:
    """`host` for a server to listen on; UnsafeUrl unless it is a loopback address."""
    if not is_loopback_host(host):
        raise UnsafeUrl(f"{host!r} is not a loopback address (127.0.0.1, ::1 or localhost): "
                        "the harness works on loopback only", host=host)
    return host


# -- the rules of a base URL, in the order they are applied: (refuses, why) ----------------------------------------

_EXPECTED = "expected an http:// or https:// base URL such as http://127.0.0.1:8000"


def _unsafe_characters(url: str) -> bool:
    return not url.isascii() or not url.isprintable() or any(c.isspace() for c in url)


def _not_http(url: str, parts: SplitResult) -> bool:
    return parts.scheme.lower() not in SCHEMES or not url[len(parts.scheme):].startswith("://")


def _bad_port(url: str, parts: SplitResult) -> bool:
    try:
        return parts.port == 0
    except ValueError:
        return True


#: Rules on the text itself, before it is parsed.
TEXT_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda url: not isinstance(url, str) or not url, _EXPECTED),
    (_unsafe_characters, "a URL may not contain whitespace, control or non-ASCII characters"),
    (lambda url: "\\" in url, "a URL may not contain a backslash (HTTP clients disagree on where its host ends)"),
)
#: Rules on the URL as urllib.parse reads it.
PARTS_RULES: tuple[tuple[Callable[[str, SplitResult], bool], str], ...] = (
    (_not_http, _EXPECTED),
    (lambda url, parts: "@" in parts.netloc or parts.username is not None,
     "a URL may not carry user info (user@host): HTTP clients disagree on which host it names"),
    (lambda url, parts: bool(parts.query or parts.fragment) or "?" in url or "#" in url,
     "a base URL has no query or fragment"),
    (lambda url, parts: "%" in parts.netloc, "a URL's host may not be percent-encoded or carry a zone id"),
    (_bad_port, "expected a numeric port between 1 and 65535"),
    (lambda url, parts: not parts.hostname, "the URL names no host"),
)


def _same_for_urllib3(url: str, scheme: str, host: str, port: int | None) -> None:
    """What requests/urllib3 will connect to must be the same scheme, host and port."""
    from urllib3.exceptions import LocationParseError
    from urllib3.util import parse_url

    try:
        theirs = parse_url(url)
    except LocationParseError:
        raise UnsafeUrl("the HTTP client cannot parse this URL") from None
    their_host = (theirs.host or "").lower().removeprefix("[").removesuffix("]")
    if (theirs.scheme, their_host, theirs.port, theirs.auth) != (scheme, host, port, None):
        raise UnsafeUrl(f"the HTTP client would connect to {their_host or '?'}:{theirs.port or '(default port)'}, "
                        f"not to {host}:{port or '(default port)'}; refusing an ambiguous URL")


def check_base_url(url: str, *, allow_remote: bool = False) -> str:
    """The base URL the HTTP clients will use, as `scheme://host[:port][/path]` without a trailing slash, after
    the checks of the module docstring; UnsafeUrl with a one-line reason otherwise."""
    for refuses, why in TEXT_RULES:
        if refuses(url):
            raise UnsafeUrl(why)
    parts = urlsplit(url)
    for refuses_parts, why in PARTS_RULES:
        if refuses_parts(url, parts):
            raise UnsafeUrl(why)
    scheme, host, port = parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    _same_for_urllib3(url, scheme, host, port)
    if not allow_remote and not is_loopback_host(host):
        raise UnsafeUrl(f"{host} is not a loopback address written plainly (127.0.0.1, [::1] or localhost): "
                        "the harness sends requests to loopback only", host=host)
    return _normalised(scheme, host, port, parts.path)


def _normalised(scheme: str, host: str, port: int | None, path: str) -> str:
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{scheme}://{netloc}{path}".rstrip("/")
