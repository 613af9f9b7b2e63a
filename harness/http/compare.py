"""What a client could notice between two replies to the same request, as {field: Difference}.

Fields: `status`; `header:<name>` for the headers a client reads (content type, location, allow, cache
control, pagination, rate limits, retry-after); `cookie:<name>` (value) and `cookie:<name>.<attribute>`
(max-age, path, domain, secure, httponly, samesite); `body` paths such as `body.data.courses[0].id`. Kinds:
`status`, `missing` (only the primary has it), `extra` (only the other has it), `type`, `value`, `ordering`
(a list with the same members in another order), `members` (a list of resources, objects with an `id`, that holds
other ones: the ids only one side has). JSON bodies are diffed with deepdiff.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC
from http.cookies import SimpleCookie
from typing import Any

from deepdiff import DeepDiff

from .message import Reply

COMPARED_HEADERS = ("content-type", "location", "allow", "cache-control", "x-total-count", "x-page", "x-per-page",
                    "x-total-pages", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after",
                    "www-authenticate", "content-disposition")
COOKIE_ATTRIBUTES = ("max-age", "path", "domain", "secure", "httponly", "samesite")
#: Two timestamps this close are the same moment to a client: each side stamps the request when it handles it,
#: and the sides handle it one after the other (so a second boundary may fall between them).
TIME_TOLERANCE_S = 5.0
_BASIC_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    primary: Any
    other: Any


def _content_type(value: str | None) -> str | None:
    if value is None:
        return None
    parts = [p.strip().lower().replace(" ", "") for p in value.split(";") if p.strip()]
    return ";".join(parts)


def _allow(value: str | None) -> str | None:
    return None if value is None else ", ".join(sorted(m.strip().upper() for m in value.split(",") if m.strip()))


def _header_value(name: str, reply: Reply) -> str | None:
    value = reply.header(name)
    if name == "content-type":
        return _content_type(value)
    if name == "allow":
        return _allow(value)
    return value


def cookies(reply: Reply) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for raw in reply.headers_named("Set-Cookie"):
        jar = SimpleCookie()
        try:
            jar.load(raw)
        except Exception:  # noqa: BLE001 - any header http.cookies cannot read is reported as unparsable, not fatal
            out[f"<unparsable {raw[:30]}>"] = {"value": raw}
            continue
        for name, morsel in jar.items():
            attrs: dict[str, Any] = {"value": morsel.value}
            for attr in COOKIE_ATTRIBUTES:
                v = morsel[attr]
                if attr in {"secure", "httponly"}:
                    attrs[attr] = bool(v)
                elif v not in ("", None):
                    attrs[attr] = str(v).lower() if attr == "samesite" else str(v)
            out[name] = attrs
    return out


_PATH_PART = re.compile(r"\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


def field_path(deepdiff_path: str) -> str:
    """deepdiff's "root['data']['courses'][0]['id']" as "body.data.courses[0].id"."""
    out = "body"
    for key, index in _PATH_PART.findall(deepdiff_path):
        out += f"[{index}]" if index else f".{key}"
    return out


def general(field: str) -> str:
    """A field with list indices generalised (`body.data.courses[*].id`): the unit noise is counted in."""
    return re.sub(r"\[\d+\]", "[*]", field)


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _ids(items: list[Any]) -> list[Any] | None:
    """The `id` of every entry, when each is an object with an `id` of its own (a list of resources)."""
    ids = [x.get("id") if isinstance(x, dict) else None for x in items]
    valid = all(isinstance(i, str | int) and not isinstance(i, bool) for i in ids)
    return ids if ids and valid and len(set(ids)) == len(ids) else None


def _common(first: list[Any], second: list[Any]) -> list[Any]:
    """The entries of `first` that `second` holds too, in `first`'s order."""
    held = set(second)
    return [i for i in first if i in held]


def _align_resources(a: list[Any], b: list[Any], path: str, found: dict[str, Difference]) -> tuple[list, list] | None:
    """Two lists of resources matched by `id`: one `ordering` difference when the same resources come in another
    order, one `members` difference (ids only the primary has, ids only the other has) when they are not the same
    ones; either way the resources both hold are then compared with each other, not position by position."""
    ids_a, ids_b = _ids(a), _ids(b)
    if ids_a is None or ids_b is None or ids_a == ids_b:
        return None
    shared_a, shared_b = _common(ids_a, ids_b), _common(ids_b, ids_a)
    if len(shared_a) < max(len(ids_a), len(ids_b)):
        kept = set(shared_a)
        found[path] = Difference("members", [i for i in ids_a if i not in kept][:10],
                                 [i for i in ids_b if i not in kept][:10])
    if shared_a != shared_b:
        found.setdefault(path, Difference("ordering", shared_a[:10], shared_b[:10]))
    by_id_a, by_id_b = dict(zip(ids_a, a, strict=True)), dict(zip(ids_b, b, strict=True))
    return [by_id_a[i] for i in shared_a], [by_id_b[i] for i in shared_a]


def _permuted(a: list[Any], b: list[Any]) -> bool:
    """The same entries (as JSON) in another order."""
    return len(a) == len(b) and a != b and sorted(map(_canon, a)) == sorted(map(_canon, b))


def _align_lists(a: list[Any], b: list[Any], path: str, found: dict[str, Difference]) -> tuple[list, list]:
    if _permuted(a, b):
        found[path] = Difference("ordering", [_canon(x)[:80] for x in a[:5]], [_canon(x)[:80] for x in b[:5]])
        return a, list(a)
    a, b = _align_resources(a, b, path, found) or (a, b)
    pairs = [_align(x, y, f"{path}[{i}]", found) for i, (x, y) in enumerate(zip(a, b, strict=False))]
    return [p[0] for p in pairs] + a[len(pairs):], [p[1] for p in pairs] + b[len(pairs):]


