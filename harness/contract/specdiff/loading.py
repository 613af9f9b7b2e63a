"""Reading an OpenAPI 3.x document from disk (`load_spec`), never leaving the local files it was given.

`load_spec` parses YAML or JSON, refuses a `$ref` to a URL (http, https, ftp, file, ...) or to a file outside the
document's folder tree, a dangling or cyclic `$ref` and one to a missing file, each with one line, then validates
the document with openapi-spec-validator when it is installed. The validator reads references through
`_LocalFiles` only: the same local-file rule (`local_file`), never a network fetch.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import yaml

from harness.contract.specdiff.refs import Document, SpecError

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: Keywords whose value is data, not schema: a `$ref` inside them is a literal, never followed.
_LITERAL_KEYWORDS = frozenset({"example", "default", "const", "enum"})
#: Digests of the documents already validated (text and folder): validating the 5,000-line contract takes a second.
_VALID_DOCUMENTS: set[str] = set()


class _RefRefused(ValueError):
    """A reference that would leave the local files; the message is one line."""


def load_spec(path: Path | str) -> dict[str, Any]:
    """Read an OpenAPI 3.x document (YAML or JSON) and validate it; SpecError says in one line what is wrong."""
    path = Path(path)
    text = _read(path)
    try:
        spec = yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise SpecError(f"{path} is not YAML or JSON{where}: {getattr(exc, 'problem', None) or exc}") from None
    if not isinstance(spec, dict) or not str(spec.get("openapi", "")).startswith("3."):
        raise SpecError(f"{path} is not an OpenAPI 3.x document (no 'openapi: 3.x' field)")
    _check_references(spec, path)
    # The same text elsewhere may refer to other files: the folder is part of what was validated.
    digest = hashlib.sha256(text.encode("utf-8") + str(path.resolve().parent).encode()).hexdigest()
    if digest not in _VALID_DOCUMENTS:
        _validate(spec, path)
        _VALID_DOCUMENTS.add(digest)
    return spec


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"cannot read {path}: not UTF-8 text") from None


# --- validation ----------------------------------------------------------------------------------------------

def _validate(spec: dict[str, Any], path: Path) -> None:
    try:  # openapi-spec-validator is a test extra; without it only the structure compare() needs is checked
        from openapi_spec_validator.shortcuts import get_validator_cls
        from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
    except ImportError:
        if not isinstance(spec.get("paths", {}), dict):
            raise SpecError(f"{path} is not a valid OpenAPI document: 'paths' is not an object") from None
        return
    from jsonschema_path import SchemaPath

    try:
        validator = get_validator_cls(spec)
        # openapi_spec_validator.validate(spec) would retrieve a $ref with requests or urllib: any URL, any host.
        schema_path = SchemaPath.from_dict(spec, base_uri=path.resolve().as_uri(),
                                           handlers=_LocalFiles(path.resolve().parent))
        validator(schema_path).validate()
    except OpenAPIValidationError as exc:
        where = getattr(exc, "json_path", "") or ""
        reason = _clip(str(getattr(exc, "message", exc)).splitlines()[0])
        where = f"{where} " if where else ""
        raise SpecError(f"{path} is not a valid OpenAPI {spec['openapi']} document: {where}{reason}") from None
    except RecursionError:
        raise SpecError(f"{path}: its references nest without end (a reference cycle?)") from None
    except Exception as exc:  # noqa: BLE001 - whatever a reference to a bad file raises inside the validator
        error = _reference_error(exc, path)
        if error is None:
            raise
        raise error from None


def _reference_error(exc: Exception, path: Path) -> SpecError | None:
    """What the validator's failure to read a reference means, in one line; None for an unexpected error."""
    refused = _cause(exc, _RefRefused)
    if refused is not None:
        return SpecError(f"{path}: {refused}")
    if not isinstance(exc, (LookupError, ValueError, TypeError)):
        return None
    reason = _clip((str(exc).strip().splitlines() or [type(exc).__name__])[0])
    return SpecError(f"{path}: cannot resolve its references ({type(exc).__name__}: {reason})")


def _clip(reason: str) -> str:
    return reason if len(reason) <= 160 else reason[:157] + "..."


