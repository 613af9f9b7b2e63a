"""harness/contract/specdiff/: each rule catches the change it exists for, at the documented level and location,
and reports nothing else.

Every case edits a copy of contracts/openapi.yaml (the newer version, and the older one where the change needs a
starting point the contract does not have) and expects exactly one finding. Shared components are used by several
operations, so a case edits a component only where one operation uses it, or gives that operation its own copy.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from harness.contract.specdiff import (
    BOUND_EVENTS,
    BOUNDS,
    RULES,
    SCHEMA_FAMILIES,
    Level,
    compare,
    diff_specs,
    gate_failed,
)
from tests.support.specs import ref_spec

Spec = dict[str, Any]
JSON = "application/json"
PROFILE = "/api/v1/user/profile"
COURSES = "/api/v1/courses"
RECOMMENDED = "/api/v1/courses/recommended"
HEALTH = "/health"
SIGNUP = "/api/v1/auth/signup"
LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
REFRESH = "/api/v1/auth/refresh"
REVOKE_ALL = "/api/v1/auth/sessions/revoke-all"
SESSIONS = "/api/v1/auth/sessions"
CHECK_ROLE = "/api/v1/auth/check-role"
REVIEW = "/api/v1/student/courses/{course_id}/review"
PROGRESS = "/api/v1/student/videos/{video_id}/progress"
ADD_VIDEO = "/api/v1/instructor/courses/{course_id}/videos"
CHAT = "/api/v1/ai/videos/{video_id}/chat"

BODY = f"requestBody.content.{JSON}"
LOGIN_USER = f"responses.200.content.{JSON}.data.user"  # POST login's user (its own copy of User)


def op(spec: Spec, method: str, path: str) -> dict:
    return spec["paths"][path][method]


def schema(spec: Spec, name: str) -> dict:
    return spec["components"]["schemas"][name]


def param(spec: Spec, method: str, path: str, name: str) -> dict:
    return next(p for p in op(spec, method, path)["parameters"] if p.get("name") == name)


def login_user(spec: Spec) -> dict:
    """User as POST /api/v1/auth/login returns it, as that operation's own copy (User has four users)."""
    result = schema(spec, "LoginResult")
    result["properties"]["user"] = copy.deepcopy(schema(spec, "User"))
    return result["properties"]["user"]


CASES: list = []


def case(rule_id: str, level: str, operation: str, location: str = "") -> Callable:
    """Register an edit `(old, new) -> None` that must produce exactly this one finding."""
    def register(edit: Callable[[Spec, Spec], None]) -> Callable[[Spec, Spec], None]:
        CASES.append(pytest.param(edit, (rule_id, level, operation, location), id=edit.__name__))
        return edit
    return register


# --- operations ------------------------------------------------------------------------------------------

@case("api-removed-without-deprecation", "breaking", f"DELETE {PROFILE}")
def operation_removed(old, new):
    del new["paths"][PROFILE]["delete"]


@case("api-removed-with-deprecation", "info", f"DELETE {PROFILE}")
def deprecated_operation_removed(old, new):
    op(old, "delete", PROFILE)["deprecated"] = True
    del new["paths"][PROFILE]["delete"]


@case("api-path-removed-without-deprecation", "breaking", f"GET {HEALTH}")
def path_removed(old, new):
    del new["paths"][HEALTH]


@case("api-path-removed-with-deprecation", "info", f"GET {HEALTH}")
def deprecated_path_removed(old, new):
    op(old, "get", HEALTH)["deprecated"] = True
    del new["paths"][HEALTH]


@case("endpoint-added", "info", f"POST {HEALTH}")
def operation_added(old, new):
    new["paths"][HEALTH]["post"] = {**copy.deepcopy(op(new, "get", HEALTH)), "operationId": "postHealth"}


@case("endpoint-added", "info", "GET /api/v1/ping")
def path_added(old, new):
    new["paths"]["/api/v1/ping"] = {"get": {**copy.deepcopy(op(new, "get", HEALTH)), "operationId": "ping"}}


@case("endpoint-deprecated", "info", f"GET {HEALTH}", "deprecated")
def operation_deprecated(old, new):
    op(new, "get", HEALTH)["deprecated"] = True