def _align(a: Any, b: Any, path: str, found: dict[str, Difference]) -> tuple[Any, Any]:
    """a and b with every list that differs from the other's only in order, or in which resources it holds, put
    in the primary's order and cut to what both hold; each such list is recorded once (`ordering`, `members`),
    so a reordered list is one difference, not one per field of every entry."""
    if isinstance(a, dict) and isinstance(b, dict):
        pairs = {k: _align(a[k], b[k], f"{path}.{k}", found) for k in a.keys() & b.keys()}
        return ({k: pairs[k][0] if k in pairs else v for k, v in a.items()},
                {k: pairs[k][1] if k in pairs else v for k, v in b.items()})
    if isinstance(a, list) and isinstance(b, list):
        return _align_lists(a, b, path, found)
    return a, b


def _presence(a: Any, b: Any) -> str:
    return "missing" if b is None else "extra" if a is None else "value"


def compare(primary: Reply, other: Reply) -> dict[str, Difference]:
    diffs: dict[str, Difference] = {}
    if primary.status != other.status:
        diffs["status"] = Difference("status", primary.status, other.status)
    diffs.update(_compare_headers(primary, other))
    diffs.update(_compare_cookies(cookies(primary), cookies(other)))
    diffs.update(compare_bodies(primary, other))
    return diffs


def _compare_headers(primary: Reply, other: Reply) -> dict[str, Difference]:
    diffs = {}
    for name in COMPARED_HEADERS:
        a, b = _header_value(name, primary), _header_value(name, other)
        if a != b:
            diffs[f"header:{name}"] = Difference(_presence(a, b), a, b)
    return diffs


def _compare_cookies(ca: dict[str, dict[str, Any]], cb: dict[str, dict[str, Any]]) -> dict[str, Difference]:
    diffs = {}
    for name in ca.keys() | cb.keys():
        if name not in cb:
            diffs[f"cookie:{name}"] = Difference("missing", ca[name], None)
        elif name not in ca:
            diffs[f"cookie:{name}"] = Difference("extra", None, cb[name])
        else:
            for attr in ("value", *COOKIE_ATTRIBUTES):
                x, y = ca[name].get(attr), cb[name].get(attr)
                if x != y:
                    diffs[f"cookie:{name}" if attr == "value" else f"cookie:{name}.{attr}"] = Difference(
                        _presence(x, y), x, y)
    return diffs


#: deepdiff's report keys of a field only one side has.
_REMOVED = ("dictionary_item_removed", "iterable_item_removed")  # only the primary has it: missing
_ADDED = ("dictionary_item_added", "iterable_item_added")  # only the other has it: extra


def compare_bodies(primary: Reply, other: Reply) -> dict[str, Difference]:
    if primary.body == other.body:
        return {}  # the common case, decided without parsing
    ja, jb = primary.json, other.json
    if ja is None or jb is None:
        return _compare_raw(primary, other, ja, jb)
    if _canon(ja) == _canon(jb):
        return {}  # same document, other spacing or key order (1, 1.0 and true stay distinct)
    return _compare_json(ja, jb)


def _compare_raw(primary: Reply, other: Reply, ja: Any, jb: Any) -> dict[str, Difference]:
    """Two bodies of which at least one is not JSON (and the bytes differ)."""
    kind = "type" if (ja is None) != (jb is None) else "value"
    return {"body": Difference(kind, _short(primary.body), _short(other.body))}


def _compare_json(ja: Any, jb: Any) -> dict[str, Difference]:
    """Two JSON documents, field by field: reordered lists and lists of other resources first (as `ordering` and
    `members`), then deepdiff's report on what remains."""
    found: dict[str, Difference] = {}
    ja, jb = _align(ja, jb, "body", found)
    dd = DeepDiff(ja, jb, verbose_level=2, ignore_order=False, ignore_numeric_type_changes=False)
    for key in _REMOVED:
        found.update({field_path(path): Difference("missing", value, None) for path, value in dd.get(key, {}).items()})
    for key in _ADDED:
        found.update({field_path(path): Difference("extra", None, value) for path, value in dd.get(key, {}).items()})
    for path, change in dd.get("type_changes", {}).items():
        found[field_path(path)] = Difference("type", change.get("old_value"), change.get("new_value"))
    for path, change in dd.get("values_changed", {}).items():
        old, new = change.get("old_value"), change.get("new_value")
        if not _same_moment(old, new):
            found[field_path(path)] = Difference("value", old, new)
    return found


def _moment(value: Any):
    from datetime import datetime

    if not isinstance(value, str) or not 8 <= len(value) <= 40:
        return None
    basic = _BASIC_TIME.fullmatch(value)
    if basic:  # 20261126T104538Z (AWS signatures)
        return datetime(*map(int, basic.groups()), tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


_FRACTION = re.compile(r"\.\d+")


def _same_moment(a: Any, b: Any, tolerance: float = TIME_TOLERANCE_S) -> bool:
    """Both values are timestamps with a zone, in the same format, within `tolerance` seconds of each other. The
    fraction of a second does not make a format: ISO 8601 writers (Python's isoformat among them) leave it out
    when it is zero, so "…:21.984466Z" and "…:22Z" are the same format, one moment apart."""
    ma, mb = _moment(a), _moment(b)
    if ma is None or mb is None or len(_FRACTION.sub("", a)) != len(_FRACTION.sub("", b)) or a[-1:] != b[-1:]:
        return False
    return abs((ma - mb).total_seconds()) <= tolerance


def _short(body: bytes, limit: int = 200) -> str:
    return body[:limit].decode("utf-8", "replace")
