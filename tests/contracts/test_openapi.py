"""The golden contract, contracts/openapi.yaml: a valid OpenAPI 3.1 document that covers exactly API.md's routes
and the legacy app's url_map, states API.md's conventions (envelopes, guards, security, rate-limit, pagination
and cookie headers) on every operation, and is honoured by the legacy app's real responses.

The static checks read the contract, API.md (through harness.api_doc) and the app's url_map only. The
conformance checks send one representative request per operation (and a set of error cases) to the legacy app
on the seeded SQLite database and validate status, body and headers against the contract.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import OpenAPIV31SpecValidator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from harness.api_doc import DEFAULT_PATH as API_MD_PATH
from harness.api_doc import Route, routes
from harness.replay.unpuzzle_flow import JPEG, MP4, PDF
from harness.seed import accounts

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contracts" / "openapi.yaml"
CONTRACT: dict[str, Any] = yaml.safe_load(CONTRACT_PATH.read_text(encoding="utf-8"))
API_MD = API_MD_PATH.read_text(encoding="utf-8")
ROUTES: dict[str, Route] = {r.rid: r for r in routes()}

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
URI = "urn:unpuzzle:contract"


# --- reading the contract ----------------------------------------------------------------------------


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def lookup(pointer: str) -> Any:
    node: Any = CONTRACT
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def ref_pointer(ref: str) -> str:
    assert ref.startswith("#/"), f"only local references are used: {ref}"
    return ref[1:]


def follow(pointer: str) -> tuple[str, Any]:
    """The pointer and value an object at `pointer` stands for, after its `$ref`s (responses, headers, ...)."""
    node = lookup(pointer)
    while isinstance(node, dict) and "$ref" in node:
        pointer = ref_pointer(node["$ref"])
        node = lookup(pointer)
    return pointer, node


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    path: str

    @property
    def pointer(self) -> str:
        return f"/paths/{escape(self.path)}/{self.method.lower()}"

    @property
    def spec(self) -> dict[str, Any]:
        return lookup(self.pointer)

    @property
    def rid(self) -> str:
        return self.spec.get("x-api-id", f"{self.method} {self.path}")

    def response_pointer(self, status: int | str) -> str | None:
        if str(status) not in self.spec["responses"]:
            return None
        return follow(f"{self.pointer}/responses/{status}")[0]

    def responses(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(status, pointer, response object) for every declared response."""
        for status in self.spec["responses"]:
            pointer, response = follow(f"{self.pointer}/responses/{status}")
            yield status, pointer, response

    def parameters(self) -> list[dict[str, Any]]:
        return [follow(f"{self.pointer}/parameters/{i}")[1] for i in range(len(self.spec.get("parameters", [])))]

    def __str__(self) -> str:
        return f"{self.rid} {self.method} {self.path}"


OPERATIONS = [
    Operation(method.upper(), path)
    for path, item in CONTRACT["paths"].items()
    for method in item
    if method in HTTP_METHODS
]
BY_RID = {op.rid: op for op in OPERATIONS}


def op_id(op: Operation) -> str:
    return op.rid


