"""The rule table of the spec diff: every kind of change it reports, with its id, level, summary and message.

Ids and levels follow oasdiff's checker (github.com/oasdiff/oasdiff, checker/rules.go and the checker/check_*.go
files that define each id). oasdiff v1.30 derives a level from the change's *effect*: a change that narrows what a
request may carry, or widens what a response may contain, breaks clients; the opposite is safe; a change whose
effect cannot be computed (a rewritten regex) is a warning.

Two kinds of rule make up `RULES`:
- the hand-written rules below, one line each, citing the oasdiff check they mirror and saying why wherever the
  level differs from oasdiff's;
- the schema rules, generated: one per schema position (`SCHEMA_PREFIXES`: a parameter's schema, a body's root
  schema, a property below one) and keyword family (`SCHEMA_FAMILIES`, `BOUNDS` x `BOUND_EVENTS`), their level
  given by the effect model (`_level`). Their messages start with the property (or `body`) they concern.

A message is a `str.format` template; the check that reports a change fills in its fields.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import NamedTuple


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    BREAKING = "breaking"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    level: Level
    summary: str
    family: str | None = None  # the schema-keyword family a generated rule belongs to (SCHEMA_FAMILIES, BOUNDS)
    message: str = ""  # a str.format template, filled in by the check that reports the change


RULES: dict[str, Rule] = {}


def _rule(rule_id: str, level: Level, summary: str, message: str, family: str | None = None) -> str:
    RULES[rule_id] = Rule(rule_id, level, summary, family, message)
    return rule_id


BREAKING, WARNING, INFO = Level.BREAKING, Level.WARNING, Level.INFO

# --- hand-written rules: constant = _rule(id, level, summary, message template) ------------------------------

# Operations and paths (oasdiff APIAddedCheck, APIRemovedCheck, APIDeprecationCheck).
ENDPOINT_ADDED = _rule("endpoint-added", INFO, "an operation was added", "the operation was added")
API_REMOVED = _rule("api-removed-without-deprecation", BREAKING,
                    "an operation was removed without being deprecated first",
                    "the operation was removed")
API_REMOVED_DEPRECATED = _rule("api-removed-with-deprecation", INFO, "a deprecated operation was removed",
                               "the operation was removed")
API_PATH_REMOVED = _rule("api-path-removed-without-deprecation", BREAKING,
                         "a path was removed without being deprecated first",
                         "path {path} was removed")
API_PATH_REMOVED_DEPRECATED = _rule("api-path-removed-with-deprecation", INFO, "a deprecated path was removed",
                                    "path {path} was removed")
ENDPOINT_DEPRECATED = _rule("endpoint-deprecated", INFO, "an operation was deprecated", "the operation was deprecated")
ENDPOINT_REACTIVATED = _rule("endpoint-reactivated", INFO, "an operation is no longer deprecated",
                             "the operation is no longer deprecated")
# oasdiff APIOperationIdUpdatedCheck reports a changed or removed operationId at INFO; here it is a warning because
# generated clients name their methods after it, so a rename breaks their builds (not the wire).
OPERATION_ID_REMOVED = _rule("api-operation-id-removed", WARNING, "the operationId was changed or removed",
                             "operationId {change}")
OPERATION_ID_ADDED = _rule("api-operation-id-added", INFO, "an operationId was added",
                           "operationId {operation_id!r} was added")

# Security (oasdiff APISecurityUpdatedCheck, v1.30 levels). A security list is a set of alternatives: one that
# requires nothing (`{}`, or an empty list) lets anonymous callers in.
SECURITY_ANONYMOUS_REMOVED = _rule("api-security-anonymous-access-removed", BREAKING,
                                   "a security requirement was added to an operation that anonymous callers could use",
                                   "anonymous callers are now refused: it requires {alternatives}")
SECURITY_ANONYMOUS_ADDED = _rule("api-security-anonymous-access-added", INFO,
                                 "an operation's security requirement was removed: anonymous callers may use it",
                                 "anonymous callers may now use the operation")
SECURITY_REMOVED = _rule("api-security-removed", BREAKING, "a way to authenticate was removed; its clients are refused",
                         "{alternatives} is no longer accepted")
SECURITY_ADDED = _rule("api-security-added", INFO, "a new way to authenticate was added",
                       "{alternatives} was added as a way to authenticate")
SECURITY_SCOPE_ADDED = _rule("api-security-scope-added", BREAKING, "an authentication alternative needs another scope",
                             "{scheme} now also needs scope {scope!r}")
SECURITY_SCOPE_REMOVED = _rule("api-security-scope-removed", INFO, "an authentication alternative needs one scope less",
                               "{scheme} no longer needs scope {scope!r}")

# Parameters (oasdiff NewRequestNonPathParameterCheck, RequestParameterRemovedCheck,
# RequestParameterRequiredValueUpdatedCheck, RequestParameterDeprecationCheck).
NEW_REQUIRED_PARAMETER = _rule("new-required-request-parameter", BREAKING, "a required parameter was added",
                               "a required {parameter} was added")
NEW_OPTIONAL_PARAMETER = _rule("new-optional-request-parameter", INFO, "an optional parameter was added",
                               "an optional {parameter} was added")
PARAMETER_REMOVED = _rule("request-parameter-removed", WARNING,
                          "a parameter was removed: clients still sending it may now be ignored or refused",
                          "the {parameter} was removed")
PARAMETER_REMOVED_DEPRECATED = _rule("request-parameter-removed-with-deprecation", INFO,
                                     "a deprecated parameter was removed",
                                     "the {parameter} was removed")
PARAMETER_BECAME_REQUIRED = _rule("request-parameter-became-required", BREAKING,
                                  "an optional parameter became required",
                                  "the {parameter} became required")
PARAMETER_BECAME_OPTIONAL = _rule("request-parameter-became-optional", INFO, "a required parameter became optional",
                                  "the {parameter} became optional")
PARAMETER_DEPRECATED = _rule("request-parameter-deprecated", INFO, "a parameter was deprecated",
                             "the {parameter} was deprecated")
PARAMETER_REACTIVATED = _rule("request-parameter-reactivated", INFO, "a parameter is no longer deprecated",
                              "the {parameter} is no longer deprecated")

# Request bodies (oasdiff AddedRequestBodyCheck, RequestBodyRemovedCheck, RequestBodyRequiredUpdatedCheck,
# RequestBodyMediaTypeChangedCheck).
BODY_ADDED_REQUIRED = _rule("request-body-added-required", BREAKING, "a required request body was added",
                            "a required request body was added")
BODY_ADDED_OPTIONAL = _rule("request-body-added-optional", INFO, "an optional request body was added",
                            "an optional request body was added")
BODY_REMOVED = _rule("request-body-removed", BREAKING, "the request body was removed", "the request body was removed")
BODY_BECAME_REQUIRED = _rule("request-body-became-required", BREAKING, "the request body became required",
                             "the request body became required")
BODY_BECAME_OPTIONAL = _rule("request-body-became-optional", INFO, "the request body became optional",
                             "the request body became optional")
BODY_MEDIA_TYPE_REMOVED = _rule("request-body-media-type-removed", BREAKING,
                                "a request media type is no longer accepted",
                                "media type {media_type} was removed")
BODY_MEDIA_TYPE_ADDED = _rule("request-body-media-type-added", INFO, "a request media type was added",
                              "media type {media_type} was added")

# Request properties (oasdiff RequestPropertyUpdatedCheck, RequestPropertyRequiredUpdatedCheck).
REQUEST_PROPERTY_REMOVED = _rule("request-property-removed", WARNING,
                                 "a request property was removed: clients still sending it may be ignored or refused",
                                 "request property {property} was removed")
NEW_REQUIRED_PROPERTY = _rule("new-required-request-property", BREAKING, "a required request property was added",
                              "required request property {property} was added")
NEW_REQUIRED_PROPERTY_WITH_DEFAULT = _rule("new-required-request-property-with-default", INFO,
                                           "a required request property with a default was added",
                                           "required request property {property} was added")
NEW_OPTIONAL_PROPERTY = _rule("new-optional-request-property", INFO, "an optional request property was added",
                              "optional request property {property} was added")
REQUEST_PROPERTY_BECAME_REQUIRED = _rule("request-property-became-required", BREAKING,
                                         "a request property became required",
                                         "{property} became required")
REQUEST_PROPERTY_BECAME_OPTIONAL = _rule("request-property-became-optional", INFO, "a request property became optional",
                                         "{property} became optional")

# Responses (oasdiff ResponseSuccessStatusUpdatedCheck, ResponseNonSuccessStatusUpdatedCheck,
# ResponseMediaTypeUpdatedCheck, ResponseHeaderRemovedCheck, ResponseHeaderBecameOptionalCheck).
SUCCESS_STATUS_REMOVED = _rule("response-success-status-removed", BREAKING, "a success status is no longer returned",
                               "status {status} is no longer returned")
SUCCESS_STATUS_ADDED = _rule("response-success-status-added", INFO, "a success status was added",
                             "status {status} was added")
NON_SUCCESS_STATUS_REMOVED = _rule("response-non-success-status-removed", INFO,
                                   "an error status is no longer documented",
                                   "status {status} is no longer returned")
NON_SUCCESS_STATUS_ADDED = _rule("response-non-success-status-added", INFO, "an error status was added",
                                 "status {status} was added")
RESPONSE_MEDIA_TYPE_REMOVED = _rule("response-media-type-removed", BREAKING,
                                    "a response media type is no longer returned",
                                    "media type {media_type} was removed")
RESPONSE_MEDIA_TYPE_ADDED = _rule("response-media-type-added", INFO, "a response media type was added",
                                  "media type {media_type} was added")
REQUIRED_HEADER_REMOVED = _rule("required-response-header-removed", BREAKING, "a required response header was removed",
                                "header {header} is no longer sent")
OPTIONAL_HEADER_REMOVED = _rule("optional-response-header-removed", INFO, "an optional response header was removed",
                                "header {header} is no longer sent")
HEADER_BECAME_OPTIONAL = _rule("response-header-became-optional", BREAKING,
                               "a required response header became optional",
                               "header {header} is no longer always sent")

# Response properties (oasdiff ResponseRequiredPropertyUpdatedCheck, ResponseOptionalPropertyUpdatedCheck,
# ResponsePropertyBecameOptionalCheck, ResponsePropertyBecameRequiredCheck).
RESPONSE_REQUIRED_PROPERTY_REMOVED = _rule("response-required-property-removed", BREAKING,
                                           "a required response property was removed",
                                           "required response property {property} was removed")
# oasdiff v1.30 lowered this to INFO; a warning (its earlier level) keeps a parity run from hiding a field one
# app sends and the other does not.
RESPONSE_OPTIONAL_PROPERTY_REMOVED = _rule("response-optional-property-removed", WARNING,
                                           "an optional response property was removed",
                                           "optional response property {property} was removed")
RESPONSE_REQUIRED_PROPERTY_ADDED = _rule("response-required-property-added", INFO,
                                         "a required response property was added",
                                         "required response property {property} was added")
RESPONSE_OPTIONAL_PROPERTY_ADDED = _rule("response-optional-property-added", INFO,
                                         "an optional response property was added",
                                         "optional response property {property} was added")
RESPONSE_PROPERTY_BECAME_OPTIONAL = _rule("response-property-became-optional", BREAKING,
                                          "a required response property became optional",
                                          "{property} became optional")
RESPONSE_PROPERTY_BECAME_REQUIRED = _rule("response-property-became-required", INFO,
                                          "an optional response property became required",
                                          "{property} became required")


# --- generated schema rules -----------------------------------------------------------------------------------

class Effect(Enum):
    """What a schema change does to the set of values the schema allows."""

    NARROWS = "narrows"
    WIDENS = "widens"
    UNKNOWN = "unknown"  # cannot be computed: a regex rewritten
    INCOMPARABLE = "incomparable"  # neither: an integer became a string


class Family(NamedTuple):
    effect: Effect
    summary: str
    message: str  # after "<property>: "


#: Schema-keyword families; each becomes one rule per schema position (SCHEMA_PREFIXES), e.g.
#: "request-property-enum-value-removed", named as oasdiff names them.
SCHEMA_FAMILIES: dict[str, Family] = {
    "type-changed": Family(Effect.INCOMPARABLE, "the type changed", "{change}"),
    "type-generalized": Family(Effect.WIDENS, "the type or format was generalized", "{change}"),
    "type-specialized": Family(Effect.NARROWS, "the type or format was specialized", "{change}"),
    "became-nullable": Family(Effect.WIDENS, "null became allowed", "null became allowed"),
    "became-not-nullable": Family(Effect.NARROWS, "null is no longer allowed", "null is no longer allowed"),
    "enum-value-added": Family(Effect.WIDENS, "an enum value was added", "value {value} was added"),
    "enum-value-removed": Family(Effect.NARROWS, "an enum value was removed", "value {value} was removed"),
    "became-enum": Family(Effect.NARROWS, "the values became an enum", "values restricted to {values}"),
    "became-not-enum": Family(Effect.WIDENS, "the values are no longer an enum",
                              "values are no longer restricted to an enum"),
    "pattern-added": Family(Effect.NARROWS, "a pattern was added", "pattern {pattern} was added"),
    "pattern-removed": Family(Effect.WIDENS, "the pattern was removed", "pattern {pattern} was removed"),
    "pattern-changed": Family(Effect.UNKNOWN, "the pattern changed", "pattern changed from {before} to {after}"),
    "one-of-added": Family(Effect.WIDENS, "a oneOf branch was added", "oneOf branch {branch} was added"),
    "one-of-removed": Family(Effect.NARROWS, "a oneOf branch was removed", "oneOf branch {branch} was removed"),
    "any-of-added": Family(Effect.WIDENS, "an anyOf branch was added", "anyOf branch {branch} was added"),
    "any-of-removed": Family(Effect.NARROWS, "an anyOf branch was removed", "anyOf branch {branch} was removed"),
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
#: A bound rule's message, after "<property>: <keyword> ".
BOUND_MESSAGES = {
    "set": "{after} was set",
    "unset": "{before} was removed",
    "increased": "increased from {before} to {after}",
    "decreased": "decreased from {before} to {after}",
}
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
_LEVEL_OVERRIDES = {("response", "enum-value-added"): WARNING, ("response", "became-not-enum"): WARNING}


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
        return WARNING
    if effect is Effect.INCOMPARABLE:
        return BREAKING
    harmful = Effect.NARROWS if direction == "request" else Effect.WIDENS
    return BREAKING if effect is harmful else INFO


def _register_schema_rules() -> None:
    for prefix, direction in SCHEMA_PREFIXES.items():
        for family, (effect, summary, message) in SCHEMA_FAMILIES.items():
            _rule(f"{prefix}-{family}", _level(direction, effect, family), summary, "{subject}: " + message, family)
        for keyword, (name, lower_is_tighter) in BOUNDS.items():
            for event in BOUND_EVENTS:
                family = f"{name}-{event}"
                _rule(f"{prefix}-{family}", _level(direction, _bound_effect(lower_is_tighter, event), family),
                      f"{keyword} {event}", f"{{subject}}: {keyword} {BOUND_MESSAGES[event]}", family)


_register_schema_rules()
