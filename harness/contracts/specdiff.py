"""Classify the changes between two OpenAPI 3.x documents as breaking, warning or info, the way oasdiff does.

`diff_specs(old, new)` compares two loaded documents operation by operation and returns one `SpecChange` per
change a client could notice: operations, parameters, request bodies, responses, response headers, security and
the schemas under them (nested properties, array items, allOf merged, oneOf/anyOf branch by branch).
`compare(...)` wraps that into `SpecDiff` results (one per direction) for the renderers in `specdiff_render`.

Rule ids and levels follow oasdiff's checker (github.com/oasdiff/oasdiff, checker/rules.go and the
checker/check_*.go files that define each id). oasdiff v1.30 derives a level from the change's *effect*: a change
that narrows what a request may carry, or widens what a response may contain, breaks clients; the opposite is
safe; a change whose effect cannot be computed (a rewritten regex) is a warning. `SCHEMA_FAMILIES` and `BOUNDS`
apply that model to every schema keyword; the explicit `_rule(...)` calls below cite the oasdiff id they mirror
and say why wherever the level differs from oasdiff's.

Local references (`#/components/...`) are resolved here, lazily and with a guard against recursive schemas;
other references are refused with a `SpecError`, like an unreadable or invalid document in `load_spec`.
Reading a document never leaves the local files it was given: `load_spec` refuses a `$ref` to a URL (http, https,
ftp, file, ...) or to a file outside the document's folder tree, a dangling or cyclic `$ref` and one to a missing
file, each with one line, and the validator it runs reads references through `_LocalFiles` only.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import yaml

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
#: OpenAPI says parameters with these names are ignored (the media types and security say it instead).
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
#: A backstop for recursion that the $ref guard cannot see (inline self-similar schemas would need a cycle).
MAX_SCHEMA_DEPTH = 48


class SpecError(ValueError):
    """A document that cannot be read or compared; the message is one line."""


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


@dataclass(slots=True)
class SpecChange:
    rule_id: str
    level: Level
    operation: str  # "GET /api/v1/courses/{course_id}", as the older document spells the path
    location: str  # "responses.200.content.application/json.data.user.email"; "" for the whole operation
    message: str
    old: Any = None
    new: Any = None


@dataclass(slots=True)
class SpecDiff:
    """How `new` differs from `old`: every operation either document has, and the changes."""

    old: str
    new: str
    operations: list[str]
    changes: list[SpecChange]

    def count(self, level: Level) -> int:
        return sum(change.level is level for change in self.changes)


# --- the rules --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: Level
    summary: str
    family: str | None = None  # the schema-keyword family a generated rule belongs to (SCHEMA_FAMILIES, BOUNDS)


RULES: dict[str, Rule] = {}


def _rule(rule_id: str, level: Level, summary: str, family: str | None = None) -> str:
    RULES[rule_id] = Rule(rule_id, level, summary, family)
    return rule_id


B, W, I = Level.BREAKING, Level.WARNING, Level.INFO

# Operations and paths (oasdiff APIAddedCheck, APIRemovedCheck, APIDeprecationCheck).
ENDPOINT_ADDED = _rule("endpoint-added", I, "an operation was added")
API_REMOVED = _rule("api-removed-without-deprecation", B, "an operation was removed without being deprecated first")
API_REMOVED_DEPRECATED = _rule("api-removed-with-deprecation", I, "a deprecated operation was removed")
API_PATH_REMOVED = _rule("api-path-removed-without-deprecation", B, "a path was removed without being deprecated first")
API_PATH_REMOVED_DEPRECATED = _rule("api-path-removed-with-deprecation", I, "a deprecated path was removed")
ENDPOINT_DEPRECATED = _rule("endpoint-deprecated", I, "an operation was deprecated")
ENDPOINT_REACTIVATED = _rule("endpoint-reactivated", I, "an operation is no longer deprecated")
# oasdiff APIOperationIdUpdatedCheck reports a changed or removed operationId at INFO; here it is a warning because
# generated clients name their methods after it, so a rename breaks their builds (not the wire).
OPERATION_ID_REMOVED = _rule("api-operation-id-removed", W, "the operationId was changed or removed")
OPERATION_ID_ADDED = _rule("api-operation-id-added", I, "an operationId was added")

# Security (oasdiff APISecurityUpdatedCheck, v1.30 levels). A security list is a set of alternatives: one that
# requires nothing (`{}`, or an empty list) lets anonymous callers in.
SECURITY_ANONYMOUS_REMOVED = _rule("api-security-anonymous-access-removed", B,
                                   "a security requirement was added to an operation that anonymous callers could use")
SECURITY_ANONYMOUS_ADDED = _rule("api-security-anonymous-access-added", I,
                                 "an operation's security requirement was removed: anonymous callers may use it")
SECURITY_REMOVED = _rule("api-security-removed", B, "a way to authenticate was removed; its clients are refused")
SECURITY_ADDED = _rule("api-security-added", I, "a new way to authenticate was added")
SECURITY_SCOPE_ADDED = _rule("api-security-scope-added", B, "an authentication alternative needs another scope")
SECURITY_SCOPE_REMOVED = _rule("api-security-scope-removed", I, "an authentication alternative needs one scope less")

# Parameters (oasdiff NewRequestNonPathParameterCheck, RequestParameterRemovedCheck,
# RequestParameterRequiredValueUpdatedCheck, RequestParameterDeprecationCheck).
NEW_REQUIRED_PARAMETER = _rule("new-required-request-parameter", B, "a required parameter was added")
NEW_OPTIONAL_PARAMETER = _rule("new-optional-request-parameter", I, "an optional parameter was added")
PARAMETER_REMOVED = _rule("request-parameter-removed", W,
                          "a parameter was removed: clients still sending it may now be ignored or refused")
PARAMETER_REMOVED_DEPRECATED = _rule("request-parameter-removed-with-deprecation", I,
                                     "a deprecated parameter was removed")
PARAMETER_BECAME_REQUIRED = _rule("request-parameter-became-required", B, "an optional parameter became required")
PARAMETER_BECAME_OPTIONAL = _rule("request-parameter-became-optional", I, "a required parameter became optional")
PARAMETER_DEPRECATED = _rule("request-parameter-deprecated", I, "a parameter was deprecated")
PARAMETER_REACTIVATED = _rule("request-parameter-reactivated", I, "a parameter is no longer deprecated")

# Request bodies (oasdiff AddedRequestBodyCheck, RequestBodyRemovedCheck, RequestBodyRequiredUpdatedCheck,
# RequestBodyMediaTypeChangedCheck).
BODY_ADDED_REQUIRED = _rule("request-body-added-required", B, "a required request body was added")
BODY_ADDED_OPTIONAL = _rule("request-body-added-optional", I, "an optional request body was added")
BODY_REMOVED = _rule("request-body-removed", B, "the request body was removed")
BODY_BECAME_REQUIRED = _rule("request-body-became-required", B, "the request body became required")
BODY_BECAME_OPTIONAL = _rule("request-body-became-optional", I, "the request body became optional")
BODY_MEDIA_TYPE_REMOVED = _rule("request-body-media-type-removed", B, "a request media type is no longer accepted")
BODY_MEDIA_TYPE_ADDED = _rule("request-body-media-type-added", I, "a request media type was added")

# Request properties (oasdiff RequestPropertyUpdatedCheck, RequestPropertyRequiredUpdatedCheck).
REQUEST_PROPERTY_REMOVED = _rule("request-property-removed", W,
                                 "a request property was removed: clients still sending it may be ignored or refused")
NEW_REQUIRED_PROPERTY = _rule("new-required-request-property", B, "a required request property was added")
NEW_REQUIRED_PROPERTY_WITH_DEFAULT = _rule("new-required-request-property-with-default", I,
                                           "a required request property with a default was added")
NEW_OPTIONAL_PROPERTY = _rule("new-optional-request-property", I, "an optional request property was added")
REQUEST_PROPERTY_BECAME_REQUIRED = _rule("request-property-became-required", B, "a request property became required")
REQUEST_PROPERTY_BECAME_OPTIONAL = _rule("request-property-became-optional", I, "a request property became optional")

# Responses (oasdiff ResponseSuccessStatusUpdatedCheck, ResponseNonSuccessStatusUpdatedCheck,
# ResponseMediaTypeUpdatedCheck, ResponseHeaderRemovedCheck, ResponseHeaderBecameOptionalCheck).
SUCCESS_STATUS_REMOVED = _rule("response-success-status-removed", B, "a success status is no longer returned")
SUCCESS_STATUS_ADDED = _rule("response-success-status-added", I, "a success status was added")
NON_SUCCESS_STATUS_REMOVED = _rule("response-non-success-status-removed", I, "an error status is no longer documented")
NON_SUCCESS_STATUS_ADDED = _rule("response-non-success-status-added", I, "an error status was added")
RESPONSE_MEDIA_TYPE_REMOVED = _rule("response-media-type-removed", B, "a response media type is no longer returned")
RESPONSE_MEDIA_TYPE_ADDED = _rule("response-media-type-added", I, "a response media type was added")
REQUIRED_HEADER_REMOVED = _rule("required-response-header-removed", B, "a required response header was removed")
OPTIONAL_HEADER_REMOVED = _rule("optional-response-header-removed", I, "an optional response header was removed")
HEADER_BECAME_OPTIONAL = _rule("response-header-became-optional", B, "a required response header became optional")

# Response properties (oasdiff ResponseRequiredPropertyUpdatedCheck, ResponseOptionalPropertyUpdatedCheck,
# ResponsePropertyBecameOptionalCheck, ResponsePropertyBecameRequiredCheck).
RESPONSE_REQUIRED_PROPERTY_REMOVED = _rule("response-required-property-removed", B,
                                           "a required response property was removed")
# oasdiff v1.30 lowered this to INFO; a warning (its earlier level) keeps a parity run from hiding a field one
# app sends and the other does not.
RESPONSE_OPTIONAL_PROPERTY_REMOVED = _rule("response-optional-property-removed", W,
                                           "an optional response property was removed")
RESPONSE_REQUIRED_PROPERTY_ADDED = _rule("response-required-property-added", I,
                                         "a required response property was added")
RESPONSE_OPTIONAL_PROPERTY_ADDED = _rule("response-optional-property-added", I,
                                         "an optional response property was added")
RESPONSE_PROPERTY_BECAME_OPTIONAL = _rule("response-property-became-optional", B,
                                          "a required response property became optional")
RESPONSE_PROPERTY_BECAME_REQUIRED = _rule("response-property-became-required", I,
                                          "an optional response property became required")


class Effect(Enum):
    """What a schema change does to the set of values the schema allows."""

    NARROWS = "narrows"
    WIDENS = "widens"
    UNKNOWN = "unknown"  # cannot be computed: a regex rewritten
    INCOMPARABLE = "incomparable"  # neither: an integer became a string


#: Schema-keyword families; each becomes one rule per schema position (SCHEMA_PREFIXES), e.g.
#: "request-property-enum-value-removed", named as oasdiff names them.
SCHEMA_FAMILIES: dict[str, tuple[Effect, str]] = {
    "type-changed": (Effect.INCOMPARABLE, "the type changed"),
    "type-generalized": (Effect.WIDENS, "the type or format was generalized"),
    "type-specialized": (Effect.NARROWS, "the type or format was specialized"),
    "became-nullable": (Effect.WIDENS, "null became allowed"),
    "became-not-nullable": (Effect.NARROWS, "null is no longer allowed"),
    "enum-value-added": (Effect.WIDENS, "an enum value was added"),
    "enum-value-removed": (Effect.NARROWS, "an enum value was removed"),
    "became-enum": (Effect.NARROWS, "the values became an enum"),
    "became-not-enum": (Effect.WIDENS, "the values are no longer an enum"),
    "pattern-added": (Effect.NARROWS, "a pattern was added"),
    "pattern-removed": (Effect.WIDENS, "the pattern was removed"),
    "pattern-changed": (Effect.UNKNOWN, "the pattern changed"),
    "one-of-added": (Effect.WIDENS, "a oneOf branch was added"),
    "one-of-removed": (Effect.NARROWS, "a oneOf branch was removed"),
    "any-of-added": (Effect.WIDENS, "an anyOf branch was added"),
    "any-of-removed": (Effect.NARROWS, "an anyOf branch was removed"),
}
#: Numeric bounds: keyword -> (rule name, whether a lower value is the tighter one).
BOUNDS: dict[str, tuple[str, bool]] = {
    "maxLength": ("max-length", True),
    "minLength": ("min-length", False),
    "maximum": ("max", True),
    "minimum": ("min", False),
    "exclusiveMaximum": ("exclusive-max", True),
    "exclusiveMinimum": ("exclusive-min", False),
    "maxItems": ("max-items", True),
    "minItems": ("min-items", False),
}
BOUND_EVENTS = ("set", "unset", "increased", "decreased")
#: Where a schema sits: the parameter's own schema, a body's root schema, or a property below one.
SCHEMA_PREFIXES = {
    "request-parameter": "request",
    "request-body": "request",
    "request-property": "request",
    "response-body": "response",
    "response-property": "response",
}
#: Levels that differ from the effect model. oasdiff v1.30 made a new response enum value an error; the warning it
#: was before fits clients that are told to tolerate unknown values, and keeps such additions from failing a gate.
_LEVEL_OVERRIDES = {("response", "enum-value-added"): W, ("response", "became-not-enum"): W}


def _bound_effect(lower_is_tighter: bool, event: str) -> Effect:
    if event == "set":
        return Effect.NARROWS
    if event == "unset":
        return Effect.WIDENS
    return Effect.NARROWS if (event == "decreased") == lower_is_tighter else Effect.WIDENS


def _level(direction: str, effect: Effect, family: str) -> Level:
    if (direction, family) in _LEVEL_OVERRIDES:
        return _LEVEL_OVERRIDES[direction, family]
    if effect is Effect.UNKNOWN:
        return W
    if effect is Effect.INCOMPARABLE:
        return B
    harmful = Effect.NARROWS if direction == "request" else Effect.WIDENS
    return B if effect is harmful else I


def _register_schema_rules() -> None:
    for prefix, direction in SCHEMA_PREFIXES.items():
        for family, (effect, summary) in SCHEMA_FAMILIES.items():
            _rule(f"{prefix}-{family}", _level(direction, effect, family), summary, family)
        for keyword, (name, lower_is_tighter) in BOUNDS.items():
            for event in BOUND_EVENTS:
                family = f"{name}-{event}"
                _rule(f"{prefix}-{family}", _level(direction, _bound_effect(lower_is_tighter, event), family),
                      f"{keyword} {event}", family)


_register_schema_rules()


# --- reading documents -------------------------------------------------------------------------------------

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(path: Path | str) -> dict[str, Any]:
    """Read an OpenAPI 3.x document (YAML or JSON) and validate it; SpecError says in one line what is wrong."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"cannot read {path}: not UTF-8 text") from None
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
    if digest not in _VALID_DOCUMENTS:  # validating the 5,000-line contract takes about a second
        _validate(spec, path)
        _VALID_DOCUMENTS.add(digest)
    return spec