@case("endpoint-reactivated", "info", f"GET {HEALTH}", "deprecated")
def operation_reactivated(old, new):
    op(old, "get", HEALTH)["deprecated"] = True


@case("api-operation-id-removed", "warning", f"GET {HEALTH}", "operationId")
def operation_id_changed(old, new):
    op(new, "get", HEALTH)["operationId"] = "healthCheck"


@case("api-operation-id-added", "info", f"GET {HEALTH}", "operationId")
def operation_id_added(old, new):
    del op(old, "get", HEALTH)["operationId"]


# --- security --------------------------------------------------------------------------------------------

@case("api-security-anonymous-access-removed", "breaking", f"GET {HEALTH}", "security")
def security_added_to_public_operation(old, new):
    op(new, "get", HEALTH)["security"] = [{"bearerAuth": []}]


@case("api-security-anonymous-access-added", "info", f"POST {LOGOUT}", "security")
def security_removed_from_operation(old, new):
    op(new, "post", LOGOUT)["security"] = []


@case("api-security-removed", "breaking", f"POST {REVOKE_ALL}", "security")
def authentication_alternative_removed(old, new):
    op(new, "post", REVOKE_ALL)["security"] = [{"bearerAuth": []}]


@case("api-security-added", "info", f"GET {PROFILE}", "security")
def authentication_alternative_added(old, new):
    op(new, "get", PROFILE)["security"].append({"refreshCookie": []})


@case("api-security-scope-added", "breaking", f"GET {PROFILE}", "security.bearerAuth")
def security_scope_added(old, new):
    op(new, "get", PROFILE)["security"][0] = {"bearerAuth": ["admin"]}


@case("api-security-scope-removed", "info", f"GET {PROFILE}", "security.bearerAuth")
def security_scope_removed(old, new):
    op(old, "get", PROFILE)["security"][0] = {"bearerAuth": ["admin"]}


# --- parameters ------------------------------------------------------------------------------------------

@case("new-required-request-parameter", "breaking", f"GET {COURSES}", "parameters.header.X-Tenant")
def required_parameter_added(old, new):
    op(new, "get", COURSES)["parameters"].append(
        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}})


@case("new-optional-request-parameter", "info", f"GET {COURSES}", "parameters.query.tag")
def optional_parameter_added(old, new):
    op(new, "get", COURSES)["parameters"].append({"name": "tag", "in": "query", "schema": {"type": "string"}})


@case("request-parameter-removed", "warning", f"GET {COURSES}", "parameters.query.search")
def parameter_removed(old, new):
    op(new, "get", COURSES)["parameters"].remove(param(new, "get", COURSES, "search"))


@case("request-parameter-removed-with-deprecation", "info", f"GET {COURSES}", "parameters.query.search")
def deprecated_parameter_removed(old, new):
    param(old, "get", COURSES, "search")["deprecated"] = True
    op(new, "get", COURSES)["parameters"].remove(param(new, "get", COURSES, "search"))


@case("request-parameter-became-required", "breaking", f"GET {COURSES}", "parameters.query.search")
def parameter_became_required(old, new):
    param(new, "get", COURSES, "search")["required"] = True


@case("request-parameter-became-optional", "info", f"GET {COURSES}", "parameters.query.search")
def parameter_became_optional(old, new):
    param(old, "get", COURSES, "search")["required"] = True


@case("request-parameter-deprecated", "info", f"GET {COURSES}", "parameters.query.search")
def parameter_deprecated(old, new):
    param(new, "get", COURSES, "search")["deprecated"] = True


@case("request-parameter-reactivated", "info", f"GET {COURSES}", "parameters.query.search")
def parameter_reactivated(old, new):
    param(old, "get", COURSES, "search")["deprecated"] = True


@case("request-parameter-type-changed", "breaking", f"GET {COURSES}", "parameters.query.search")
def parameter_type_changed(old, new):
    param(new, "get", COURSES, "search")["schema"]["type"] = "integer"


@case("request-parameter-type-generalized", "info", f"GET {RECOMMENDED}", "parameters.query.limit")
def parameter_type_generalized(old, new):
    param(new, "get", RECOMMENDED, "limit")["schema"]["type"] = "number"


