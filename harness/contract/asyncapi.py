"""AsyncAPI 3.0.0 documents: load one, validate it against the official JSON Schema, and check its message
payloads.

The official schema ships in the npm package `@asyncapi/specs` (the one the AsyncAPI parser uses). It is
fetched once with `npm pack` at a pinned version, checked against the pinned tarball digest, and cached under
`reports/.cache/` (git-ignored). The bundled `schemas/3.0.0-without-$id.json` is self-contained: every
`$ref` in it points inside the file, so plain `jsonschema` validates with it offline.

The JSON Schema alone cannot see across references, so `validate()` adds the few rules of the AsyncAPI 3.0.0
specification that need them (what the official parser checks beyond the schema): local references resolve,
an operation's messages belong to its channel, and a channel's parameters are exactly its address's
`{expressions}`.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import yaml

SPECS_PACKAGE = "@asyncapi/specs"
SPECS_VERSION = "6.11.1"
#: The npm `dist.integrity` of @asyncapi/specs@6.11.1: a fetched tarball must match it byte for byte.
SPECS_INTEGRITY = "sha512-A3WBLqAKGoJ2+6FWFtpjBlCQ1oFCcs4GxF7zsIGvNqp/klGUHjlA3aAcZ9XMMpLGE8zPeYDz2x9FmO6DSuKraQ=="
SCHEMA_MEMBER = "package/schemas/3.0.0-without-$id.json"

DEFAULT_CACHE_DIR = Path(__file__).resolve().parents[2] / "reports" / ".cache"
#: Where payload schemas are registered for `$ref` resolution; any absolute URI would do.
DOCUMENT_URI = "urn:asyncapi:document"


class SpecsUnavailable(RuntimeError):
    """The official schema is not cached and could not be fetched (no npm, no registry, bad digest)."""


@dataclass(frozen=True, slots=True)
class Problem:
    rule: str      # "schema" (the official JSON Schema) or the name of a specification rule checked here
    where: str     # JSON pointer into the document
    message: str

    def __str__(self) -> str:
        return f"{self.where or '/'}: [{self.rule}] {self.message}"


# --- the official schema ---------------------------------------------------------------------------------

def schema_path(cache_dir: Path | None = None) -> Path:
    return (cache_dir or DEFAULT_CACHE_DIR) / f"asyncapi-specs-{SPECS_VERSION}" / "asyncapi-3.0.0.schema.json"


def official_schema(cache_dir: Path | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0.0 JSON Schema (draft-07), fetched into the cache on first use."""
    path = schema_path(cache_dir)
    if not path.is_file():
        _fetch(path)
    return json.loads(path.read_text(encoding="utf-8"))


def _fetch(dest: Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SpecsUnavailable("npm is not installed: cannot fetch the official AsyncAPI schema")
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A private work dir beside the destination, so the final rename is atomic even when pytest-xdist
    # workers fetch at the same time.
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".fetch-") as work:
        spec = f"{SPECS_PACKAGE}@{SPECS_VERSION}"
        try:
            done = subprocess.run([npm, "pack", spec, "--pack-destination", work, "--json", "--ignore-scripts",
                                   "--prefer-offline"], cwd=work, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise SpecsUnavailable(f"npm pack {spec} failed: {exc}") from exc
        if done.returncode != 0:
            raise SpecsUnavailable(f"npm pack {spec} exited {done.returncode}: {done.stderr.strip()[-500:]}")
        tarballs = list(Path(work).glob("*.tgz"))
        if len(tarballs) != 1:
            raise SpecsUnavailable(f"npm pack {spec} left {len(tarballs)} tarballs")
        blob = tarballs[0].read_bytes()
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(blob).digest()).decode()
        if integrity != SPECS_INTEGRITY:
            raise SpecsUnavailable(f"{spec} tarball digest {integrity} is not the pinned {SPECS_INTEGRITY}")
        with tarfile.open(tarballs[0], "r:gz") as tar:
            member = tar.extractfile(SCHEMA_MEMBER)
            if member is None:
                raise SpecsUnavailable(f"{spec} has no {SCHEMA_MEMBER}")
            schema = member.read()
        json.loads(schema)  # a truncated file must not land in the cache
        staged = Path(work) / dest.name
        staged.write_bytes(schema)
        os.replace(staged, dest)


# --- loading -----------------------------------------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """YAML 1.1 would turn an unquoted `2025-08-21T18:30:00Z` into a datetime; JSON Schema wants strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(path: str | Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        document = yaml.load(fh, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise ValueError(f"{path} is not a YAML mapping")
    return document


# --- validation ----------------------------------------------------------------------------------------------

def validate(document: dict[str, Any], schema: dict[str, Any] | None = None) -> list[Problem]:
    """Every problem found, official schema first; an empty list means the document is valid."""
    from jsonschema import Draft7Validator

    validator = Draft7Validator(schema if schema is not None else official_schema(),
                                format_checker=Draft7Validator.FORMAT_CHECKER)
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        reason = _deepest(error)
        problems.append(Problem("schema", _pointer(reason.absolute_path), reason.message))
    problems += _reference_problems(document)
    problems += _operation_problems(document)
    problems += _parameter_problems(document)
    return problems


