"""Replay a Postman collection as a real client would: requests in collection order, `{{variables}}`
substituted, and the variables its test scripts set (`pm.environment.set(...)`) extracted from each
response — JSON paths of the body and cookies of Set-Cookie — without a JavaScript engine.

Transport-agnostic: `HttpTransport(base_url)` talks to any server; `WsgiTransport(app)` calls a WSGI
app in-process. Both are `harness.http`'s sides, so an app gets the same bytes either way: the collection's
request as `build` makes it (its headers, and the Host of the URL addressed), no cookie jar (the collection
sends its cookies itself, in headers).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from harness.http import HttpSide, Reply, Sent, Upload, WsgiSide, multipart_request

__all__ = ["CollectionError", "CollectionRequest", "HttpTransport", "Reply", "Transport", "Upload", "WsgiTransport",
           "build", "check_reply", "collection_variables", "extract", "load_collection", "reads_json", "substitute"]

_VAR = re.compile(r"\{\{(\w+)\}\}")
_SET = re.compile(r"pm\.environment\.set\(\s*'(\w+)'\s*,\s*(.+?)\s*\);")
_COOKIE_FIND = re.compile(r"const\s+(\w+)\s*=\s*cookies\.find\(\s*c\s*=>\s*c\.name\s*===\s*'(\w+)'\s*\)")
_JSON_MEDIA = "application/json"


class Transport(Protocol):
    base_url: str

    def send(self, sent: Sent) -> Reply: ...


class WsgiTransport(WsgiSide):
    """Calls a WSGI application in-process, with the environ a server on loopback would build."""

    base_url = "http://localhost"

    def __init__(self, app: Any) -> None:
        super().__init__("replay", app)


class HttpTransport(HttpSide):
    """Talks to a server at `base_url` (any implementation of the API).

    `base_url` must have passed the URL guard (harness/core/urlguard.py); a collection URL that is not a path
    under it is refused (CollectionError), and http.client reads no proxy variable or .netrc, so requests go to
    that host and nowhere else. A server that cannot be
    reached raises the `requests` exceptions `harness replay` reports (Timeout, ConnectionError,
    RequestException), the failure that http.client raised as their cause."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        super().__init__("replay", base_url, timeout)
        self._authority = urlsplit(base_url).netloc

    def send(self, sent: Sent) -> Reply:
        if sent.header("Host") is None:  # a client names the server of the URL it addresses
            sent = Sent(sent.method, sent.path, [("Host", self._authority), *sent.headers], sent.body)
        if not sent.path.startswith("/") or "\\" in sent.path or not sent.path.isascii() \
                or any(c.isspace() or not c.isprintable() for c in sent.path):
            # Appended to the base URL, anything else could move the host ("{{base_url}}@10.0.0.1/x").
            raise CollectionError(f"{sent.method} {sent.path!r}: a collection URL must be {{{{base_url}}}} followed "
                                  "by a path starting with /")
        return super().send(sent)


@dataclass(slots=True)
class CollectionRequest:
    """One request of the collection. `rid` is API.md's row id: P1…P61 in collection order."""

    rid: str
    name: str
    folder: str
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: dict[str, Any] | None
    scripts: list[str]

    def extractions(self) -> list[tuple[str, str]]:
        """(variable, expression) pairs set by this request's test script."""
        return [m.groups() for script in self.scripts for m in _SET.finditer(script)]

    def cookie_aliases(self) -> dict[str, str]:
        return {js: cookie for script in self.scripts for js, cookie in _COOKIE_FIND.findall(script)}


class CollectionError(ValueError):
    """A collection file that cannot be played: unreadable, not JSON, not a Postman collection, no requests.
    `str(exc)` is one line."""