@case("request-parameter-enum-value-removed", "breaking", f"GET {COURSES}", "parameters.query.difficulty")
def parameter_enum_value_removed(old, new):
    param(new, "get", COURSES, "difficulty")["schema"]["enum"].remove("advanced")


@case("request-parameter-enum-value-added", "info", f"GET {COURSES}", "parameters.query.difficulty")
def parameter_enum_value_added(old, new):
    param(new, "get", COURSES, "difficulty")["schema"]["enum"].append("expert")


@case("request-parameter-max-decreased", "breaking", f"GET {COURSES}", "parameters.query.minRating")
def parameter_maximum_decreased(old, new):
    param(new, "get", COURSES, "minRating")["schema"]["maximum"] = 4


@case("request-parameter-exclusive-max-set", "breaking", f"GET {COURSES}", "parameters.query.minRating")
def parameter_exclusive_maximum_set(old, new):
    param(new, "get", COURSES, "minRating")["schema"]["exclusiveMaximum"] = 5


@case("request-parameter-max-length-increased", "info", f"GET {COURSES}", "parameters.query.search")
def parameter_max_length_increased(old, new):
    param(new, "get", COURSES, "search")["schema"]["maxLength"] = 500


# --- request bodies --------------------------------------------------------------------------------------

@case("request-body-became-required", "breaking", f"POST {REFRESH}", "requestBody")
def request_body_became_required(old, new):
    op(new, "post", REFRESH)["requestBody"]["required"] = True


@case("request-body-became-optional", "info", f"POST {CHECK_ROLE}", "requestBody")
def request_body_became_optional(old, new):
    op(new, "post", CHECK_ROLE)["requestBody"]["required"] = False


@case("request-body-added-required", "breaking", f"POST {LOGOUT}", "requestBody")
def required_request_body_added(old, new):
    op(new, "post", LOGOUT)["requestBody"] = {"required": True, "content": {JSON: {"schema": {"type": "object"}}}}


@case("request-body-added-optional", "info", f"POST {LOGOUT}", "requestBody")
def optional_request_body_added(old, new):
    op(new, "post", LOGOUT)["requestBody"] = {"content": {JSON: {"schema": {"type": "object"}}}}


@case("request-body-removed", "breaking", f"POST {CHECK_ROLE}", "requestBody")
def request_body_removed(old, new):
    del op(new, "post", CHECK_ROLE)["requestBody"]


FORM = "application/x-www-form-urlencoded"


@case("request-body-media-type-removed", "breaking", f"POST {CHECK_ROLE}", f"requestBody.content.{FORM}")
def request_media_type_removed(old, new):
    content = op(old, "post", CHECK_ROLE)["requestBody"]["content"]
    content[FORM] = copy.deepcopy(content[JSON])


@case("request-body-media-type-added", "info", f"POST {CHECK_ROLE}", f"requestBody.content.{FORM}")
def request_media_type_added(old, new):
    content = op(new, "post", CHECK_ROLE)["requestBody"]["content"]
    content[FORM] = copy.deepcopy(content[JSON])


# --- request properties ----------------------------------------------------------------------------------

@case("new-required-request-property", "breaking", f"POST {CHECK_ROLE}", f"{BODY}.scope")
def required_request_property_added(old, new):
    schema(new, "RoleQuery")["properties"]["scope"] = {"type": "string"}
    schema(new, "RoleQuery")["required"].append("scope")


@case("new-required-request-property-with-default", "info", f"POST {CHECK_ROLE}", f"{BODY}.scope")
def required_request_property_with_default_added(old, new):
    schema(new, "RoleQuery")["properties"]["scope"] = {"type": "string", "default": "global"}
    schema(new, "RoleQuery")["required"].append("scope")


@case("new-optional-request-property", "info", f"POST {CHECK_ROLE}", f"{BODY}.scope")
def optional_request_property_added(old, new):
    schema(new, "RoleQuery")["properties"]["scope"] = {"type": "string"}


@case("request-property-removed", "warning", f"POST {REVIEW}", f"{BODY}.comment")
def request_property_removed(old, new):
    del schema(new, "ReviewInput")["properties"]["comment"]