@functools.cache
def schema_validator(pointer: str) -> Draft202012Validator:
    """A validator for the schema at `pointer`, resolving the contract's `$ref`s, checking formats."""
    registry = Registry().with_resource(URI, Resource.from_contents(CONTRACT, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": f"{URI}#{pointer}"}, registry=registry, format_checker=FormatChecker())


def schema_errors(pointer: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in sorted(schema_validator(pointer).iter_errors(instance), key=lambda e: list(e.absolute_path))
    ]


# --- reading API.md ------------------------------------------------------------------------------------


def api_md_row(label: str) -> str:
    """The text after the first cell of the §1 table row labelled `label`."""
    match = re.search(rf"^\| {re.escape(label)} \| (.+)$", API_MD, re.MULTILINE)
    assert match, f"API.md has no row {label!r}"
    return match.group(1)


def rids_in(text: str) -> frozenset[str]:
    """Row ids named in `text`, with ranges such as P16–P18 expanded."""
    out = set()
    for prefix, first, last in re.findall(r"\b([PX])(\d+)(?:–[PX]?(\d+))?", text):
        out.update(f"{prefix}{n}" for n in range(int(first), int(last or first) + 1))
    return frozenset(out)


PAGINATED = rids_in(api_md_row("Paginated routes"))  # §1.5
OPTIONAL_AUTH = rids_in(api_md_row("Optional-auth routes").split("**Proposed")[0])  # §1.6
CSRF_EXEMPT = rids_in(api_md_row("Exempt").split("(")[0])  # §1.7
# §1.6 Cookies: "P2 and P4 set them. P3, P15 and P7 (when revoking the current session) clear them".
SETS_COOKIES, CLEARS_COOKIES, MAY_CLEAR_COOKIES = {"P2", "P4"}, {"P3", "P15"}, {"P7"}


def error_codes_by_status() -> dict[int, set[str]]:
    """§1.4's table: HTTP status -> the error codes API.md allows for it."""
    section = API_MD.split("### 1.4 Errors", 1)[1].split("### 1.5", 1)[0]
    out: dict[int, set[str]] = {}
    for status, codes in re.findall(r"^\| (\d{3}) \| ([^|]+) \|", section, re.MULTILINE):
        out.setdefault(int(status), set()).update(re.findall(r"`([A-Z_]+)`", codes))
    return out


def is_public(route: Route) -> bool:
    return route.auth.startswith("public") or route.rid in OPTIONAL_AUTH


READ = [{"bearerAuth": []}, {"cookieAuth": []}]
WRITE = [{"bearerAuth": []}, {"cookieAuth": [], "csrfToken": []}]


def expected_security(route: Route) -> list[dict[str, list]]:
    if route.rid == "P4":  # the refresh_token cookie, or (Proposed) a refresh token in the body
        return [{"refreshCookie": []}, {}]
    if route.rid in OPTIONAL_AUTH or route.rid == "P51":  # P51: thumbnails are public, the rest need a token
        return READ + [{}]
    if route.auth.startswith("public"):
        return []
    return WRITE if route.method in UNSAFE and route.rid not in CSRF_EXEMPT else READ


# --- walking schemas -------------------------------------------------------------------------------------

SCHEMA_KEYWORDS = frozenset(
    {
        "$ref",
        "$id",
        "$schema",
        "$anchor",
        "$defs",
        "$comment",
        "$dynamicRef",
        "$dynamicAnchor",
        "type",
        "enum",
        "const",
        "multipleOf",
        "maximum",
        "exclusiveMaximum",
        "minimum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxContains",
        "minContains",
        "maxProperties",
        "minProperties",
        "required",
        "dependentRequired",
        "format",
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "title",
        "description",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "examples",
        "example",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "prefixItems",
        "items",
        "contains",
        "properties",
        "patternProperties",
        "additionalProperties",
        "propertyNames",
        "unevaluatedItems",
        "unevaluatedProperties",
        "discriminator",
        "xml",
        "externalDocs",
    }
)
_ONE_SCHEMA = (
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contentSchema",
)
_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas", "$defs")


def subschemas(pointer: str, node: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(keyword, pointer, subschema) of every schema nested directly in `node`."""
    for kw in _ONE_SCHEMA:
        if isinstance(node.get(kw), dict):
            yield kw, f"{pointer}/{kw}", node[kw]
    for kw in _SCHEMA_MAPS:
        for name, sub in node.get(kw, {}).items():
            yield kw, f"{pointer}/{kw}/{escape(name)}", sub
    for kw in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for i, sub in enumerate(node.get(kw, [])):
            yield kw, f"{pointer}/{kw}/{i}", sub


def media_schemas(where: str) -> Iterator[tuple[Operation, str]]:
    """(operation, pointer) of every response (`where="responses"`) or request body schema."""
    for op in OPERATIONS:
        if where == "responses":
            bodies = [pointer for _status, pointer, _r in op.responses()]
        else:
            bodies = [follow(f"{op.pointer}/requestBody")[0]] if "requestBody" in op.spec else []
        for body in bodies:
            for media, content in lookup(body).get("content", {}).items():
                if "schema" in content:
                    yield op, f"{body}/content/{escape(media)}/schema"


def is_object_schema(node: dict[str, Any]) -> bool:
    types = node.get("type")
    return "properties" in node or types == "object" or (isinstance(types, list) and "object" in types)


@dataclass(slots=True)
class Closure:
    undeclared: list[str]  # object schemas stating neither additionalProperties nor unevaluatedProperties
    open: set[str]  # schemas with `additionalProperties: true`
    closed: set[str]  # schemas with `additionalProperties: false` or `unevaluatedProperties: false`


def closure_report(starts: list[str]) -> Closure:
    """Walk the schemas reachable from `starts` and report how each object schema treats unknown properties.

    allOf and anyOf members are partial constraints of their parent (which must then state
    unevaluatedProperties); oneOf members are complete alternatives and are checked like any object."""
    report, seen = Closure([], set(), set()), set()
    stack = [(p, False) for p in starts]
    while stack:
        pointer, partial = stack.pop()
        if (pointer, partial) in seen:
            continue
        seen.add((pointer, partial))
        node = lookup(pointer)
        if not isinstance(node, dict):
            continue
        if "$ref" in node:
            stack.append((ref_pointer(node["$ref"]), partial))
        if is_object_schema(node) and not partial and not {"additionalProperties", "unevaluatedProperties"} & set(node):
            report.undeclared.append(pointer)
        if "allOf" in node and "unevaluatedProperties" not in node and not partial:
            report.undeclared.append(f"{pointer} (allOf without unevaluatedProperties)")
        if node.get("additionalProperties") is True:
            report.open.add(pointer)
        if node.get("additionalProperties") is False or node.get("unevaluatedProperties") is False:
            report.closed.add(pointer)
        for kw, sub_pointer, _sub in subschemas(pointer, node):
            stack.append((sub_pointer, kw in ("allOf", "anyOf")))
    return report


def refs_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield ref_pointer(value["$ref"])
        for v in value.values():
            yield from refs_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from refs_in(v)


# ======================================================================================================
# Static checks: the document itself
# ======================================================================================================


def test_the_contract_is_a_valid_openapi_3_1_document():
    assert CONTRACT["openapi"] == "3.1.0"
    OpenAPIV31SpecValidator(CONTRACT).validate()


def test_every_schema_uses_known_keywords_only():
    """Catches typos and YAML accidents (a comma in a flow-style description silently adds a keyword)."""
    roots = [f"/components/schemas/{escape(n)}" for n in CONTRACT["components"]["schemas"]]
    roots += [p for _op, p in media_schemas("responses")] + [p for _op, p in media_schemas("requests")]
    for op in OPERATIONS:
        roots += [
            f"{follow(f'{op.pointer}/parameters/{i}')[0]}/schema" for i in range(len(op.spec.get("parameters", [])))
        ]
        for _status, pointer, response in op.responses():
            roots += [f"{follow(f'{pointer}/headers/{escape(h)}')[0]}/schema" for h in response.get("headers", {})]
    unknown = {}
    stack, seen = list(roots), set()
    while stack:
        pointer = stack.pop()
        if pointer in seen:
            continue
        seen.add(pointer)
        node = lookup(pointer)
        if not isinstance(node, dict):
            continue
        bad = {k for k in node if k not in SCHEMA_KEYWORDS and not k.startswith("x-")}
        if bad:
            unknown[pointer] = sorted(map(str, bad))
        stack += [sub for _kw, sub, _node in subschemas(pointer, node)]
    assert not unknown, unknown


def test_schemathesis_loads_every_operation():
    """The harness fuzzes with schemathesis: every operation must resolve for it (references, links, examples)."""
    import schemathesis

    results = list(schemathesis.openapi.from_path(CONTRACT_PATH).get_all_operations())
    assert len(results) == len(OPERATIONS)
    for result in results:
        result.ok()  # raises on an operation schemathesis cannot use


def test_operation_ids_are_unique():
    ids = [op.spec.get("operationId") for op in OPERATIONS]
    assert len(ids) == len(set(ids))


def test_api_ids_are_unique():
    rids = [op.spec.get("x-api-id") for op in OPERATIONS]
    assert len(rids) == len(set(rids))


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_every_operation_is_identified_and_summarised(op):
    spec = op.spec
    assert re.fullmatch(r"[a-z][a-zA-Z0-9]*", spec.get("operationId", "")), "operationId must be lowerCamelCase"
    assert spec.get("summary", "").strip()
    assert re.fullmatch(r"[PX]\d+", spec.get("x-api-id", ""))
    assert spec.get("tags")
    assert "security" in spec, "every operation states its security, even when public"


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_every_operation_has_an_example(op):
    def has_example(media: dict) -> bool:
        return "example" in media or bool(media.get("examples"))

    if "requestBody" in op.spec:
        body = follow(f"{op.pointer}/requestBody")[1]
        assert all(has_example(m) for m in body["content"].values()), "request body without an example"
    successes = [(s, r) for s, _p, r in op.responses() if s.startswith("2")]
    json_successes = [
        r["content"]["application/json"] for _s, r in successes if "application/json" in r.get("content", {})
    ]
    if op.rid != "P51":  # raw bytes
        assert json_successes and all(has_example(m) for m in json_successes), "success response without an example"


# --- the route set: contract = API.md = legacy url_map ---------------------------------------------------


def test_the_contract_has_exactly_api_md_routes():
    contract = {(op.rid, op.method, op.path) for op in OPERATIONS}
    documented = {(r.rid, r.method, r.path) for r in ROUTES.values()}
    assert contract - documented == set(), "in the contract but not in API.md"
    assert documented - contract == set(), "in API.md but not in the contract"
    assert len(OPERATIONS) == 70


def legacy_routes(tmp_path: Path) -> set[tuple[str, str]]:
    from legacy_flask import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'routes.sqlite3'}"})
    try:
        out = set()
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule)
            out.update((method, path) for method in rule.methods - {"HEAD", "OPTIONS"})
        return out
    finally:
        app.extensions["db_engine"].dispose()


def test_the_contract_has_exactly_the_legacy_apps_routes(tmp_path):
    contract = {(op.method, op.path) for op in OPERATIONS}
    served = legacy_routes(tmp_path)
    assert contract - served == set(), "in the contract but not served by legacy_flask"
    assert served - contract == set(), "served by legacy_flask but not in the contract"


# --- guards, security and parameters ---------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_security_follows_the_documented_guard(op):
    assert op.spec["security"] == expected_security(ROUTES[op.rid])


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_every_operation_declares_the_responses_its_guard_implies(op):
    route, declared = ROUTES[op.rid], set(op.spec["responses"])
    success = [s for s in declared if s.startswith("2")]
    assert success, "no success response"
    if op.rid != "P51":  # P51 answers raw bytes
        assert all("schema" in m for s in success for m in follow(f"{op.pointer}/responses/{s}")[1]["content"].values())
    expected = {"429"}  # every route is rate limited (§1.9)
    if not is_public(route):
        expected.add("401")
    if re.search(r"instructor|owner|enrolled|admin|\+CSRF", route.auth) or (
        op.method in UNSAFE and not is_public(route) and op.rid not in CSRF_EXEMPT
    ):
        expected.add("403")
    if "{" in op.path:
        expected.add("404")
    if "requestBody" in op.spec or any(p["in"] == "query" for p in op.parameters()):
        expected.add("400")
    assert expected <= declared, f"missing {sorted(expected - declared)}"


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_path_parameters_are_declared_and_ids_are_uuids(op):
    params = {p["name"]: p for p in op.parameters() if p["in"] == "path"}
    assert set(params) == set(re.findall(r"\{(\w+)\}", op.path))
    for name, param in params.items():
        assert param["required"] is True
        if name.endswith("_id"):
            assert param["schema"] == {"type": "string", "format": "uuid"}, name


def test_documented_rate_limits_are_stated():
    for op in OPERATIONS:
        assert op.spec.get("x-rate-limit") == ROUTES[op.rid].limit, op


# --- headers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_rate_limit_headers_are_declared_on_every_response(op):
    for status, pointer, response in op.responses():
        headers = {name: follow(f"{pointer}/headers/{escape(name)}")[1] for name in response.get("headers", {})}
        limit_headers = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
        assert set(limit_headers) <= set(headers), f"{status} lacks the rate-limit headers"
        if status == "429":
            assert all(headers[h].get("required") for h in (*limit_headers, "Retry-After")), "429 must carry them"


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_pagination_is_declared_on_the_paginated_routes(op):
    names = {"X-Total-Count", "X-Page", "X-Per-Page", "X-Total-Pages"}
    for status, pointer, response in op.responses():
        headers = {name: follow(f"{pointer}/headers/{escape(name)}")[1] for name in response.get("headers", {})}
        if op.rid in PAGINATED and status == "200":
            assert names <= set(headers) and all(headers[n].get("required") for n in names)
            data = lookup(f"{pointer}/content/application~1json/schema/properties/data")
            assert "pagination" in follow(ref_pointer(data["$ref"]))[1]["properties"]
        else:
            assert not names & set(headers), status


@pytest.mark.parametrize("op", OPERATIONS, ids=op_id)
def test_auth_cookies_are_declared_where_they_are_set_or_cleared(op):
    expected = {
        **{r: "SetAuthCookies" for r in SETS_COOKIES},
        **{r: "ClearAuthCookies" for r in CLEARS_COOKIES},
        **{r: "ClearAuthCookiesIfCurrent" for r in MAY_CLEAR_COOKIES},
    }.get(op.rid)
    for status, _pointer, response in op.responses():
        cookie = response.get("headers", {}).get("Set-Cookie")
        if expected and status == "200":
            assert cookie == {"$ref": f"#/components/headers/{expected}"}
        else:
            assert cookie is None, status


# --- schemas: closure, reachability, error codes, examples -----------------------------------------------

#: The response objects API.md leaves free-form (§2: `metadata`, `device_info`, `courseStructure`, `seoMetadata`).
FREE_FORM = {
    "/components/schemas/User/properties/metadata",
    "/components/schemas/Session/properties/device_info",
    "/components/schemas/CourseDetail/properties/courseStructure",
    "/components/schemas/CourseDetail/properties/seoMetadata",
}


def test_response_objects_state_additional_properties_and_only_free_form_ones_are_open():
    report = closure_report([p for _op, p in media_schemas("responses")])
    assert report.undeclared == []
    assert report.open == FREE_FORM


def test_request_objects_are_open_because_unknown_fields_are_ignored():
    report = closure_report([p for _op, p in media_schemas("requests")])
    assert report.undeclared == []
    assert report.closed == set(), "§1.1: unknown body fields are ignored, so request objects stay open"


def api_md_objects() -> dict[str, dict[str, set[str]]]:
    """§2's table: object -> {"fields", "nullable" (marked |null), "optional" (marked ? or "(optional)")}."""
    section = API_MD.split("## 2. Shared response objects", 1)[1].split("\n## 3.", 1)[0]
    out: dict[str, dict[str, set[str]]] = {}
    for name, cell in re.findall(r"^\| \*\*(\w+)\*\*[^|]*\| (.+) \|$", section, re.MULTILINE):
        cell = cell.split(". ")[0]  # Role: "`name`, `displayName`. P9 adds `description`."
        base = out["CourseSummary"] if cell.startswith("CourseSummary plus:") else None
        cell = cell.replace("(optional)", "OPTIONAL")
        while re.search(r"\{[^{}]*\}|\[[^\[\]]*\]|\([^()]*\)", cell):  # nested shapes and notes are not fields
            cell = re.sub(r"\{[^{}]*\}|\[[^\[\]]*\]|\([^()]*\)", "", cell)
        fields: dict[str, set[str]] = {"fields": set(), "nullable": set(), "optional": set()}
        for token in cell.split(","):
            match = re.search(r"`(\w+)`", token)
            if match:
                fields["fields"].add(match.group(1))
                if "\\|null" in token:
                    fields["nullable"].add(match.group(1))
                if "OPTIONAL" in token or "`?" in token:
                    fields["optional"].add(match.group(1))
        if base:
            fields = {k: base[k] | v for k, v in fields.items()}
        out[name] = fields
    return out


def effective_object(pointer: str) -> tuple[dict[str, Any], set[str]]:
    """(properties, required) of an object schema, merged over its allOf members."""
    node = follow(pointer)[1]
    props: dict[str, Any] = {}
    required: set[str] = set()
    for i in range(len(node.get("allOf", []))):
        sub_props, sub_required = effective_object(f"{follow(pointer)[0]}/allOf/{i}")
        for name, sub in sub_props.items():
            props[name] = {**props.get(name, {}), **sub}
        required |= sub_required
    for name, sub in node.get("properties", {}).items():
        props[name] = {**props.get(name, {}), **sub}
    return props, required | set(node.get("required", []))


#: Fields API.md §2 does not mark `|null` that the contract lets be null, each with its reason: the field
#: carries a nullable SCHEMA.md column unchanged, and §1.1 says "null marks an explicitly empty scalar".
EXTRA_NULLABLE = {
    "Session": {"ip_address"},  # user_sessions.ip_address
    "InstructorRef": {"avatar"},  # users.avatar_url (User marks it |null)
    "CourseSummary": {"thumbnailUrl", "category"},  # courses.thumbnail_url, courses.category
    "CourseDetail": {"thumbnailUrl", "category"},
    "Video": {"description", "thumbnailUrl", "transcriptUrl", "subtitlesUrl"},  # videos.* nullable columns
    "Review": {"userAvatar"},  # users.avatar_url
    "MediaFileBrief": {"durationSeconds", "durationFormatted", "orderInSection"},  # |null on MediaFile itself
}
#: §2 visibility: quiz answers are omitted on public and student views.
EXTRA_OPTIONAL = {"QuizPoint": {"correctAnswer", "explanation"}}


@pytest.mark.parametrize("name", sorted(api_md_objects()))
def test_shared_objects_have_api_md_fields_required_and_nullability(name):
    documented = api_md_objects()[name]
    if name == "ChatMessage":  # a oneOf of the user and the assistant message
        props = set()
        for i in range(len(CONTRACT["components"]["schemas"]["ChatMessage"]["oneOf"])):
            props |= set(effective_object(f"/components/schemas/ChatMessage/oneOf/{i}")[0])
        assert props == documented["fields"]
        return
    props, required = effective_object(f"/components/schemas/{name}")
    assert set(props) == documented["fields"]
    assert required == documented["fields"] - documented["optional"] - EXTRA_OPTIONAL.get(name, set())
    nullable = {
        field for field, schema in props.items() if isinstance(schema.get("type"), list) and "null" in schema["type"]
    }
    assert nullable == documented["nullable"] | EXTRA_NULLABLE.get(name, set())


def test_every_component_is_used():
    reached: set[str] = set()
    stack = list(refs_in(CONTRACT["paths"]))
    while stack:
        pointer = stack.pop()
        if pointer in reached:
            continue
        reached.add(pointer)
        stack += list(refs_in(lookup(pointer)))
    used_schemes = {name for op in OPERATIONS for requirement in op.spec["security"] for name in requirement}
    unused = []
    for section, members in CONTRACT["components"].items():
        for name in members:
            if section == "securitySchemes":
                used = name in used_schemes
            else:
                used = any(
                    p == f"/components/{section}/{escape(name)}"
                    or p.startswith(f"/components/{section}/{escape(name)}/")
                    for p in reached
                )
            if not used:
                unused.append(f"{section}/{name}")
    assert unused == []


def test_error_codes_are_api_md_codes_for_their_status():
    allowed = error_codes_by_status()
    seen: set[str] = set()
    for op in OPERATIONS:
        for status, pointer, response in op.responses():
            if not status.startswith(("4", "5")) or "application/json" not in response.get("content", {}):
                continue
            if op.rid == "P52":  # health answers 503 without the envelope
                continue
            schema = follow(f"{pointer}/content/application~1json/schema")[1]
            codes = set(schema["properties"]["error"]["properties"]["code"]["enum"])
            seen |= codes
            if int(status) in allowed:
                assert codes <= allowed[int(status)], f"{op} {status}: {sorted(codes - allowed[int(status)])}"
    # METHOD_NOT_ALLOWED cannot be declared on an operation; info.description states it.
    assert seen | {"METHOD_NOT_ALLOWED"} == set().union(*allowed.values())


def examples_of(pointer: str, media: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if "example" in media:
        yield f"{pointer}/example", media["example"]
    for name in media.get("examples", {}):
        example_pointer, example = follow(f"{pointer}/examples/{escape(name)}")
        yield example_pointer, example["value"]


def all_examples() -> Iterator[tuple[str, str, Any]]:
    """(schema pointer, example pointer, example) of every parameter, request and response example."""
    for op in OPERATIONS:
        for i in range(len(op.spec.get("parameters", []))):
            param_pointer, param = follow(f"{op.pointer}/parameters/{i}")
            if "example" in param:
                yield f"{param_pointer}/schema", f"{param_pointer}/example", param["example"]
        bodies = [p for _s, p, _r in op.responses()]
        if "requestBody" in op.spec:
            bodies.append(follow(f"{op.pointer}/requestBody")[0])
        for body in bodies:
            for media, content in lookup(body).get("content", {}).items():
                content_pointer = f"{body}/content/{escape(media)}"
                for example_pointer, example in examples_of(content_pointer, content):
                    yield f"{content_pointer}/schema", example_pointer, example


def test_every_example_matches_its_schema():
    problems = {}
    for schema_pointer, example_pointer, example in all_examples():
        errors = schema_errors(schema_pointer, example)
        if errors:
            problems[example_pointer] = errors
    assert problems == {}


def test_links_name_real_operations_and_parameters():
    operations = {op.spec["operationId"]: op for op in OPERATIONS}
    for op in OPERATIONS:
        for status, _pointer, response in op.responses():
            for name, link in response.get("links", {}).items():
                target = operations.get(link["operationId"])
                assert target is not None, f"{op} {status} link {name}"
                names = {p["name"] for p in target.parameters()}
                assert set(link.get("parameters", {})) <= names, f"{op} {status} link {name}"
                if "requestBody" in link:
                    assert "requestBody" in target.spec, f"{op} {status} link {name}"


# ======================================================================================================
# Conformance: the legacy app's real responses against the contract
# ======================================================================================================

#: Headers whose presence a response must declare (rate limiting is on in this module, so are its headers).
WATCHED_HEADERS = {"set-cookie", "retry-after", "content-range"}


def conformance_problems(op: Operation, resp) -> list[str]:
    status = str(resp.status_code)
    pointer = op.response_pointer(status)
    if pointer is None:
        return [f"status {status} is not declared for {op}: {resp.get_data(as_text=True)[:300]}"]
    response = lookup(pointer)
    problems = []
    content = response.get("content", {})
    if content:
        if resp.mimetype not in content:
            problems.append(f"Content-Type {resp.mimetype} is not declared for {status}")
        elif "schema" in content[resp.mimetype]:
            body = resp.get_json(silent=True)
            problems += schema_errors(f"{pointer}/content/{escape(resp.mimetype)}/schema", body)
    elif resp.get_data():
        problems.append(f"{status} declares no body but one was sent")
    declared = {name.lower(): follow(f"{pointer}/headers/{escape(name)}")[1] for name in response.get("headers", {})}
    sent = {name.lower() for name, _value in resp.headers.items()}
    for name, header in declared.items():
        if header.get("required") and name not in sent:
            problems.append(f"required header {name} is missing")
    for name in sent:
        if (name.startswith("x-") or name in WATCHED_HEADERS) and name not in declared:
            problems.append(f"header {name} is sent but not declared for {status}")
    return problems


@pytest.fixture
def app_config(app_config):
    """Rate limiting on (its headers are part of the contract) and small upload limits (413 is cheap)."""
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "UPLOAD_LIMITS": {"videos": 64 * 1024, "thumbnails": 1024, "documents": 64 * 1024},
    }


@dataclass
class Ctx:
    """What a scenario needs: the seeded ids and the callers, logged in only when first used."""

    request: pytest.FixtureRequest
    seeded: Any

    def __getattr__(self, caller: str):
        if caller in {"anon", "student", "student2", "instructor", "instructor2", "admin"}:
            return self.request.getfixturevalue(caller)
        raise AttributeError(caller)

    @property
    def video(self) -> str:
        return self.seeded.video_ids(0)[0]

    @property
    def course(self) -> str:
        return self.seeded.enrolled_course


Scenario = Callable[[Ctx], Any]
SCENARIOS: dict[str, Scenario] = {}


def scenario(rid: str) -> Callable[[Scenario], Scenario]:
    def register(fn: Scenario) -> Scenario:
        SCENARIOS[rid] = fn
        return fn

    return register


def post_file(caller, path: str, field: str, name: str, content: bytes, **form):
    form[field] = (io.BytesIO(content), name)
    return caller.post(path, data=form, content_type="multipart/form-data")


def upload_video(c: Ctx):
    resp = post_file(c.instructor, "/api/v1/videos/upload", "video", "lesson.mp4", MP4, course_id=c.course)
    assert resp.status_code == 200, resp.get_json()
    return resp


def initiate(c: Ctx) -> dict:
    resp = c.instructor.post(
        "/api/v1/media/upload/initiate",
        json={
            "filename": "lesson.mp4",
            "fileSize": 2048,
            "contentType": "video/mp4",
            "courseId": c.course,
            "tags": ["python"],
        },
    )
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["data"]


AUTH = "/api/v1/auth"
scenario("P1")(
    lambda c: c.anon.post(
        f"{AUTH}/signup",
        json={
            "email": "contract.signup@example.com",
            "password": "Str0ngPass!",
            "metadata": {"full_name": "Contract Tester", "phone": "+15550100", "timezone": "UTC"},
        },
    )
)
scenario("P2")(
    lambda c: c.anon.post(
        f"{AUTH}/login", json={"email": accounts.STUDENT.email, "password": accounts.STUDENT.password}
    )
)
scenario("P3")(lambda c: c.student.post(f"{AUTH}/logout"))
scenario("P4")(lambda c: c.student.post(f"{AUTH}/refresh"))
scenario("P5")(lambda c: c.student.get(f"{AUTH}/csrf-token"))
scenario("P6")(lambda c: c.student.get(f"{AUTH}/sessions"))
scenario("P7")(lambda c: c.student.delete(f"{AUTH}/sessions/{c.student.session_id}"))
scenario("P8")(lambda c: c.student.post(f"{AUTH}/sessions/revoke-all"))
scenario("P9")(lambda c: c.instructor.get(f"{AUTH}/roles"))
scenario("P10")(
    lambda c: c.admin.post(f"{AUTH}/users/{c.seeded.user_id(accounts.STUDENT)}/roles", json={"role": "instructor"})
)
scenario("P11")(lambda c: c.student.post(f"{AUTH}/check-permission", json={"permission": "course:enroll"}))
scenario("P12")(lambda c: c.student.post(f"{AUTH}/check-role", json={"role": "student"}))
scenario("P13")(lambda c: c.student.get("/api/v1/user/profile"))
scenario("P14")(
    lambda c: c.student.put("/api/v1/user/profile", json={"full_name": "Sam Student", "metadata": {"timezone": "UTC"}})
)
scenario("P15")(lambda c: c.student.delete("/api/v1/user/profile"))

scenario("P16")(lambda c: c.anon.get("/api/v1/courses?search=&category=&minRating=&instructor=&limit=3"))
scenario("P17")(lambda c: c.student.get(f"/api/v1/courses/{c.course}"))
scenario("P18")(lambda c: c.anon.get(f"/api/v1/courses/{c.course}/reviews"))
scenario("P19")(lambda c: c.student.get("/api/v1/courses/recommended"))

STUDENT_API = "/api/v1/student"
scenario("P20")(lambda c: c.student.get(f"{STUDENT_API}/courses"))
scenario("P21")(
    lambda c: c.student.post(f"{STUDENT_API}/courses/{c.seeded.open_course}/enroll", json={"paymentMethod": "card"})
)
scenario("P22")(lambda c: c.student.post(f"{STUDENT_API}/courses/{c.course}/unenroll"))
scenario("P23")(lambda c: c.student.get(f"{STUDENT_API}/courses/{c.course}/progress"))
scenario("P24")(lambda c: c.student.get(f"{STUDENT_API}/videos/{c.video}/progress"))
scenario("P25")(
    lambda c: c.student.put(
        f"{STUDENT_API}/videos/{c.video}/progress",
        json={"watchedSeconds": 30, "lastPosition": 28, "playbackSpeed": 1.5},
    )
)
scenario("P26")(lambda c: c.student.post(f"{STUDENT_API}/videos/{c.video}/complete"))
scenario("P27")(
    lambda c: c.student.post(
        f"{STUDENT_API}/videos/{c.video}/quiz/{c.seeded.quiz_id(0, 0)}/answer", json={"answer": 0, "timeSpent": 5}
    )
)
scenario("P28")(
    lambda c: c.student.post(
        f"{STUDENT_API}/courses/{c.course}/review",
        json={"rating": 4, "title": "Good", "comment": "Clear.", "pros": ["pace"]},
    )
)

INSTRUCTOR_API = "/api/v1/instructor"
scenario("P29")(lambda c: c.instructor.get(f"{INSTRUCTOR_API}/courses"))
scenario("P30")(lambda c: c.instructor.get(f"{INSTRUCTOR_API}/courses/{c.course}"))
scenario("P31")(
    lambda c: c.instructor.post(
        f"{INSTRUCTOR_API}/courses",
        json={"title": "Contract Course", "price": 10, "tags": ["contract"], "courseStructure": {"weeks": 2}},
    )
)
scenario("P32")(
    lambda c: c.instructor.put(
        f"{INSTRUCTOR_API}/courses/{c.seeded.draft_course}",
        json={"title": "Renamed", "seoMetadata": {"metaTitle": "Renamed"}},
    )
)
scenario("P33")(lambda c: c.instructor.delete(f"{INSTRUCTOR_API}/courses/{c.seeded.draft_course}"))
scenario("P34")(lambda c: c.instructor.post(f"{INSTRUCTOR_API}/courses/{c.seeded.draft_course}/publish"))
scenario("P35")(lambda c: c.instructor.post(f"{INSTRUCTOR_API}/courses/{c.seeded.open_course}/unpublish"))
scenario("P36")(lambda c: c.instructor.post(f"{INSTRUCTOR_API}/courses/{c.course}/duplicate"))
scenario("P37")(
    lambda c: c.instructor.post(
        f"{INSTRUCTOR_API}/courses/{c.seeded.draft_course}/videos",
        json={
            "title": "Contract video",
            "videoUrl": "https://cdn.unpuzzle.test/v.mp4",
            "duration": 60,
            "resources": [{"title": "Slides", "url": "https://cdn.unpuzzle.test/s.pdf"}],
            "quizPoints": [{"timestamp": 10, "question": "Which?", "options": ["a", "b"], "correctAnswer": 1}],
        },
    )
)
scenario("P38")(
    lambda c: c.instructor.put(f"{INSTRUCTOR_API}/videos/{c.seeded.video_ids(0)[1]}", json={"title": "Renamed video"})
)
scenario("P39")(lambda c: c.instructor.delete(f"{INSTRUCTOR_API}/videos/{c.seeded.video_ids(0)[1]}"))
scenario("P40")(
    lambda c: c.instructor.put(
        f"{INSTRUCTOR_API}/courses/{c.course}/videos/reorder", json={"videoIds": c.seeded.video_ids(0)[::-1]}
    )
)

scenario("P41")(lambda c: c.instructor.get(f"/api/v1/ai/courses/{c.course}/recommendations"))
scenario("P42")(
    lambda c: c.student.post(
        "/api/v1/ai/courses/generate-outline", json={"topic": "Python", "level": "beginner", "duration": 2}
    )
)


@scenario("P43")
def _chat_history(c: Ctx):
    sent = c.student.post(
        f"/api/v1/ai/videos/{c.video}/chat",
        json={"message": "Why a list?", "videoContext": {"startTime": 1, "endTime": 5, "content": "lists"}},
    )
    assert sent.status_code == 200, sent.get_json()
    return c.student.get(f"/api/v1/ai/videos/{c.video}/chat")


scenario("P44")(
    lambda c: c.student.post(f"/api/v1/ai/videos/{c.video}/chat", json={"message": "Summarise this", "sessionId": ""})
)
scenario("P45")(lambda c: c.instructor.get(f"/api/v1/ai/courses/{c.course}/analyze-engagement"))
scenario("P46")(lambda c: c.student.get("/api/v1/ai/users/learning-path"))

scenario("P47")(upload_video)
scenario("P48")(
    lambda c: post_file(
        c.instructor,
        "/api/v1/thumbnails/upload",
        "thumbnail",
        "cover.jpg",
        JPEG,
        resource_id=c.course,
        resource_type="course",
    )
)
scenario("P49")(
    lambda c: post_file(
        c.instructor, "/api/v1/documents/upload", "document", "notes.pdf", PDF, course_id=c.course, title="Notes"
    )
)
scenario("P50")(
    lambda c: c.instructor.delete("/api/v1/delete", json={"file_path": upload_video(c).get_json()["data"]["file_path"]})
)
scenario("P51")(lambda c: c.instructor.get(upload_video(c).get_json()["data"]["url"]))
scenario("P52")(lambda c: c.anon.get("/health"))

MEDIA_API = "/api/v1/media"
scenario("P53")(
    lambda c: c.instructor.post(
        f"{MEDIA_API}/upload/initiate",
        json={"filename": "lesson.mp4", "fileSize": 2048, "contentType": "video/mp4", "courseId": c.course},
    )
)


@scenario("P54")
def _complete_upload(c: Ctx):
    started = initiate(c)
    return c.instructor.post(
        f"{MEDIA_API}/upload/complete", json={"sessionKey": started["sessionKey"], "storageKey": started["storageKey"]}
    )


scenario("P55")(lambda c: c.instructor.get(f"{MEDIA_API}/upload/progress/{initiate(c)['sessionKey']}"))
scenario("P56")(lambda c: c.instructor.get(f"{MEDIA_API}/media/{c.seeded.media_ids(0)[0]}"))
scenario("P57")(lambda c: c.instructor.post(f"{MEDIA_API}/media/{c.seeded.media_ids(0)[0]}/process"))
scenario("P58")(
    lambda c: c.instructor.post(f"{MEDIA_API}/media/{c.seeded.media_ids(0)[1]}/attach-video", json={"videoId": c.video})
)
scenario("P59")(lambda c: c.instructor.delete(f"{MEDIA_API}/media/{c.seeded.media_ids(0)[1]}"))
scenario("P60")(lambda c: c.instructor.get(f"{MEDIA_API}/user/media?type=video&sortBy=fileSize&sortOrder=asc"))
scenario("P61")(lambda c: c.instructor.get(f"{MEDIA_API}/user/storage-usage"))
scenario("X9")(lambda c: c.instructor.get(f"{MEDIA_API}/user/unassigned-videos"))

CONTENT_API = "/api/v1/content"
scenario("X1")(lambda c: c.student.get(f"{CONTENT_API}/courses/{c.course}/sections"))
scenario("X2")(
    lambda c: c.instructor.post(
        f"{CONTENT_API}/courses/{c.course}/sections", json={"title": "Extra week", "description": "More."}
    )
)
scenario("X3")(
    lambda c: c.instructor.put(
        f"{CONTENT_API}/sections/{c.seeded.section_ids(0)[0]}", json={"title": "Week one", "isPreview": True}
    )
)
scenario("X4")(lambda c: c.instructor.delete(f"{CONTENT_API}/sections/{c.seeded.section_ids(0)[0]}"))
scenario("X5")(
    lambda c: c.instructor.post(
        f"{CONTENT_API}/sections/{c.seeded.section_ids(0)[0]}/media",
        json={"mediaFileId": c.seeded.media_ids(0)[1], "title": "Intro"},
    )
)
scenario("X6")(lambda c: c.instructor.post(f"{CONTENT_API}/media/{c.seeded.media_ids(0)[0]}/unassign"))
scenario("X7")(
    lambda c: c.instructor.put(
        f"{CONTENT_API}/sections/{c.seeded.section_ids(0)[0]}/media/reorder",
        json={"mediaOrder": [c.seeded.media_ids(0)[0]]},
    )
)
scenario("X8")(lambda c: c.instructor.get(f"{CONTENT_API}/courses/{c.course}/media"))


def test_every_operation_has_a_conformance_scenario():
    assert set(SCENARIOS) == set(BY_RID)


#: Contract/app drift found by the conformance scenarios: row id -> reason (API.md wins; the app is to be fixed).
DRIFT: dict[str, str] = {}


def scenario_params(table: dict[str, Any], drift: dict[str, str]) -> list:
    return [
        pytest.param(key, id=key, marks=[pytest.mark.xfail(strict=True, reason=drift[key])] if key in drift else [])
        for key in table
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("rid", scenario_params(SCENARIOS, DRIFT))
def test_legacy_success_responses_match_the_contract(rid, app, request, seeded):
    resp = SCENARIOS[rid](Ctx(request, seeded))
    assert 200 <= resp.status_code < 300, resp.get_data(as_text=True)[:500]
    assert conformance_problems(BY_RID[rid], resp) == []


# --- error cases: (row id, expected status, error code or None, request) ---------------------------------


def signup_until_limited(c: Ctx):
    for n in range(6):  # P1 allows 5 a minute
        resp = c.anon.post(f"{AUTH}/signup", json={"email": f"flood{n}@example.com", "password": "Str0ngPass!"})
    return resp


def publish_without_videos(c: Ctx):
    created = c.instructor.post(f"{INSTRUCTOR_API}/courses", json={"title": "Empty"}).get_json()["data"]
    return c.instructor.post(f"{INSTRUCTOR_API}/courses/{created['id']}/publish")


def uploaded_range(c: Ctx, first: int, last: int):
    url = upload_video(c).get_json()["data"]["url"]
    return c.instructor.get(url, headers={"Range": f"bytes={first}-{last}"})


ERROR_CASES: dict[str, tuple[str, int, str | None, Scenario]] = {
    "unauthenticated": ("P13", 401, "AUTH_REQUIRED", lambda c: c.anon.get("/api/v1/user/profile")),
    "bad-credentials": (
        "P2",
        401,
        "INVALID_CREDENTIALS",
        lambda c: c.anon.post(f"{AUTH}/login", json={"email": accounts.STUDENT.email, "password": "wrong-password"}),
    ),
    "no-refresh-token": ("P4", 401, "AUTH_REQUIRED", lambda c: c.anon.post(f"{AUTH}/refresh")),
    "csrf-missing": ("P14", 403, "CSRF_INVALID", lambda c: c.student.put("/api/v1/user/profile", json={}, csrf=False)),
    "not-enrolled": (
        "P23",
        403,
        "NOT_ENROLLED",
        lambda c: c.student.get(f"{STUDENT_API}/courses/{c.seeded.open_course}/progress"),
    ),
    "not-instructor": (
        "P31",
        403,
        "FORBIDDEN",
        lambda c: c.student.post(f"{INSTRUCTOR_API}/courses", json={"title": "x"}),
    ),
    "not-owner": (
        "P30",
        403,
        "FORBIDDEN",
        lambda c: c.instructor.get(f"{INSTRUCTOR_API}/courses/{c.seeded.other_instructor_course}"),
    ),
    "unknown-course": (
        "P17",
        404,
        "NOT_FOUND",
        lambda c: c.anon.get("/api/v1/courses/00000000-0000-4000-8000-000000000000"),
    ),
    "unknown-upload-session": (
        "P54",
        404,
        "NOT_FOUND",
        lambda c: c.instructor.post(
            f"{MEDIA_API}/upload/complete", json={"sessionKey": "00000000-0000-4000-8000-000000000000"}
        ),
    ),
    "invalid-email": (
        "P1",
        400,
        "INVALID_REQUEST",
        lambda c: c.anon.post(f"{AUTH}/signup", json={"email": "nope", "password": "Str0ngPass!"}),
    ),
    "malformed-json": (
        "P42",
        400,
        "INVALID_REQUEST",
        lambda c: c.student.post("/api/v1/ai/courses/generate-outline", data="{", content_type="application/json"),
    ),
    "bad-page-size": ("P16", 400, "INVALID_REQUEST", lambda c: c.anon.get("/api/v1/courses?limit=0")),
    "publish-without-videos": ("P34", 400, "INVALID_REQUEST", publish_without_videos),
    "email-taken": (
        "P1",
        409,
        "CONFLICT",
        lambda c: c.anon.post(f"{AUTH}/signup", json={"email": accounts.STUDENT.email, "password": "Str0ngPass!"}),
    ),
    "already-enrolled": (
        "P21",
        409,
        "ALREADY_ENROLLED",
        lambda c: c.student.post(f"{STUDENT_API}/courses/{c.course}/enroll"),
    ),
    "version-conflict": (
        "P32",
        409,
        "VERSION_CONFLICT",
        lambda c: c.instructor.put(f"{INSTRUCTOR_API}/courses/{c.course}", json={"version": 99999}),
    ),
    "thumbnail-too-large": (
        "P48",
        413,
        "PAYLOAD_TOO_LARGE",
        lambda c: post_file(
            c.instructor,
            "/api/v1/thumbnails/upload",
            "thumbnail",
            "big.png",
            b"\x89PNG" + b"\x00" * 4096,
            resource_id=c.course,
            resource_type="course",
        ),
    ),
    "rate-limited": ("P1", 429, "RATE_LIMITED", signup_until_limited),
    "video-file-anonymously": (
        "P51",
        401,
        "AUTH_REQUIRED",
        lambda c: c.anon.get(upload_video(c).get_json()["data"]["url"]),
    ),
    "video-range": ("P51", 206, None, lambda c: uploaded_range(c, 0, 9)),
    "range-outside-file": ("P51", 416, "INVALID_REQUEST", lambda c: uploaded_range(c, 10_000, 10_010)),
}

ERROR_DRIFT: dict[str, str] = {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", scenario_params(ERROR_CASES, ERROR_DRIFT))
def test_legacy_error_responses_match_the_contract(case, app, request, seeded):
    rid, status, code, send = ERROR_CASES[case]
    resp = send(Ctx(request, seeded))
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    if code is not None:
        assert resp.get_json()["error"]["code"] == code
    assert conformance_problems(BY_RID[rid], resp) == []