def _deepest(error: Any) -> Any:
    """The error that explains a failure. The official schema nests most objects in oneOf[Reference, Object]
    and picks security schemes and bindings by their `type`: a branch that merely misses `$ref` or has
    another `type` is never the interesting one."""
    while error.context:
        branches = [e for e in error.context if not _other_branch(e)]
        error = max(branches or error.context, key=lambda e: len(e.absolute_path))  # the first of the deepest
    return error


def _other_branch(error: Any) -> bool:
    if error.validator == "required":
        return "'$ref'" in error.message
    return error.validator in {"enum", "const"} and bool(error.path) and error.path[-1] == "type"


def _reference_problems(document: dict[str, Any]) -> list[Problem]:
    problems = []
    for where, ref in _refs(document):
        if not ref.startswith("#"):
            problems.append(Problem("reference", where, f"{ref!r} is not a local reference"))
        elif resolve(document, ref, default=_MISSING) is _MISSING:
            problems.append(Problem("reference", where, f"{ref!r} does not resolve"))
    return problems


def _operation_problems(document: dict[str, Any]) -> list[Problem]:
    """An operation's channel is a root channel; its messages (and its reply's) belong to that channel."""
    problems = []
    for op_id, operation in (document.get("operations") or {}).items():
        if not isinstance(operation, dict):
            continue
        where = f"/operations/{_escape(op_id)}"
        problems += _channel_messages(operation, where, root_channel=True)
        reply = operation.get("reply")
        if isinstance(reply, dict) and "$ref" not in reply and "channel" in reply:
            problems += _channel_messages(reply, f"{where}/reply", root_channel=False)
    return problems


def _channel_messages(holder: dict[str, Any], where: str, root_channel: bool) -> list[Problem]:
    channel_ref = (holder.get("channel") or {}).get("$ref") if isinstance(holder.get("channel"), dict) else None
    if not isinstance(channel_ref, str):
        return []
    if root_channel and not re.fullmatch(r"#/channels/[^/]+", channel_ref):
        return [Problem("operation-channel", f"{where}/channel", f"{channel_ref!r} is not a channel of /channels")]
    problems = []
    for index, message in enumerate(holder.get("messages") or []):
        ref = message.get("$ref") if isinstance(message, dict) else None
        if isinstance(ref, str) and not ref.startswith(f"{channel_ref}/messages/"):
            problems.append(Problem("operation-messages", f"{where}/messages/{index}",
                                    f"{ref!r} is not a message of the operation's channel {channel_ref!r}"))
    return problems


def _parameter_problems(document: dict[str, Any]) -> list[Problem]:
    problems = []
    for channel_id, channel in (document.get("channels") or {}).items():
        if not isinstance(channel, dict) or "$ref" in channel:
            continue
        address = channel.get("address")
        used = set(re.findall(r"\{([^}]+)\}", address)) if isinstance(address, str) else set()
        declared = set(channel.get("parameters") or {})
        where = f"/channels/{_escape(channel_id)}"
        for name in sorted(used - declared):
            problems.append(Problem("channel-parameters", f"{where}/address", f"{{{name}}} has no parameter"))
        for name in sorted(declared - used):
            problems.append(Problem("channel-parameters", f"{where}/parameters/{_escape(name)}",
                                    f"{name!r} is not in the address {address!r}"))
    return problems


# --- references ------------------------------------------------------------------------------------------------

_MISSING = object()


def resolve(document: dict[str, Any], ref: str, default: Any = None) -> Any:
    """The value a local `#/a/b` reference points at (following references on the way), else `default`."""
    node: Any = document
    for _ in range(32):  # a reference chain longer than this is a loop
        if ref == "#":
            return node
        node = document
        for token in ref.removeprefix("#/").split("/"):
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return default
        if isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#"):
            ref = node["$ref"]
            continue
        return node
    return default


def _refs(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield f"{where}/$ref", node["$ref"]
        for key, value in node.items():
            if key not in {"examples", "const", "enum", "default"}:  # values there are data, not references
                yield from _refs(value, f"{where}/{_escape(str(key))}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _refs(value, f"{where}/{index}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(path: Any) -> str:
    return "".join(f"/{_escape(str(token))}" for token in path)


# --- messages and their payloads -------------------------------------------------------------------------------

def messages(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The messages of `components.messages`, keyed by their `name` (the wire event name)."""
    out = {}
    for key in (document.get("components") or {}).get("messages") or {}:
        message = resolve(document, f"#/components/messages/{_escape(key)}")
        out[message.get("name", key)] = {**message, "x-component": key}
    return out


def operation_messages(document: dict[str, Any], action: str) -> dict[str, list[str]]:
    """Message name -> ids of the `action` ("send"/"receive") operations that carry it."""
    out: dict[str, list[str]] = {}
    for op_id, operation in (document.get("operations") or {}).items():
        if operation.get("action") != action:
            continue
        for ref in operation.get("messages") or []:
            message = resolve(document, ref["$ref"]) or {}
            out.setdefault(message.get("name", ref["$ref"].rsplit("/", 1)[-1]), []).append(op_id)
    return out


def payload_validators(document: dict[str, Any]) -> dict[str, Any]:
    """Message name -> a draft-07 `jsonschema` validator of its payload (formats checked), with the
    payload's `$ref`s resolved inside the document."""
    from jsonschema import Draft7Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT7))
    return {name: Draft7Validator({"$ref": f"{DOCUMENT_URI}#/components/messages/{_escape(message['x-component'])}"
                                           "/payload"},
                                  registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)
            for name, message in messages(document).items()}