_VALID_DOCUMENTS: set[str] = set()


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
        reason = str(getattr(exc, "message", exc)).splitlines()[0]
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        where = f"{where} " if where else ""
        raise SpecError(f"{path} is not a valid OpenAPI {spec['openapi']} document: {where}{reason}") from None
    except RecursionError:
        raise SpecError(f"{path}: its references nest without end (a reference cycle?)") from None
    except Exception as exc:  # noqa: BLE001 - whatever a reference to a bad file raises inside the validator
        refused = _cause(exc, _RefRefused)
        if refused is not None:
            raise SpecError(f"{path}: {refused}") from None
        if not isinstance(exc, (LookupError, ValueError, TypeError)):
            raise
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        raise SpecError(f"{path}: cannot resolve its references ({type(exc).__name__}: {reason})") from None


# --- references: local files only ----------------------------------------------------------------------------

#: Keywords whose value is data, not schema: a `$ref` inside them is a literal, never followed.
_LITERAL_KEYWORDS = frozenset({"example", "default", "const", "enum"})


class _RefRefused(ValueError):
    """A reference that would leave the local files; the message is one line."""


def _references(node: Any, location: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """(where, $ref) for every reference of a document, where as a JSON pointer."""
    if isinstance(node, Mapping):
        if isinstance(node.get("$ref"), str):
            yield "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in location), node["$ref"]
        for key, value in node.items():
            key = str(key)
            literal = key in _LITERAL_KEYWORDS or key.startswith("x-") or (key == "examples" and isinstance(value, list)) \
                or (key == "value" and len(location) >= 2 and location[-2] == "examples")
            if not literal:
                yield from _references(value, (*location, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, (*location, str(index)))


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
    document = _Document(spec)
    root = path.resolve().parent
    for where, ref in _references(spec):
        if not ref.startswith("#"):
            try:
                local_file(ref, path.resolve(), root)
            except _RefRefused as exc:
                raise SpecError(f"{path}: {exc} (at {where})") from None
            continue
        chain = [ref]
        while True:
            try:
                node = document.lookup(chain[-1])
            except SpecError:
                raise SpecError(f"{path}: $ref {chain[-1]!r} (at {where}) points to nothing in the document") from None
            nxt = node.get("$ref") if isinstance(node, Mapping) else None
            if not isinstance(nxt, str) or not nxt.startswith("#"):
                break
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


def _cause(exc: BaseException | None, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


class _Document:
    """One OpenAPI document: local $ref resolution and allOf merging."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec

    def lookup(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SpecError(f"only local references can be compared, not {ref!r}")
        node: Any = self.spec
        for token in ref[1:].split("/")[1:]:
            token = unquote(token).replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise SpecError(f"unresolvable reference {ref!r}") from None
        return node

    def resolve(self, node: Any) -> tuple[Any, tuple[str, ...]]:
        """What `node` stands for after its $ref chain, and the references followed on the way."""
        refs: list[str] = []
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in refs:
                raise SpecError(f"reference cycle through {ref!r}")
            refs.append(ref)
            target = self.lookup(ref)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            # OpenAPI 3.1 lets a $ref carry sibling keywords; they apply on top of the target.
            node = {**target, **siblings} if siblings and isinstance(target, Mapping) else target
        return node, tuple(refs)

    def schema(self, node: Any, depth: int = 0) -> dict[str, Any]:
        """A resolved schema with its allOf members merged in (all of them apply, so their keywords add up)."""
        node, _ = self.resolve(node)
        if node is True or node is None:
            return {}
        if node is False:
            return {"not": {}}
        if not isinstance(node, Mapping):
            raise SpecError(f"a schema is not an object: {node!r}")
        if "allOf" not in node:
            return dict(node)
        if depth > MAX_SCHEMA_DEPTH:
            raise SpecError("allOf nested too deeply (a reference cycle?)")
        merged: dict[str, Any] = {}
        for member in node["allOf"]:
            merged = _merge(merged, self.schema(member, depth + 1))
        return _merge(merged, {k: v for k, v in node.items() if k != "allOf"})

    def is_null(self, node: Any) -> bool:
        """Whether `node` allows null and nothing else (`{type: 'null'}`): the 3.1 spelling of nullable."""
        schema, _ = self.resolve(node)
        if not isinstance(schema, Mapping):
            return False
        kind = schema.get("type")
        return kind == "null" or kind == ["null"] or ("const" in schema and schema["const"] is None)


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if key == "properties" and isinstance(merged.get(key), Mapping):
            properties = dict(merged[key])
            for name, schema in value.items():
                # The same property in two members must satisfy both: keep both, merged when it is walked.
                properties[name] = {"allOf": [properties[name], schema]} if name in properties else schema
            merged[key] = properties
        elif key == "required" and key in merged:
            merged[key] = list(dict.fromkeys([*merged[key], *value]))
        else:
            merged[key] = value
    return merged


# --- schema facts --------------------------------------------------------------------------------------------

def _types(schema: Mapping[str, Any]) -> frozenset[str] | None:
    """The non-null types a schema allows, or None for any type (null is the nullable rules' business)."""
    kind = schema.get("type")
    if kind is None:
        return None
    return frozenset([kind] if isinstance(kind, str) else kind) - {"null"}


def _nullable(doc: _Document, schema: Mapping[str, Any]) -> bool:
    kind = schema.get("type")
    if schema.get("nullable") is True or kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(doc.is_null(branch) for keyword in ("oneOf", "anyOf") for branch in schema.get(keyword, ()))


def _covers(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    return all(kind in wide or (kind == "integer" and "number" in wide) for kind in narrow)


def _type_family(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    old_types, new_types = _types(old), _types(new)
    old_format, new_format = old.get("format"), new.get("format")
    if old_types == new_types:
        if old_format == new_format:
            return None
        if new_format is None:
            return "type-generalized"
        return "type-specialized" if old_format is None else "type-changed"
    if old_types is None or (new_types is not None and _covers(old_types, new_types)):
        return "type-specialized"
    if new_types is None or _covers(new_types, old_types):
        return "type-generalized"
    return "type-changed"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)  # 1 and True differ, dicts compare by content


def _allowed_values(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    """The enum (a const is a one-value enum) without null, keyed by canonical JSON; None when unrestricted."""
    if "enum" in schema:
        values = schema["enum"] or []
    elif "const" in schema:
        values = [schema["const"]]
    else:
        return None
    return {_canonical(value): value for value in values if value is not None}


def _unwrap(doc: _Document, schema: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`anyOf: [X, {type: 'null'}]` is X made nullable: compare X itself, so both spellings compare equal."""
    for keyword in ("oneOf", "anyOf"):
        branches = schema.get(keyword)
        if not branches:
            continue
        rest = [branch for branch in branches if not doc.is_null(branch)]
        if len(rest) == 1 and len(rest) < len(branches):
            _, refs = doc.resolve(rest[0])
            outer = {k: v for k, v in schema.items() if k != keyword}
            return _merge(doc.schema(rest[0]), outer), refs
    return schema, ()


def _branches(doc: _Document, schema: Mapping[str, Any], keyword: str) -> dict[str, Any]:
    """oneOf/anyOf branches keyed by the component they name (else their position), null branches left out."""
    keyed: dict[str, Any] = {}
    for index, branch in enumerate(schema.get(keyword, ())):
        if doc.is_null(branch):
            continue
        ref = branch.get("$ref") if isinstance(branch, Mapping) else None
        keyed[ref.rsplit("/", 1)[-1] if isinstance(ref, str) else str(index)] = branch
    return keyed


# --- comparing one operation --------------------------------------------------------------------------------

class _OperationDiff:
    """The changes inside one operation both documents have."""

    def __init__(self, old: _Document, new: _Document, operation: str, out: list[SpecChange]) -> None:
        self.old, self.new, self.operation, self.out = old, new, operation, out

    def emit(self, rule_id: str, location: str, message: str, old: Any = None, new: Any = None) -> None:
        self.out.append(SpecChange(rule_id, RULES[rule_id].level, self.operation, location, message, old, new))

    def run(self, old_path: str, old_item: Mapping, old_op: Mapping, new_path: str, new_item: Mapping,
            new_op: Mapping) -> None:
        self.metadata(old_op, new_op)
        self.security(old_op, new_op)
        self.parameters(_parameters(self.old, old_path, old_item, old_op),
                        _parameters(self.new, new_path, new_item, new_op))
        self.request_body(old_op.get("requestBody"), new_op.get("requestBody"))
        self.responses(old_op.get("responses") or {}, new_op.get("responses") or {})

    # -- the operation itself --

    def metadata(self, old_op: Mapping, new_op: Mapping) -> None:
        old_deprecated, new_deprecated = bool(old_op.get("deprecated")), bool(new_op.get("deprecated"))
        if new_deprecated and not old_deprecated:
            self.emit(ENDPOINT_DEPRECATED, "deprecated", "the operation was deprecated", False, True)
        elif old_deprecated and not new_deprecated:
            self.emit(ENDPOINT_REACTIVATED, "deprecated", "the operation is no longer deprecated", True, False)
        old_id, new_id = old_op.get("operationId"), new_op.get("operationId")
        if old_id and old_id != new_id:
            what = f"changed from {old_id!r} to {new_id!r}" if new_id else f"{old_id!r} was removed"
            self.emit(OPERATION_ID_REMOVED, "operationId", f"operationId {what}", old_id, new_id)
        elif new_id and not old_id:
            self.emit(OPERATION_ID_ADDED, "operationId", f"operationId {new_id!r} was added", None, new_id)

    def security(self, old_op: Mapping, new_op: Mapping) -> None:
        old_list = _security(self.old.spec, old_op)
        new_list = _security(self.new.spec, new_op)
        old_anonymous, new_anonymous = _anonymous(old_list), _anonymous(new_list)
        old_alternatives = {frozenset(r): r for r in old_list if r}
        new_alternatives = {frozenset(r): r for r in new_list if r}
        if old_anonymous and not new_anonymous:
            self.emit(SECURITY_ANONYMOUS_REMOVED, "security",
                      f"anonymous callers are now refused: it requires {_alternatives(new_list)}", old_list, new_list)
        elif new_anonymous and not old_anonymous:
            self.emit(SECURITY_ANONYMOUS_ADDED, "security", "anonymous callers may now use the operation",
                      old_list, new_list)
        for key, requirement in new_alternatives.items():
            # When nothing but anonymous access came before, the anonymous-access rule above already says it.
            if key not in old_alternatives and old_alternatives:
                self.emit(SECURITY_ADDED, "security", f"{_alternatives([requirement])} was added as a way to "
                          "authenticate", None, requirement)
        for key, requirement in old_alternatives.items():
            if key not in new_alternatives and not new_anonymous:
                self.emit(SECURITY_REMOVED, "security", f"{_alternatives([requirement])} is no longer accepted",
                          requirement, None)
        for key in old_alternatives.keys() & new_alternatives.keys():
            for scheme in sorted(key):
                old_scopes = set(old_alternatives[key][scheme] or ())
                new_scopes = set(new_alternatives[key][scheme] or ())
                location = f"security.{scheme}"
                for scope in sorted(new_scopes - old_scopes):
                    if not new_anonymous:
                        self.emit(SECURITY_SCOPE_ADDED, location, f"{scheme} now also needs scope {scope!r}",
                                  None, scope)
                for scope in sorted(old_scopes - new_scopes):
                    self.emit(SECURITY_SCOPE_REMOVED, location, f"{scheme} no longer needs scope {scope!r}",
                              scope, None)

    # -- parameters --

    def parameters(self, old_params: dict[tuple, dict], new_params: dict[tuple, dict]) -> None:
        for key, old_param in old_params.items():
            location = f"parameters.{old_param.get('in')}.{old_param.get('name')}"
            name = f"{old_param.get('in')} parameter {old_param.get('name')!r}"
            new_param = new_params.get(key)
            if new_param is None:
                rule = PARAMETER_REMOVED_DEPRECATED if old_param.get("deprecated") else PARAMETER_REMOVED
                self.emit(rule, location, f"the {name} was removed", old_param.get("name"), None)
                continue
            old_required, new_required = _required(old_param), _required(new_param)
            if new_required and not old_required:
                self.emit(PARAMETER_BECAME_REQUIRED, location, f"the {name} became required", False, True)
            elif old_required and not new_required:
                self.emit(PARAMETER_BECAME_OPTIONAL, location, f"the {name} became optional", True, False)
            if new_param.get("deprecated") and not old_param.get("deprecated"):
                self.emit(PARAMETER_DEPRECATED, location, f"the {name} was deprecated", False, True)
            elif old_param.get("deprecated") and not new_param.get("deprecated"):
                self.emit(PARAMETER_REACTIVATED, location, f"the {name} is no longer deprecated", True, False)
            _SchemaDiff(self, "request").compare(_parameter_schema(old_param), _parameter_schema(new_param),
                                                 location, "request-parameter")
        for key, new_param in new_params.items():
            if key in old_params:
                continue
            location = f"parameters.{new_param.get('in')}.{new_param.get('name')}"
            name = f"{new_param.get('in')} parameter {new_param.get('name')!r}"
            if _required(new_param):
                self.emit(NEW_REQUIRED_PARAMETER, location, f"a required {name} was added", None, new_param.get("name"))
            else:
                self.emit(NEW_OPTIONAL_PARAMETER, location, f"an optional {name} was added", None,
                          new_param.get("name"))

    # -- request body --

    def request_body(self, old_raw: Any, new_raw: Any) -> None:
        old_body = self.old.resolve(old_raw)[0] if old_raw is not None else None
        new_body = self.new.resolve(new_raw)[0] if new_raw is not None else None
        if old_body is None and new_body is None:
            return
        if old_body is None:
            if new_body.get("required"):
                self.emit(BODY_ADDED_REQUIRED, "requestBody", "a required request body was added", None, True)
            else:
                self.emit(BODY_ADDED_OPTIONAL, "requestBody", "an optional request body was added", None, False)
            return
        if new_body is None:
            self.emit(BODY_REMOVED, "requestBody", "the request body was removed", bool(old_body.get("required")), None)
            return
        old_required, new_required = bool(old_body.get("required")), bool(new_body.get("required"))
        if new_required and not old_required:
            self.emit(BODY_BECAME_REQUIRED, "requestBody", "the request body became required", False, True)
        elif old_required and not new_required:
            self.emit(BODY_BECAME_OPTIONAL, "requestBody", "the request body became optional", True, False)
        self.content(old_body.get("content") or {}, new_body.get("content") or {}, "requestBody", "request",
                     BODY_MEDIA_TYPE_REMOVED, BODY_MEDIA_TYPE_ADDED)

    def content(self, old_content: Mapping, new_content: Mapping, base: str, direction: str, removed_rule: str,
                added_rule: str) -> None:
        for media_type, old_media in old_content.items():
            location = f"{base}.content.{media_type}"
            if media_type not in new_content:
                self.emit(removed_rule, location, f"media type {media_type} was removed", media_type, None)
                continue
            old_schema = (old_media or {}).get("schema")
            new_schema = (new_content[media_type] or {}).get("schema")
            if old_schema is not None and new_schema is not None:
                _SchemaDiff(self, direction).compare(old_schema, new_schema, location, f"{direction}-body")
        for media_type in new_content.keys() - old_content.keys():
            self.emit(added_rule, f"{base}.content.{media_type}", f"media type {media_type} was added", None,
                      media_type)

    # -- responses --

    def responses(self, old_responses: Mapping, new_responses: Mapping) -> None:
        old_by_status = {str(status).upper(): raw for status, raw in old_responses.items()}
        new_by_status = {str(status).upper(): raw for status, raw in new_responses.items()}
        for status, old_raw in old_by_status.items():
            location = f"responses.{status}"
            if status not in new_by_status:
                rule = SUCCESS_STATUS_REMOVED if status.startswith("2") else NON_SUCCESS_STATUS_REMOVED
                self.emit(rule, location, f"status {status} is no longer returned", status, None)
                continue
            old_response = self.old.resolve(old_raw)[0] or {}
            new_response = self.new.resolve(new_by_status[status])[0] or {}
            self.headers(old_response.get("headers") or {}, new_response.get("headers") or {}, location)
            self.content(old_response.get("content") or {}, new_response.get("content") or {}, location, "response",
                         RESPONSE_MEDIA_TYPE_REMOVED, RESPONSE_MEDIA_TYPE_ADDED)
        for status in new_by_status.keys() - old_by_status.keys():
            rule = SUCCESS_STATUS_ADDED if status.startswith("2") else NON_SUCCESS_STATUS_ADDED
            self.emit(rule, f"responses.{status}", f"status {status} was added", None, status)

    def headers(self, old_headers: Mapping, new_headers: Mapping, base: str) -> None:
        new_by_name = {name.lower(): raw for name, raw in new_headers.items()}
        for name, old_raw in old_headers.items():
            old_header = self.old.resolve(old_raw)[0] or {}
            location = f"{base}.headers.{name}"
            if name.lower() not in new_by_name:
                rule = REQUIRED_HEADER_REMOVED if old_header.get("required") else OPTIONAL_HEADER_REMOVED
                self.emit(rule, location, f"header {name} is no longer sent", name, None)
                continue
            new_header = self.new.resolve(new_by_name[name.lower()])[0] or {}
            if old_header.get("required") and not new_header.get("required"):
                self.emit(HEADER_BECAME_OPTIONAL, location, f"header {name} is no longer always sent", True, False)


class _SchemaDiff:
    """Compares two schemas at one position of an operation, in one direction (request or response)."""

    def __init__(self, operation: _OperationDiff, direction: str) -> None:
        self.operation, self.direction = operation, direction
        self.old, self.new = operation.old, operation.new

    def compare(self, old_node: Any, new_node: Any, location: str, prefix: str,
                seen: frozenset[tuple[tuple[str, ...], tuple[str, ...]]] = frozenset(), depth: int = 0) -> None:
        old_schema, old_refs = self.old.resolve(old_node)
        new_schema, new_refs = self.new.resolve(new_node)
        old_schema, new_schema = self.old.schema(old_schema), self.new.schema(new_schema)
        old_nullable, new_nullable = _nullable(self.old, old_schema), _nullable(self.new, new_schema)
        old_schema, old_inner = _unwrap(self.old, old_schema)
        new_schema, new_inner = _unwrap(self.new, new_schema)
        identity = (old_refs + old_inner, new_refs + new_inner)
        if (identity[0] or identity[1]) and identity in seen:
            return  # a recursive schema: this pair is already being compared further up
        if depth > MAX_SCHEMA_DEPTH:
            return
        seen = seen | {identity}
        emit = self._emitter(location, prefix)

        family = _type_family(old_schema, new_schema)
        if family:
            emit(family, _type_message(old_schema, new_schema), _type_value(old_schema), _type_value(new_schema))
        if new_nullable and not old_nullable:
            emit("became-nullable", "null became allowed", False, True)
        elif old_nullable and not new_nullable:
            emit("became-not-nullable", "null is no longer allowed", True, False)
        self._values(emit, _allowed_values(old_schema), _allowed_values(new_schema))
        self._pattern(emit, old_schema.get("pattern"), new_schema.get("pattern"))
        self._bounds(emit, old_schema, new_schema)

        nested = prefix if prefix == "request-parameter" else f"{self.direction}-property"
        self._properties(old_schema, new_schema, location, nested, seen, depth)
        for keyword, suffix in (("items", "[]"), ("additionalProperties", ".*")):
            old_sub, new_sub = old_schema.get(keyword), new_schema.get(keyword)
            if isinstance(old_sub, Mapping) and isinstance(new_sub, Mapping):
                self.compare(old_sub, new_sub, f"{location}{suffix}", nested, seen, depth + 1)
        for keyword, family in (("oneOf", "one-of"), ("anyOf", "any-of")):
            old_branches = _branches(self.old, old_schema, keyword)
            new_branches = _branches(self.new, new_schema, keyword)
            for key in old_branches.keys() - new_branches.keys():
                emit(f"{family}-removed", f"{keyword} branch {key} was removed", key, None)
            for key in new_branches.keys() - old_branches.keys():
                emit(f"{family}-added", f"{keyword} branch {key} was added", None, key)
            for key in old_branches.keys() & new_branches.keys():
                self.compare(old_branches[key], new_branches[key], f"{location}.{keyword}[{key}]", prefix, seen,
                             depth + 1)

    def _emitter(self, location: str, prefix: str):
        name = "body" if prefix.endswith("-body") else location.rsplit(".", 1)[-1]

        def emit(family: str, message: str, old: Any = None, new: Any = None) -> None:
            self.operation.emit(f"{prefix}-{family}", location, f"{name}: {message}", old, new)

        return emit

    @staticmethod
    def _values(emit, old_values: dict[str, Any] | None, new_values: dict[str, Any] | None) -> None:
        if old_values is None and new_values is None:
            return
        if old_values is None:
            emit("became-enum", f"values restricted to {_short(list(new_values.values()))}", None,
                 list(new_values.values()))
        elif new_values is None:
            emit("became-not-enum", "values are no longer restricted to an enum", list(old_values.values()), None)
        else:
            for key in old_values.keys() - new_values.keys():
                emit("enum-value-removed", f"value {key} was removed", old_values[key], None)
            for key in new_values.keys() - old_values.keys():
                emit("enum-value-added", f"value {key} was added", None, new_values[key])

    @staticmethod
    def _pattern(emit, old: str | None, new: str | None) -> None:
        if old == new:
            return
        if old is None:
            emit("pattern-added", f"pattern {_short(new)} was added", None, new)
        elif new is None:
            emit("pattern-removed", f"pattern {_short(old)} was removed", old, None)
        else:
            emit("pattern-changed", f"pattern changed from {_short(old)} to {_short(new)}", old, new)

    @staticmethod
    def _bounds(emit, old_schema: Mapping, new_schema: Mapping) -> None:
        for keyword, (name, _) in BOUNDS.items():
            old, new = old_schema.get(keyword), new_schema.get(keyword)
            # OpenAPI 3.0's boolean exclusiveMaximum/-Minimum only qualify maximum/minimum.
            old = None if isinstance(old, bool) else old
            new = None if isinstance(new, bool) else new
            if old == new:
                continue
            if old is None:
                emit(f"{name}-set", f"{keyword} {new} was set", None, new)
            elif new is None:
                emit(f"{name}-unset", f"{keyword} {old} was removed", old, None)
            else:
                event = "increased" if new > old else "decreased"
                emit(f"{name}-{event}", f"{keyword} {event} from {old} to {new}", old, new)

    def _properties(self, old_schema: Mapping, new_schema: Mapping, location: str, nested: str,
                    seen: frozenset, depth: int) -> None:
        old_properties = old_schema.get("properties") or {}
        new_properties = new_schema.get("properties") or {}
        if not old_properties and not new_properties:
            return
        old_required = set(old_schema.get("required") or ())
        new_required = set(new_schema.get("required") or ())
        emit = self.operation.emit
        request = self.direction == "request"
        for name, old_property in old_properties.items():
            where = f"{location}.{name}"
            if name not in new_properties:
                if request:
                    emit(REQUEST_PROPERTY_REMOVED, where, f"request property {name} was removed", name, None)
                elif name in old_required:
                    emit(RESPONSE_REQUIRED_PROPERTY_REMOVED, where, f"required response property {name} was removed",
                         name, None)
                else:
                    emit(RESPONSE_OPTIONAL_PROPERTY_REMOVED, where, f"optional response property {name} was removed",
                         name, None)
                continue
            if name in new_required and name not in old_required:
                rule = REQUEST_PROPERTY_BECAME_REQUIRED if request else RESPONSE_PROPERTY_BECAME_REQUIRED
                emit(rule, where, f"{name} became required", False, True)
            elif name in old_required and name not in new_required:
                rule = REQUEST_PROPERTY_BECAME_OPTIONAL if request else RESPONSE_PROPERTY_BECAME_OPTIONAL
                emit(rule, where, f"{name} became optional", True, False)
            self.compare(old_property, new_properties[name], where, nested, seen, depth + 1)
        for name, new_property in new_properties.items():
            if name in old_properties:
                continue
            where = f"{location}.{name}"
            required = name in new_required
            if request and required:
                has_default = "default" in self.new.schema(new_property)
                rule = NEW_REQUIRED_PROPERTY_WITH_DEFAULT if has_default else NEW_REQUIRED_PROPERTY
                emit(rule, where, f"required request property {name} was added", None, name)
            elif request:
                emit(NEW_OPTIONAL_PROPERTY, where, f"optional request property {name} was added", None, name)
            else:
                rule = RESPONSE_REQUIRED_PROPERTY_ADDED if required else RESPONSE_OPTIONAL_PROPERTY_ADDED
                emit(rule, where, f"{'required' if required else 'optional'} response property {name} was added",
                     None, name)


def _type_value(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {key: schema[key] for key in ("type", "format") if key in schema}


def _type_message(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    old_types, new_types = _types(old), _types(new)
    if old_types == new_types:
        old_format, new_format = old.get("format"), new.get("format")
        if old_format is None:
            return f"format {new_format} was set"
        return f"format {old_format} was removed" if new_format is None else \
            f"format changed from {old_format} to {new_format}"

    def text(types: frozenset[str] | None, schema: Mapping[str, Any]) -> str:
        name = "any type" if types is None else "|".join(sorted(types)) or "null"
        return f"{name} ({schema['format']})" if schema.get("format") else name

    return f"type changed from {text(old_types, old)} to {text(new_types, new)}"


def _short(value: Any, limit: int = 48) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _required(parameter: Mapping[str, Any]) -> bool:
    return bool(parameter.get("required")) or parameter.get("in") == "path"


def _parameter_schema(parameter: Mapping[str, Any]) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    for media in (parameter.get("content") or {}).values():
        return (media or {}).get("schema", {})
    return {}


def _parameters(doc: _Document, path: str, path_item: Mapping, operation: Mapping) -> dict[tuple, dict]:
    """The operation's parameters (path-level ones overridden by its own), keyed so that a renamed path parameter
    in the same position still matches and header names compare case-insensitively."""
    declared: dict[tuple[str, str], dict] = {}
    for raw in [*(path_item.get("parameters") or ()), *(operation.get("parameters") or ())]:
        parameter, _ = doc.resolve(raw)
        if not isinstance(parameter, Mapping):
            continue
        where, name = str(parameter.get("in")), str(parameter.get("name"))
        if where == "header" and name.lower() in IGNORED_HEADERS:
            continue
        declared[where, name] = dict(parameter)
    template = re.findall(r"\{([^}/]+)\}", path)
    keyed: dict[tuple, dict] = {}
    for (where, name), parameter in declared.items():
        if where == "path" and name in template:
            keyed["path", template.index(name)] = parameter
        elif where == "header":
            keyed["header", name.lower()] = parameter
        else:
            keyed[where, name] = parameter
    return keyed


def _security(spec: Mapping[str, Any], operation: Mapping[str, Any]) -> list[dict[str, list]]:
    requirements = operation["security"] if "security" in operation else spec.get("security")
    return [dict(requirement or {}) for requirement in requirements or ()]


def _anonymous(requirements: list[dict[str, list]]) -> bool:
    return not requirements or any(not requirement for requirement in requirements)


def _alternatives(requirements: list[dict[str, list]]) -> str:
    described = [" + ".join(sorted(r)) for r in requirements if r]
    return " or ".join(described) or "nothing"


# --- whole documents ------------------------------------------------------------------------------------------

def _path_key(path: str) -> str:
    return re.sub(r"\{[^}/]+\}", "{}", path)  # /courses/{id} and /courses/{course_id} are the same route


def _paths(doc: _Document) -> dict[str, tuple[str, Mapping]]:
    paths = doc.spec.get("paths") or {}
    if not isinstance(paths, Mapping):
        raise SpecError("'paths' is not an object")
    keyed: dict[str, tuple[str, Mapping]] = {}
    for path, raw in paths.items():
        item, _ = doc.resolve(raw)
        keyed.setdefault(_path_key(str(path)), (str(path), item or {}))
    return keyed


def _operations(item: Mapping) -> Iterator[tuple[str, Mapping]]:
    for method in HTTP_METHODS:
        if isinstance(item.get(method), Mapping):
            yield method, item[method]


def _refs_in(node: Any) -> set[str]:
    refs: set[str] = set()
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("$ref"), str):
                refs.add(unquote(node["$ref"]))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return refs


def _changed_components(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    """The references (`#/components/schemas/User`) whose target differs, directly or through what it refers to."""
    old_components, new_components = old.get("components") or {}, new.get("components") or {}
    changed: set[str] = set()
    refers_to: dict[str, set[str]] = {}
    for kind in old_components.keys() | new_components.keys():
        old_kind, new_kind = old_components.get(kind) or {}, new_components.get(kind) or {}
        for name in old_kind.keys() | new_kind.keys():
            ref = f"#/components/{kind}/{str(name).replace('~', '~0').replace('/', '~1')}"
            if old_kind.get(name) != new_kind.get(name):
                changed.add(ref)
            refers_to[ref] = _refs_in(old_kind.get(name)) | _refs_in(new_kind.get(name))
    growing = True
    while growing:
        spread = {ref for ref, targets in refers_to.items() if ref not in changed and targets & changed}
        changed |= spread
        growing = bool(spread)
    # A reference elsewhere than components/ is not tracked; treat it as changed to stay on the safe side.
    return changed | {ref for targets in refers_to.values() for ref in targets if not ref.startswith("#/components/")}


def diff_specs(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[SpecChange]:
    """Every change from `old` to `new` a client could notice, in the older document's order."""
    old_doc, new_doc = _Document(old), _Document(new)
    old_paths, new_paths = _paths(old_doc), _paths(new_doc)
    # An operation whose own text is unchanged, and which refers to no component that changed, has not changed:
    # skipping it keeps comparing near-identical documents (the usual case) fast.
    changed_components = _changed_components(old, new)
    same_root_security = old.get("security") == new.get("security")
    out: list[SpecChange] = []

    def emit(rule_id: str, operation: str, message: str, old_value: Any = None, new_value: Any = None) -> None:
        out.append(SpecChange(rule_id, RULES[rule_id].level, operation, "", message, old_value, new_value))

    for key, (path, old_item) in old_paths.items():
        if key not in new_paths:
            for method, op in _operations(old_item):
                rule = API_PATH_REMOVED_DEPRECATED if op.get("deprecated") else API_PATH_REMOVED
                emit(rule, f"{method.upper()} {path}", f"path {path} was removed", path, None)
            continue
        new_path, new_item = new_paths[key]
        new_operations = dict(_operations(new_item))
        for method, old_op in _operations(old_item):
            label = f"{method.upper()} {path}"
            if method not in new_operations:
                rule = API_REMOVED_DEPRECATED if old_op.get("deprecated") else API_REMOVED
                emit(rule, label, "the operation was removed", label, None)
                continue
            new_op = new_operations[method]
            shared_parameters = old_item.get("parameters")
            if (same_root_security and path == new_path and old_op == new_op
                    and shared_parameters == new_item.get("parameters")
                    and not (_refs_in(old_op) | _refs_in(shared_parameters)) & changed_components):
                continue
            _OperationDiff(old_doc, new_doc, label, out).run(path, old_item, old_op, new_path, new_item, new_op)
        old_methods = {method for method, _ in _operations(old_item)}
        for method in new_operations.keys() - old_methods:
            emit(ENDPOINT_ADDED, f"{method.upper()} {new_path}", "the operation was added", None, method.upper())
    for key, (path, new_item) in new_paths.items():
        if key not in old_paths:
            for method, _ in _operations(new_item):
                emit(ENDPOINT_ADDED, f"{method.upper()} {path}", "the operation was added", None, method.upper())
    return out


def operation_labels(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Every operation of either document, named as `diff_specs` names it (the older document's path first)."""
    old_paths, new_paths = _paths(_Document(old)), _paths(_Document(new))
    labels: list[str] = []
    for key, (path, item) in old_paths.items():
        labels += [f"{method.upper()} {path}" for method, _ in _operations(item)]
        if key in new_paths:
            new_path, new_item = new_paths[key]
            old_methods = {method for method, _ in _operations(item)}
            labels += [f"{method.upper()} {new_path}" for method, _ in _operations(new_item)
                       if method not in old_methods]
    for key, (path, item) in new_paths.items():
        if key not in old_paths:
            labels += [f"{method.upper()} {path}" for method, _ in _operations(item)]
    return labels


def compare(old: Mapping[str, Any], new: Mapping[str, Any], *, old_label: str = "old", new_label: str = "new",
            both_directions: bool = False) -> list[SpecDiff]:
    """`new` against `old`; with `both_directions` also `old` against `new`, which for two apps' specs lists
    whatever the second one offers that the first does not."""
    diffs = [SpecDiff(old_label, new_label, operation_labels(old, new), diff_specs(old, new))]
    if both_directions:
        diffs.append(SpecDiff(new_label, old_label, operation_labels(new, old), diff_specs(new, old)))
    return diffs


FAIL_ON = {"breaking": Level.BREAKING, "warning": Level.WARNING, "never": None}


def gate_failed(diffs: list[SpecDiff], fail_on: str = "breaking") -> bool:
    """Whether any change is at or above the `--fail-on` level ("never" never fails)."""
    threshold = FAIL_ON[fail_on]
    return threshold is not None and any(
        change.level.rank >= threshold.rank for diff in diffs for change in diff.changes)