@case("request-property-became-required", "breaking", f"POST {REVIEW}", f"{BODY}.comment")
def request_property_became_required(old, new):
    schema(new, "ReviewInput")["required"].append("comment")


@case("request-property-became-optional", "info", f"POST {REVIEW}", f"{BODY}.rating")
def request_property_became_optional(old, new):
    schema(new, "ReviewInput")["required"].remove("rating")


@case("request-property-type-changed", "breaking", f"POST {REVIEW}", f"{BODY}.rating")
def request_property_type_changed(old, new):
    schema(new, "ReviewInput")["properties"]["rating"]["type"] = "string"


@case("request-property-type-specialized", "breaking", f"POST {REVIEW}", f"{BODY}.comment")
def request_property_format_added(old, new):
    schema(new, "ReviewInput")["properties"]["comment"]["format"] = "email"


@case("request-property-became-not-nullable", "breaking", f"POST {REVIEW}", f"{BODY}.title")
def request_property_became_not_nullable(old, new):
    schema(new, "ReviewInput")["properties"]["title"]["type"] = "string"


@case("request-property-became-nullable", "info", f"POST {REVIEW}", f"{BODY}.comment")
def request_property_became_nullable(old, new):
    schema(new, "ReviewInput")["properties"]["comment"]["type"] = ["string", "null"]