def _read_collection(path: str | Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CollectionError(f"cannot read the collection {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CollectionError(f"the collection {path} is not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise CollectionError(f"the collection {path} is not JSON: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("item"), list):
        raise CollectionError(f"{path} is not a Postman collection (no top-level 'item' list)")
    return doc


def load_collection(path: str | Path) -> list[CollectionRequest]:
    doc = _read_collection(path)
    out: list[CollectionRequest] = []

    def walk(items: list[dict], folder: str) -> None:
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("item"), list):
                walk(item["item"], f"{folder}/{item.get('name', '')}".strip("/"))
                continue
            try:
                r = item["request"]
                url = r["url"]["raw"] if isinstance(r["url"], dict) else r["url"]
                scripts = ["\n".join(e["script"]["exec"]) for e in item.get("event", []) if e.get("listen") == "test"]
                request = CollectionRequest(
                    rid=f"P{len(out) + 1}", name=str(item.get("name", "")), folder=folder,
                    method=str(r["method"]).upper(), url=str(url),
                    headers=[(h["key"], h["value"]) for h in r.get("header", []) if not h.get("disabled")],
                    body=r.get("body"), scripts=scripts)
            except (KeyError, TypeError, AttributeError) as exc:
                where = f"request {len(out) + 1}" + (f" ({item.get('name')!r})" if isinstance(item, dict) else "")
                raise CollectionError(f"{path}: {where} is not a Postman request (missing or malformed "
                                      f"{exc.args[0] if isinstance(exc, KeyError) else 'field'})") from None
            out.append(request)

    walk(doc["item"], "")
    if not out:
        raise CollectionError(f"the collection {path} has no requests")
    return out


def collection_variables(path: str | Path) -> dict[str, str]:
    doc = _read_collection(path)
    return {v["key"]: v.get("value", "") for v in doc.get("variable", []) if isinstance(v, dict) and "key" in v}


def reads_json(req: CollectionRequest) -> bool:
    """Whether the request's test script parses the body as JSON (`pm.response.json()`)."""
    return any("pm.response.json()" in script for script in req.scripts)


def check_reply(req: CollectionRequest, reply: Reply, *, json_body: bool = True, envelope: bool = True) -> list[str]:
    """What a successful reply fails of the checks the collection's client makes: a JSON body served as JSON
    (`json_body`, or when the test script calls `pm.response.json()`), the API envelope `{"success": true,
    "data": ...}` (`envelope`), and every value the test script reads (`pm.environment.set(...)`)."""
    problems = _json_problems(reply, envelope=envelope) if json_body or reads_json(req) else []
    return problems + _read_problems(req, reply)


def _json_problems(reply: Reply, *, envelope: bool) -> list[str]:
    problems: list[str] = []
    media = (reply.header("Content-Type") or "").split(";", 1)[0].strip().lower()
    if media != _JSON_MEDIA and not media.endswith("+json"):
        problems.append(f"Content-Type is {media or 'missing'}, not {_JSON_MEDIA}")
    try:
        body = json.loads(reply.body)
    except ValueError:
        return [*problems, "the body is not JSON"]
    if envelope and not (isinstance(body, dict) and body.get("success") is True and "data" in body):
        problems.append('the body is not the API envelope {"success": true, "data": ...}')
    return problems


def _read_problems(req: CollectionRequest, reply: Reply) -> list[str]:
    missing = [expr for _, expr in req.extractions() if not _reads(req, reply, expr)]
    return [f"the collection's test script reads {', '.join(missing)}: missing"] if missing else []


def substitute(text: str, variables: dict[str, str]) -> str:
    return _VAR.sub(lambda m: str(variables.get(m.group(1), "")), text)


_MISSING = object()


def _path_value(doc: Any, expr: str) -> Any:
    """Evaluate `response.data.sessions[0].id`-style paths; `_MISSING` when a step is missing (a present null
    is None)."""
    cur = doc
    for name, index in re.findall(r"\.?(\w+)(?:\[(\d+)\])?", expr):
        if not isinstance(cur, dict) or name not in cur:
            return _MISSING
        cur = cur[name]
        if index:
            if not isinstance(cur, list) or len(cur) <= int(index):
                return _MISSING
            cur = cur[int(index)]
    return cur


def _json_path(doc: Any, expr: str) -> Any:
    """`_path_value`, with None for a missing step."""
    value = _path_value(doc, expr)
    return None if value is _MISSING else value


def _reads(req: CollectionRequest, reply: Reply, expr: str) -> bool:
    """Whether the value a test script reads with `expr` is in the reply (present, possibly null)."""
    stringify = re.fullmatch(r"JSON\.stringify\((.+)\)", expr)
    inner = stringify.group(1) if stringify else expr
    if inner.startswith("response."):
        return _path_value(reply.body_json, inner.removeprefix("response")) is not _MISSING
    alias = inner.split(".")[0]
    if re.fullmatch(r"\w+\.value", inner) and alias in req.cookie_aliases():
        return req.cookie_aliases()[alias] in reply.cookies
    return True  # an expression this reader does not interpret is not held against the server


def extract(req: CollectionRequest, reply: Reply) -> dict[str, str]:
    """The variables the request's test script would set from this reply (scripts act on 2xx only)."""
    if not 200 <= reply.status < 300:
        return {}
    found: dict[str, str] = {}
    body = reply.body_json
    aliases = req.cookie_aliases()
    cookies = reply.cookies
    for var, expr in req.extractions():
        value: Any = None
        stringify = re.fullmatch(r"JSON\.stringify\((.+)\)", expr)
        if stringify:
            inner = _json_path(body, stringify.group(1).removeprefix("response"))
            value = None if inner is None else json.dumps(inner)
        elif expr.startswith("response."):
            value = _json_path(body, expr.removeprefix("response"))
        elif re.fullmatch(r"\w+\.value", expr) and expr.split(".")[0] in aliases:
            value = cookies.get(aliases[expr.split(".")[0]])
        if value is not None:
            found[var] = str(value)
    return found


def build(req: CollectionRequest, variables: dict[str, str],
          files: dict[str, Upload] | None = None, json_override: Any = None) -> Sent:
    """The request as sent, variables substituted. `files` supplies the bytes of formdata file fields (the
    collection only names local paths); `json_override` replaces a raw body."""
    path = substitute(req.url, {**variables, "base_url": ""})
    headers = {k: substitute(v, variables) for k, v in req.headers}
    body = req.body or {}
    if json_override is not None:
        headers.setdefault("Content-Type", _JSON_MEDIA)
        return Sent(req.method, path, list(headers.items()), json.dumps(json_override).encode())
    if body.get("mode") == "raw":
        return Sent(req.method, path, list(headers.items()), substitute(body.get("raw", ""), variables).encode())
    if body.get("mode") == "formdata":
        fields, uploads = _form(req, body.get("formdata", []), variables, files or {})
        if fields or uploads:  # the form's own Content-Type carries its boundary
            return multipart_request(req.method, path, fields, uploads,
                                     [(k, v) for k, v in headers.items() if k.lower() != "content-type"])
    return Sent(req.method, path, list(headers.items()))


def _form(req: CollectionRequest, entries: list[dict[str, Any]], variables: dict[str, str],
          files: dict[str, Upload]) -> tuple[dict[str, str], list[Upload]]:
    """A formdata body's text fields (substituted) and files (from `files`), the disabled entries left out."""
    fields: dict[str, str] = {}
    uploads: list[Upload] = []
    for entry in entries:
        if entry.get("disabled"):
            continue
        if entry.get("type") != "file":
            fields[entry["key"]] = substitute(entry.get("value", ""), variables)
        elif entry["key"] in files:
            uploads.append(files[entry["key"]])
        else:
            raise KeyError(f"{req.rid} needs file content for form field {entry['key']!r}")
    return fields, uploads