def _cause(exc: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


# --- references: local files only ----------------------------------------------------------------------------

def _references(node: Any, location: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(where, $ref) for every reference of a document, where as a JSON pointer."""
    if isinstance(node, Mapping):
        if isinstance(node.get("$ref"), str):
            yield "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in location), node["$ref"]
        for key, value in node.items():
            key = str(key)
            if not _is_literal(key, value, location):
                yield from _references(value, (*location, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, (*location, str(index)))


def _is_literal(key: str, value: Any, location: tuple[str, ...]) -> bool:
    """Whether the value under `key` is data (an example, a default, an extension), not part of the document."""
    return key in _LITERAL_KEYWORDS or key.startswith("x-") or (key == "examples" and isinstance(value, list)) \
        or (key == "value" and len(location) >= 2 and location[-2] == "examples")


def local_file(ref: str, base: Path, root: Path) -> Path:
    """The file a non-fragment `ref` (relative to the file `base`) names, if it is a file under `root`;
    _RefRefused otherwise. Never anything but a path on this machine: no URL is opened."""
    target = ref.partition("#")[0]
    parts = urlsplit(target)
    if parts.scheme == "file" and parts.netloc in ("", "localhost"):
        candidate = Path(url2pathname(parts.path))
    elif parts.scheme or parts.netloc or target.startswith("//"):
        raise _RefRefused(f"$ref {ref!r} is a URL: only files under {root} are read (remote references are "
                          "never fetched)")
    else:
        candidate = base.parent / url2pathname(unquote(parts.path))
    candidate = candidate.resolve()
    if not candidate.is_relative_to(root):
        raise _RefRefused(f"$ref {ref!r} names {candidate}, outside {root}: only files under the document's folder "
                          "are read")
    if not candidate.is_file():
        raise _RefRefused(f"$ref {ref!r} names a file that does not exist ({candidate})")
    return candidate


def _check_references(spec: Mapping[str, Any], path: Path) -> None:
    """Refuse, in one line, a reference that leaves the local files, names a missing file, points to nothing in
    the document, or is part of a cycle of references."""
    document = Document(spec)
    root = path.resolve().parent
    for where, ref in _references(spec):
        if ref.startswith("#"):
            _follow_local(document, ref, where, path)
            continue
        try:
            local_file(ref, path.resolve(), root)
        except _RefRefused as exc:
            raise SpecError(f"{path}: {exc} (at {where})") from None


def _follow_local(document: Document, ref: str, where: str, path: Path) -> None:
    """Follow a chain of local references to its end: SpecError for one that points to nothing, or a cycle."""
    chain = [ref]
    while True:
        try:
            node = document.lookup(chain[-1])
        except SpecError:
            raise SpecError(f"{path}: $ref {chain[-1]!r} (at {where}) points to nothing in the document") from None
        nxt = node.get("$ref") if isinstance(node, Mapping) else None
        if not isinstance(nxt, str) or not nxt.startswith("#"):
            return
        if nxt in chain:
            cycle = " -> ".join([*chain[chain.index(nxt):], nxt])
            raise SpecError(f"{path}: reference cycle {cycle} (at {where})")
        chain.append(nxt)


class _LocalFiles(Mapping[str, Any]):
    """The validator's reference handlers: one for every scheme, reading local files under `root` only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __getitem__(self, scheme: str) -> Any:
        return self._read

    def __contains__(self, scheme: object) -> bool:
        return True  # jsonschema_path falls back to requests/urllib for a scheme it has no handler for

    def __iter__(self) -> Iterator[str]:
        return iter(("file",))

    def __len__(self) -> int:
        return 1

    def _read(self, uri: str) -> Any:
        if urlsplit(uri).scheme != "file":
            raise _RefRefused(f"$ref {uri!r} is a URL: only files under {self.root} are read (remote references "
                              "are never fetched)")
        target = local_file(uri, self.root / "_", self.root)
        try:
            return yaml.load(target.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise _RefRefused(f"$ref {uri!r}: {target} cannot be read as YAML or JSON ({type(exc).__name__})") \
                from None