@case("request-property-max-length-decreased", "breaking", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_max_length_decreased(old, new):
    schema(new, "RoleQuery")["properties"]["role"]["maxLength"] = 20


@case("request-property-max-length-increased", "info", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_max_length_increased(old, new):
    schema(new, "RoleQuery")["properties"]["role"]["maxLength"] = 100


@case("request-property-max-length-unset", "info", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_max_length_removed(old, new):
    del schema(new, "RoleQuery")["properties"]["role"]["maxLength"]


@case("request-property-min-length-increased", "breaking", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_min_length_increased(old, new):
    schema(new, "RoleQuery")["properties"]["role"]["minLength"] = 3


@case("request-property-min-length-decreased", "info", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_min_length_decreased(old, new):
    schema(new, "RoleQuery")["properties"]["role"]["minLength"] = 0


@case("request-property-min-increased", "breaking", f"POST {REVIEW}", f"{BODY}.rating")
def request_property_minimum_increased(old, new):
    schema(new, "ReviewInput")["properties"]["rating"]["minimum"] = 2


@case("request-property-max-decreased", "breaking", f"POST {REVIEW}", f"{BODY}.rating")
def request_property_maximum_decreased(old, new):
    schema(new, "ReviewInput")["properties"]["rating"]["maximum"] = 4


@case("request-property-max-increased", "info", f"POST {REVIEW}", f"{BODY}.rating")
def request_property_maximum_increased(old, new):
    schema(new, "ReviewInput")["properties"]["rating"]["maximum"] = 10


@case("request-property-exclusive-min-increased", "breaking", f"PUT {PROGRESS}",
      f"{BODY}.playbackSpeed")
def request_property_exclusive_minimum_increased(old, new):
    schema(new, "ProgressUpdate")["properties"]["playbackSpeed"]["exclusiveMinimum"] = 0.25


@case("request-property-max-items-decreased", "breaking", f"POST {REVIEW}", f"{BODY}.pros")
def request_property_max_items_decreased(old, new):
    schema(old, "ReviewInput")["properties"]["pros"]["maxItems"] = 10
    schema(new, "ReviewInput")["properties"]["pros"]["maxItems"] = 5


@case("request-property-min-items-set", "breaking", f"POST {REVIEW}", f"{BODY}.pros")
def request_property_min_items_set(old, new):
    schema(new, "ReviewInput")["properties"]["pros"]["minItems"] = 1


@case("request-property-pattern-added", "breaking", f"POST {REFRESH}", f"{BODY}.refresh_token")
def request_property_pattern_added(old, new):
    schema(new, "RefreshRequest")["properties"]["refresh_token"]["pattern"] = "^[A-Za-z0-9._-]+$"


@case("request-property-pattern-changed", "warning", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_pattern_changed(old, new):
    schema(new, "RoleQuery")["properties"]["role"]["pattern"] = "^[a-z]+$"


@case("request-property-pattern-removed", "info", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_pattern_removed(old, new):
    del schema(new, "RoleQuery")["properties"]["role"]["pattern"]


@case("request-property-enum-value-removed", "breaking", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_enum_value_removed(old, new):
    schema(old, "RoleQuery")["properties"]["role"]["enum"] = ["student", "instructor", "admin"]
    schema(new, "RoleQuery")["properties"]["role"]["enum"] = ["student", "instructor"]


@case("request-property-enum-value-added", "info", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_enum_value_added(old, new):
    schema(old, "RoleQuery")["properties"]["role"]["enum"] = ["student", "instructor"]
    schema(new, "RoleQuery")["properties"]["role"]["enum"] = ["student", "instructor", "admin"]


@case("request-property-became-enum", "breaking", f"POST {CHECK_ROLE}", f"{BODY}.role")
def request_property_became_enum(old, new):
    schema(new, "RoleQuery")["properties"]["role"]["enum"] = ["student", "instructor", "admin"]


@case("request-body-any-of-removed", "breaking", f"POST {ADD_VIDEO}", BODY)
def request_body_any_of_branch_removed(old, new):
    schema(new, "VideoInput")["anyOf"].pop()  # a video no longer comes from a media file alone


@case("request-body-any-of-added", "info", f"POST {ADD_VIDEO}", BODY)
def request_body_any_of_branch_added(old, new):
    schema(new, "VideoInput")["anyOf"].append({"required": ["sourceUrl"]})


# --- responses ---------------------------------------------------------------------------------------------

@case("response-success-status-removed", "breaking", f"POST {REVIEW}", "responses.201")
def success_status_removed(old, new):
    del op(new, "post", REVIEW)["responses"]["201"]


@case("response-success-status-added", "info", f"GET {HEALTH}", "responses.202")
def success_status_added(old, new):
    responses = op(new, "get", HEALTH)["responses"]
    responses["202"] = copy.deepcopy(responses["200"])


@case("response-non-success-status-removed", "info", f"POST {SIGNUP}", "responses.409")
def error_status_removed(old, new):
    del op(new, "post", SIGNUP)["responses"]["409"]


@case("response-non-success-status-added", "info", f"GET {HEALTH}", "responses.404")
def error_status_added(old, new):
    op(new, "get", HEALTH)["responses"]["404"] = {"description": "Not found."}


@case("response-media-type-removed", "breaking", f"GET {HEALTH}", "responses.200.content.text/plain")
def response_media_type_removed(old, new):
    op(old, "get", HEALTH)["responses"]["200"]["content"]["text/plain"] = {"schema": {"type": "string"}}


@case("response-media-type-added", "info", f"GET {HEALTH}", "responses.200.content.text/plain")
def response_media_type_added(old, new):
    op(new, "get", HEALTH)["responses"]["200"]["content"]["text/plain"] = {"schema": {"type": "string"}}


@case("required-response-header-removed", "breaking", f"GET {HEALTH}", "responses.200.headers.X-Request-Id")
def required_response_header_removed(old, new):
    op(old, "get", HEALTH)["responses"]["200"]["headers"]["X-Request-Id"] = {"required": True,
                                                                            "schema": {"type": "string"}}


@case("optional-response-header-removed", "info", f"GET {HEALTH}", "responses.200.headers.X-RateLimit-Limit")
def optional_response_header_removed(old, new):
    del op(new, "get", HEALTH)["responses"]["200"]["headers"]["X-RateLimit-Limit"]


@case("response-header-became-optional", "breaking", f"GET {HEALTH}", "responses.200.headers.X-Request-Id")
def response_header_became_optional(old, new):
    op(old, "get", HEALTH)["responses"]["200"]["headers"]["X-Request-Id"] = {"required": True,
                                                                            "schema": {"type": "string"}}
    op(new, "get", HEALTH)["responses"]["200"]["headers"]["X-Request-Id"] = {"schema": {"type": "string"}}


# --- response properties -------------------------------------------------------------------------------------

@case("response-required-property-removed", "breaking", f"POST {LOGIN}", f"{LOGIN_USER}.email")
def required_response_property_removed(old, new):
    user = login_user(new)
    del user["properties"]["email"]
    user["required"].remove("email")


@case("response-optional-property-removed", "warning", f"POST {LOGIN}", f"{LOGIN_USER}.nickname")
def optional_response_property_removed(old, new):
    login_user(old)["properties"]["nickname"] = {"type": "string"}


@case("response-required-property-added", "info", f"POST {LOGIN}", f"{LOGIN_USER}.nickname")
def required_response_property_added(old, new):
    user = login_user(new)
    user["properties"]["nickname"] = {"type": "string"}
    user["required"].append("nickname")


@case("response-optional-property-added", "info", f"POST {LOGIN}", f"{LOGIN_USER}.nickname")
def optional_response_property_added(old, new):
    login_user(new)["properties"]["nickname"] = {"type": "string"}


@case("response-property-became-optional", "breaking", f"POST {LOGIN}", f"{LOGIN_USER}.email")
def response_property_became_optional(old, new):
    login_user(new)["required"].remove("email")


@case("response-property-became-required", "info", f"POST {LOGIN}", f"{LOGIN_USER}.email")
def response_property_became_required(old, new):
    login_user(old)["required"].remove("email")


@case("response-property-type-changed", "breaking", f"POST {LOGIN}", f"{LOGIN_USER}.email")
def response_property_type_changed(old, new):
    login_user(new)["properties"]["email"]["type"] = "integer"


@case("response-property-type-specialized", "info", f"POST {LOGIN}", f"{LOGIN_USER}.bio")
def response_property_format_added(old, new):
    login_user(new)["properties"]["bio"]["format"] = "uri"


@case("response-property-enum-value-added", "warning", f"POST {LOGIN}", f"{LOGIN_USER}.status")
def response_property_enum_value_added(old, new):
    login_user(new)["properties"]["status"]["enum"].append("banned")


@case("response-property-enum-value-removed", "info", f"POST {LOGIN}", f"{LOGIN_USER}.status")
def response_property_enum_value_removed(old, new):
    login_user(new)["properties"]["status"]["enum"].remove("pending")


@case("response-property-became-not-enum", "warning", f"POST {LOGIN}", f"{LOGIN_USER}.status")
def response_property_became_not_enum(old, new):
    del login_user(new)["properties"]["status"]["enum"]


@case("response-property-became-nullable", "breaking", f"POST {LOGIN}", f"{LOGIN_USER}.email")
def response_property_became_nullable(old, new):
    login_user(new)["properties"]["email"]["type"] = ["string", "null"]


@case("response-property-became-not-nullable", "info", f"POST {LOGIN}", f"{LOGIN_USER}.avatar_url")
def response_property_became_not_nullable(old, new):
    login_user(new)["properties"]["avatar_url"]["type"] = "string"


@case("response-property-max-length-increased", "breaking", f"POST {LOGIN}", f"{LOGIN_USER}.email")
def response_property_max_length_increased(old, new):
    login_user(new)["properties"]["email"]["maxLength"] = 320


@case("response-property-pattern-removed", "breaking", f"GET {HEALTH}", f"responses.200.content.{JSON}.version")
def response_property_pattern_removed(old, new):
    del schema(new, "Health")["properties"]["version"]["pattern"]


CHAT_MESSAGES = f"responses.200.content.{JSON}.data.messages[]"


@case("response-property-one-of-added", "breaking", f"GET {CHAT}", CHAT_MESSAGES)
def response_one_of_branch_added(old, new):
    schema(new, "ChatMessage")["oneOf"].append({"type": "object", "properties": {"role": {"const": "system"}}})


@case("response-property-one-of-removed", "info", f"GET {CHAT}", CHAT_MESSAGES)
def response_one_of_branch_removed(old, new):
    schema(new, "ChatMessage")["oneOf"].pop()


@case("response-optional-property-removed", "warning", f"GET {CHAT}", f"{CHAT_MESSAGES}.oneOf[UserChatMessage].intent")
def property_removed_inside_one_of_branch(old, new):
    del schema(new, "UserChatMessage")["properties"]["intent"]


@case("response-property-type-changed", "breaking", f"GET {SESSIONS}",
      f"responses.200.content.{JSON}.data.sessions[].is_active")
def property_type_changed_inside_array_items(old, new):
    schema(new, "Session")["properties"]["is_active"]["type"] = "string"


@pytest.mark.parametrize(("edit", "expected"), CASES)
def test_each_rule_reports_exactly_the_injected_change(contract, edit, expected):
    old, new = copy.deepcopy(contract), copy.deepcopy(contract)
    edit(old, new)
    changes = diff_specs(old, new)
    assert [(c.rule_id, c.level, c.operation, c.location) for c in changes] == [expected], \
        "\n".join(f"{c.rule_id} {c.operation} {c.location}: {c.message}" for c in changes)


def test_every_rule_has_a_case():
    """Every hand-written rule has its own case; the generated schema rules have one per keyword family, one per
    bound and one per kind of bound change (the same code handles every schema position)."""
    covered = {expected[0] for _, expected in (c.values for c in CASES)}
    explicit = {rule.id for rule in RULES.values() if rule.family is None}
    assert sorted(explicit - covered) == []
    families = {RULES[rule_id].family for rule_id in covered if RULES[rule_id].family}
    assert sorted(set(SCHEMA_FAMILIES) - families) == []
    assert sorted({name for name, _ in BOUNDS.values()} - {f.rsplit("-", 1)[0] for f in families}) == []
    assert sorted(set(BOUND_EVENTS) - {f.rsplit("-", 1)[1] for f in families}) == []


def test_levels_follow_the_direction_of_the_data():
    """Narrowing a request breaks clients and widening it does not; for a response it is the other way round."""
    assert RULES["request-property-max-length-decreased"].level is Level.BREAKING
    assert RULES["response-property-max-length-decreased"].level is Level.INFO
    assert RULES["request-property-became-nullable"].level is Level.INFO
    assert RULES["response-property-became-nullable"].level is Level.BREAKING
    assert RULES["request-property-pattern-changed"].level is Level.WARNING


# --- whole documents -------------------------------------------------------------------------------------------

def test_an_identical_contract_has_no_changes(contract):
    assert diff_specs(contract, copy.deepcopy(contract)) == []


def test_every_operation_is_compared_when_shared_components_change(contract):
    """Editing the descriptions of components every operation uses makes the comparison walk every schema of every
    operation (nothing is skipped as unchanged); documentation is no change to the wire."""
    new = copy.deepcopy(contract)
    new["components"]["headers"]["RateLimitLimit"]["description"] = "Reworded."
    new["components"]["schemas"]["ErrorDetails"]["description"] = "Reworded."
    new["components"]["schemas"]["User"]["description"] = "Reworded."
    assert diff_specs(contract, new) == []


def test_a_change_in_a_shared_component_is_reported_in_every_operation_using_it(contract):
    """allOf members are merged: CourseInputFields is a member of both the create and the update body."""
    new = copy.deepcopy(contract)
    schema(new, "CourseInputFields")["properties"]["title"]["maxLength"] = 100
    changes = diff_specs(contract, new)
    assert [(c.rule_id, c.operation, c.location) for c in changes] == [
        ("request-property-max-length-decreased", "POST /api/v1/instructor/courses", f"{BODY}.title"),
        ("request-property-max-length-decreased", "PUT /api/v1/instructor/courses/{course_id}", f"{BODY}.title"),
    ]


def test_inline_and_referenced_schemas_compare_equal(contract):
    """Replacing a $ref by a copy of its target, or `anyOf: [X, null]` by a nullable X, changes nothing."""
    new = copy.deepcopy(contract)
    login_user(new)
    course_input = schema(new, "CourseInputFields")["properties"]
    course_input["courseStructure"] = {**copy.deepcopy(schema(new, "FreeFormInput")), "type": ["object", "null"]}
    assert diff_specs(contract, new) == []


def test_a_renamed_path_parameter_is_the_same_route(contract):
    """Two apps may name a path parameter differently; the wire is the same."""
    new = copy.deepcopy(contract)
    item = new["paths"].pop("/api/v1/courses/{course_id}/reviews")
    item["get"]["parameters"][0] = {**contract["components"]["parameters"]["CourseId"], "name": "id"}
    new["paths"]["/api/v1/courses/{id}/reviews"] = item
    assert diff_specs(contract, new) == []


def test_a_recursive_schema_is_walked_once(contract):
    """A tree of Nodes is compared down to the first repetition of the same pair of references, so the change
    shows once, where it first appears, and the walk ends."""
    old, new = copy.deepcopy(contract), copy.deepcopy(contract)
    for spec, max_length in ((old, 100), (new, 50)):
        children = {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
        spec["components"]["schemas"]["Node"] = {
            "type": "object", "properties": {"name": {"type": "string", "maxLength": max_length}, "children": children}}
        schema(spec, "RoleQuery")["properties"]["tree"] = {"$ref": "#/components/schemas/Node"}
    changes = diff_specs(old, new)
    assert [(c.rule_id, c.location) for c in changes] == [
        ("request-property-max-length-decreased", f"{BODY}.tree.name")]


def test_both_directions_lists_what_each_side_offers_that_the_other_does_not(contract):
    legacy, candidate = copy.deepcopy(contract), copy.deepcopy(contract)
    del candidate["paths"][HEALTH]
    candidate["paths"]["/api/v1/ping"] = {"get": {**copy.deepcopy(op(legacy, "get", HEALTH)), "operationId": "ping"}}
    forward, reverse = compare(legacy, candidate, old_label="legacy", new_label="candidate", both_directions=True)
    assert (forward.old, forward.new, reverse.old, reverse.new) == ("legacy", "candidate", "candidate", "legacy")
    assert [(c.rule_id, c.operation) for c in forward.changes] == [
        ("api-path-removed-without-deprecation", "GET /health"), ("endpoint-added", "GET /api/v1/ping")]
    assert [(c.rule_id, c.operation) for c in reverse.changes] == [
        ("api-path-removed-without-deprecation", "GET /api/v1/ping"), ("endpoint-added", "GET /health")]
    assert gate_failed([forward, reverse], "breaking")
    assert not gate_failed([forward, reverse], "never")


@pytest.mark.parametrize(("level", "fail_on", "failed"), [
    (Level.BREAKING, "breaking", True), (Level.WARNING, "breaking", False), (Level.WARNING, "warning", True),
    (Level.INFO, "warning", False), (Level.BREAKING, "never", False),
])
def test_gate_fails_at_or_above_the_chosen_level(contract, level, fail_on, failed):
    edit = {Level.BREAKING: operation_removed, Level.WARNING: parameter_removed, Level.INFO: operation_deprecated}
    old, new = copy.deepcopy(contract), copy.deepcopy(contract)
    edit[level](old, new)
    diffs = compare(old, new)
    assert [c.level for c in diffs[0].changes] == [level]
    assert gate_failed(diffs, fail_on) is failed


# -- issue 10: references never leave the local files; bad ones are one-line SpecErrors ---------------------

_CYCLE = {"X": "{type: object}", "Y": '{$ref: "#/components/schemas/Z"}', "Z": '{$ref: "#/components/schemas/Y"}'}


@pytest.mark.parametrize("ref, reason", [
    ("http://10.0.0.1/r.yaml#/X", "is a URL"),
    ("file:///etc/passwd#/X", "outside"),
    ("nowhere.yaml#/X", "names a file that does not exist"),
    ("#/components/schemas/Nope", "points to nothing in the document"),
    ("#/components/schemas/Y", "reference cycle #/components/schemas/Y -> #/components/schemas/Z"),
])
def test_load_spec_refuses_references_it_cannot_or_must_not_follow(tmp_path, ref, reason):
    from harness.contract.specdiff import SpecError, load_spec

    path = tmp_path / "spec.yaml"
    path.write_text(ref_spec(ref, _CYCLE))
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert reason in str(caught.value) and "\n" not in str(caught.value)


def test_a_literal_ref_inside_an_example_is_data_not_a_reference(tmp_path):
    from harness.contract.specdiff import load_spec

    path = tmp_path / "spec.yaml"
    path.write_text(ref_spec("#/components/schemas/X", {"X": "{type: object, example: {$ref: 'http://10.0.0.1/'}}"}))
    assert load_spec(path)["components"]["schemas"]["X"]["example"] == {"$ref": "http://10.0.0.1/"}
