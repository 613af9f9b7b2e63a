"""Replay a Postman collection as a real client would: requests in collection order, `{{variables}}`
substituted, and the variables its test scripts set (`pm.environment.set(...)`) extracted from each
response — JSON paths of the body and cookies of Set-Cookie — without a JavaScript engine.

Transport-agnostic: `HttpTransport(base_url)` talks to any server; `WsgiTransport(app)` calls a WSGI
app in-process. Neither keeps a cookie jar: the collection sends its cookies itself, in headers.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any, Protocol

_VAR = re.compile(r"\{\{(\w+)\}\}")
_SET = re.compile(r"pm\.environment\.set\(\s*'(\w+)'\s*,\s*(.+?)\s*\);")
_COOKIE_FIND = re.compile(r"const\s+(\w+)\s*=\s*cookies\.find\(\s*c\s*=>\s*c\.name\s*===\s*'(\w+)'\s*\)")


@dataclass(slots=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def header(self, name: str) -> str | None:
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def cookies(self) -> dict[str, str]:
        jar: dict[str, str] = {}
        for k, v in self.headers:
            if k.lower() == "set-cookie":
                parsed = SimpleCookie()
                parsed.load(v)
                for name, morsel in parsed.items():
                    jar[name] = morsel.value
        return jar


@dataclass(slots=True)
class Upload:
    field: str
    filename: str
    content: bytes
    content_type: str


@dataclass(slots=True)
class Outgoing:
    method: str
    path: str  # path and query, after substitution, without the base URL
    headers: dict[str, str]
    json_text: str | None = None
    form: dict[str, str] = field(default_factory=dict)
    files: list[Upload] = field(default_factory=list)

    def curl(self, base_url: str) -> str:
        parts = [f"curl -i -X {self.method} '{base_url}{self.path}'"]
        parts += [f"-H '{k}: {v}'" for k, v in self.headers.items()]
        if self.json_text is not None:
            parts.append("--data-raw '" + self.json_text.replace("'", "'\\''") + "'")
        parts += [f"-F '{k}={v}'" for k, v in self.form.items()]
        parts += [f"-F '{f.field}=@{f.filename};type={f.content_type}'" for f in self.files]
        return " ".join(parts)


class Transport(Protocol):
    base_url: str

    def send(self, req: Outgoing) -> Reply: ...


class WsgiTransport:
    """Calls a WSGI application in-process (werkzeug's test client, with no cookie jar)."""

    base_url = "http://localhost"

    def __init__(self, app: Any) -> None:
        from werkzeug.test import Client

        self._client = Client(app, use_cookies=False)

    def send(self, req: Outgoing) -> Reply:
        kwargs: dict[str, Any] = {"headers": req.headers}
        if req.json_text is not None:
            kwargs["data"] = req.json_text.encode()
        elif req.form or req.files:
            import io

            data: dict[str, Any] = dict(req.form)
            for f in req.files:
                data[f.field] = (io.BytesIO(f.content), f.filename, f.content_type)
            kwargs["data"] = data
        resp = self._client.open(req.path, method=req.method, **kwargs)
        return Reply(resp.status_code, list(resp.headers.items()), resp.get_data())


class HttpTransport:
    """Talks to a server at `base_url` (any implementation of the API).

    `base_url` must have passed the URL guard (harness/core/urlguard.py). Proxy variables, .netrc and other
    environment settings are ignored (`trust_env = False`), so requests go to that host and nowhere else."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        import requests

        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        self._session.trust_env = False

    def send(self, req: Outgoing) -> Reply:
        if not req.path.startswith("/") or "\\" in req.path or not req.path.isascii() \
                or any(c.isspace() or not c.isprintable() for c in req.path):
            # Appended to the base URL, anything else could move the host ("{{base_url}}@10.0.0.1/x").
            raise CollectionError(f"{req.method} {req.path!r}: a collection URL must be {{{{base_url}}}} followed "
                                  "by a path starting with /")
        kwargs: dict[str, Any] = {"headers": req.headers, "timeout": self.timeout, "allow_redirects": False}
        if req.json_text is not None:
            kwargs["data"] = req.json_text.encode()
        elif req.form or req.files:
            kwargs["data"] = req.form
            kwargs["files"] = [(f.field, (f.filename, f.content, f.content_type)) for f in req.files]
        resp = self._session.request(req.method, self.base_url + req.path, **kwargs)
        headers = [(k, v) for k, v in resp.raw.headers.items()] if resp.raw is not None else list(resp.headers.items())
        return Reply(resp.status_code, headers, resp.content)


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
    problems: list[str] = []
    if json_body or reads_json(req):
        media = (reply.header("Content-Type") or "").split(";", 1)[0].strip().lower()
        if media != "application/json" and not media.endswith("+json"):
            problems.append(f"Content-Type is {media or 'missing'}, not application/json")
        try:
            body = json.loads(reply.body)
        except ValueError:
            problems.append("the body is not JSON")
        else:
            if envelope and not (isinstance(body, dict) and body.get("success") is True and "data" in body):
                problems.append('the body is not the API envelope {"success": true, "data": ...}')
    missing = [expr for _, expr in req.extractions() if not _reads(req, reply, expr)]
    if missing:
        problems.append(f"the collection's test script reads {', '.join(missing)}: missing")
    return problems


def substitute(text: str, variables: dict[str, str]) -> str:
    return _VAR.sub(lambda m: str(variables.get(m.group(1), "")), text)


def _json_path(doc: Any, expr: str) -> Any:
    """Evaluate `response.data.sessions[0].id`-style paths; None when any step is missing."""
    cur = doc
    for name, index in re.findall(r"\.?(\w+)(?:\[(\d+)\])?", expr):
        if not isinstance(cur, dict) or name not in cur:
            return None
        cur = cur[name]
        if index:
            if not isinstance(cur, list) or len(cur) <= int(index):
                return None
            cur = cur[int(index)]
    return cur


_MISSING = object()


def _path_value(doc: Any, expr: str) -> Any:
    """Like `_json_path`, but tells a missing step (`_MISSING`) from a present null."""
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


def _reads(req: CollectionRequest, reply: Reply, expr: str) -> bool:
    """Whether the value a test script reads with `expr` is in the reply (present, possibly null)."""
    stringify = re.fullmatch(r"JSON\.stringify\((.+)\)", expr)
    inner = stringify.group(1) if stringify else expr
    if inner.startswith("response."):
        return _path_value(reply.json(), inner.removeprefix("response")) is not _MISSING
    alias = inner.split(".")[0]
    if re.fullmatch(r"\w+\.value", inner) and alias in req.cookie_aliases():
        return req.cookie_aliases()[alias] in reply.cookies
    return True  # an expression this reader does not interpret is not held against the server


def extract(req: CollectionRequest, reply: Reply) -> dict[str, str]:
    """The variables the request's test script would set from this reply (scripts act on 2xx only)."""
    if not 200 <= reply.status < 300:
        return {}
    found: dict[str, str] = {}
    body = reply.json()
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
          files: dict[str, Upload] | None = None, json_override: Any = None) -> Outgoing:
    """The outgoing request with variables substituted. `files` supplies the bytes of formdata file
    fields (the collection only names local paths); `json_override` replaces a raw body."""
    path = substitute(req.url, {**variables, "base_url": ""})
    headers = {k: substitute(v, variables) for k, v in req.headers}
    out = Outgoing(method=req.method, path=path, headers=headers)
    body = req.body or {}
    if json_override is not None:
        out.json_text = json.dumps(json_override)
        out.headers.setdefault("Content-Type", "application/json")
    elif body.get("mode") == "raw":
        out.json_text = substitute(body.get("raw", ""), variables)
    elif body.get("mode") == "formdata":
        for entry in body.get("formdata", []):
            if entry.get("disabled"):
                continue
            if entry.get("type") == "file":
                upload = (files or {}).get(entry["key"])
                if upload is None:
                    raise KeyError(f"{req.rid} needs file content for form field {entry['key']!r}")
                out.files.append(upload)
            else:
                out.form[entry["key"]] = substitute(entry.get("value", ""), variables)
    return out
