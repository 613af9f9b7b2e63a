"""One operation both documents have: what changed in it, check by check (`OperationDiff.run`).

- the operation itself: deprecation and operationId;
- security: the alternatives of its requirement list (security.py);
- parameters, matched so that a renamed path parameter in the same position is the same parameter and header
  names compare case-insensitively (`operation_parameters`);
- the request body: added, removed, required, its media types;
- responses: status codes, headers, media types.
Schemas under parameters, bodies and media types go to `SchemaDiff`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.contract.specdiff.changes import SpecChange, flag_changes, new_change
from harness.contract.specdiff.refs import Document
from harness.contract.specdiff.rules import (
    BODY_ADDED_OPTIONAL,
    BODY_ADDED_REQUIRED,
    BODY_BECAME_OPTIONAL,
    BODY_BECAME_REQUIRED,
    BODY_MEDIA_TYPE_ADDED,
    BODY_MEDIA_TYPE_REMOVED,
    BODY_REMOVED,
    ENDPOINT_DEPRECATED,
    ENDPOINT_REACTIVATED,
    HEADER_BECAME_OPTIONAL,
    NEW_OPTIONAL_PARAMETER,
    NEW_REQUIRED_PARAMETER,
    NON_SUCCESS_STATUS_ADDED,
    NON_SUCCESS_STATUS_REMOVED,
    OPERATION_ID_ADDED,
    OPERATION_ID_REMOVED,
    OPTIONAL_HEADER_REMOVED,
    PARAMETER_BECAME_OPTIONAL,
    PARAMETER_BECAME_REQUIRED,
    PARAMETER_DEPRECATED,
    PARAMETER_REACTIVATED,
    PARAMETER_REMOVED,
    PARAMETER_REMOVED_DEPRECATED,
    REQUIRED_HEADER_REMOVED,
    RESPONSE_MEDIA_TYPE_ADDED,
    RESPONSE_MEDIA_TYPE_REMOVED,
    SUCCESS_STATUS_ADDED,
    SUCCESS_STATUS_REMOVED,
)
from harness.contract.specdiff.schema import SchemaDiff
from harness.contract.specdiff.security import Requirements, security_changes

from .changes import only_in

#: OpenAPI says parameters with these names are ignored (the media types and security say it instead).
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


@dataclass(frozen=True, slots=True)
class OperationVersion:
    """One document's version of the operation: its path template, path item and operation object."""

    doc: Document
    path: str
    item: Mapping
    op: Mapping


class OperationDiff:
    """The changes inside one operation both documents have, appended to `out` check by check."""

    def __init__(self, old: Document, new: Document, operation: str, out: list[SpecChange]) -> None:
        self.old, self.new, self.operation, self.out = old, new, operation, out

    def emit(self, rule_id: str, location: str, old: Any = None, new: Any = None, /, **fields: Any) -> None:
        self.out.append(new_change(rule_id, self.operation, location, old, new, **fields))

    def run(self, old_path: str, old_item: Mapping, old_op: Mapping, new_path: str, new_item: Mapping,
            new_op: Mapping) -> None:
        old = OperationVersion(self.old, old_path, old_item, old_op)
        new = OperationVersion(self.new, new_path, new_item, new_op)
        for check in (self.metadata, self.security, self.parameters, self.request_body, self.responses):
            check(old, new)

    # -- the operation itself --

    def metadata(self, old: OperationVersion, new: OperationVersion) -> None:
        flag_changes(self.emit, old.op.get("deprecated"), new.op.get("deprecated"), ENDPOINT_DEPRECATED,
                     ENDPOINT_REACTIVATED, "deprecated")
        old_id, new_id = old.op.get("operationId"), new.op.get("operationId")
        if old_id and old_id != new_id:
            change = f"changed from {old_id!r} to {new_id!r}" if new_id else f"{old_id!r} was removed"
            self.emit(OPERATION_ID_REMOVED, "operationId", old_id, new_id, change=change)
        elif new_id and not old_id:
            self.emit(OPERATION_ID_ADDED, "operationId", None, new_id, operation_id=new_id)

    def security(self, old: OperationVersion, new: OperationVersion) -> None:
        security_changes(self.emit, Requirements.of(old.doc.spec, old.op), Requirements.of(new.doc.spec, new.op))

    # -- parameters --

    def parameters(self, old: OperationVersion, new: OperationVersion) -> None:
        old_params = operation_parameters(old.doc, old.path, old.item, old.op)
        new_params = operation_parameters(new.doc, new.path, new.item, new.op)
        for key, old_param in old_params.items():
            new_param = new_params.get(key)
            if new_param is None:
                rule = PARAMETER_REMOVED_DEPRECATED if old_param.get("deprecated") else PARAMETER_REMOVED
                self.emit(rule, _where(old_param), old_param.get("name"), None, parameter=_label(old_param))
            else:
                self._parameter(old_param, new_param)
        for key, new_param in new_params.items():
            if key not in old_params:
                rule = NEW_REQUIRED_PARAMETER if _required(new_param) else NEW_OPTIONAL_PARAMETER
                self.emit(rule, _where(new_param), None, new_param.get("name"), parameter=_label(new_param))

    def _parameter(self, old_param: dict, new_param: dict) -> None:
        location, label = _where(old_param), _label(old_param)
        flag_changes(self.emit, _required(old_param), _required(new_param), PARAMETER_BECAME_REQUIRED,
                     PARAMETER_BECAME_OPTIONAL, location, parameter=label)
        flag_changes(self.emit, old_param.get("deprecated"), new_param.get("deprecated"), PARAMETER_DEPRECATED,
                     PARAMETER_REACTIVATED, location, parameter=label)
        SchemaDiff(self.old, self.new, self.emit, "request").compare(
            _parameter_schema(old_param), _parameter_schema(new_param), location, "request-parameter")

    # -- request body --

    def request_body(self, old: OperationVersion, new: OperationVersion) -> None:
        old_raw, new_raw = old.op.get("requestBody"), new.op.get("requestBody")
        old_body = self.old.resolve(old_raw)[0] if old_raw is not None else None
        new_body = self.new.resolve(new_raw)[0] if new_raw is not None else None
        if old_body is None and new_body is None:
            return
        if old_body is None:
            required = bool(new_body.get("required"))
            self.emit(BODY_ADDED_REQUIRED if required else BODY_ADDED_OPTIONAL, "requestBody", None, required)
            return
        if new_body is None:
            self.emit(BODY_REMOVED, "requestBody", bool(old_body.get("required")), None)
            return
        flag_changes(self.emit, old_body.get("required"), new_body.get("required"), BODY_BECAME_REQUIRED,
                     BODY_BECAME_OPTIONAL, "requestBody")
        self.content(old_body.get("content") or {}, new_body.get("content") or {}, "requestBody", "request",
                     BODY_MEDIA_TYPE_REMOVED, BODY_MEDIA_TYPE_ADDED)

    def content(self, old_content: Mapping, new_content: Mapping, base: str, direction: str, removed_rule: str,
                added_rule: str) -> None:
        for media_type, old_media in old_content.items():
            location = f"{base}.content.{media_type}"
            if media_type not in new_content:
                self.emit(removed_rule, location, media_type, None, media_type=media_type)
                continue
            old_schema = (old_media or {}).get("schema")
            new_schema = (new_content[media_type] or {}).get("schema")
            if old_schema is not None and new_schema is not None:
                SchemaDiff(self.old, self.new, self.emit, direction).compare(old_schema, new_schema, location,
                                                                             f"{direction}-body")
        for media_type in only_in(new_content, old_content):
            self.emit(added_rule, f"{base}.content.{media_type}", None, media_type, media_type=media_type)

    # -- responses --

    def responses(self, old: OperationVersion, new: OperationVersion) -> None:
        old_by_status = {str(status).upper(): raw for status, raw in (old.op.get("responses") or {}).items()}
        new_by_status = {str(status).upper(): raw for status, raw in (new.op.get("responses") or {}).items()}
        for status, old_raw in old_by_status.items():
            if status in new_by_status:
                self._response(old_raw, new_by_status[status], f"responses.{status}")
                continue
            rule = SUCCESS_STATUS_REMOVED if status.startswith("2") else NON_SUCCESS_STATUS_REMOVED
            self.emit(rule, f"responses.{status}", status, None, status=status)
        for status in only_in(new_by_status, old_by_status):
            rule = SUCCESS_STATUS_ADDED if status.startswith("2") else NON_SUCCESS_STATUS_ADDED
            self.emit(rule, f"responses.{status}", None, status, status=status)

    def _response(self, old_raw: Any, new_raw: Any, location: str) -> None:
        old_response = self.old.resolve(old_raw)[0] or {}
        new_response = self.new.resolve(new_raw)[0] or {}
        self.headers(old_response.get("headers") or {}, new_response.get("headers") or {}, location)
        self.content(old_response.get("content") or {}, new_response.get("content") or {}, location, "response",
                     RESPONSE_MEDIA_TYPE_REMOVED, RESPONSE_MEDIA_TYPE_ADDED)

    def headers(self, old_headers: Mapping, new_headers: Mapping, base: str) -> None:
        new_by_name = {name.lower(): raw for name, raw in new_headers.items()}
        for name, old_raw in old_headers.items():
            old_header = self.old.resolve(old_raw)[0] or {}
            location = f"{base}.headers.{name}"
            if name.lower() not in new_by_name:
                rule = REQUIRED_HEADER_REMOVED if old_header.get("required") else OPTIONAL_HEADER_REMOVED
                self.emit(rule, location, name, None, header=name)
                continue
            new_header = self.new.resolve(new_by_name[name.lower()])[0] or {}
            if old_header.get("required") and not new_header.get("required"):
                self.emit(HEADER_BECAME_OPTIONAL, location, True, False, header=name)


# --- parameters ----------------------------------------------------------------------------------------------

def operation_parameters(doc: Document, path: str, path_item: Mapping, operation: Mapping) -> dict[tuple, dict]:
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
    return {_parameter_key(where, name, template): parameter for (where, name), parameter in declared.items()}


def _parameter_key(where: str, name: str, template: list[str]) -> tuple:
    if where == "path" and name in template:
        return "path", template.index(name)
    if where == "header":
        return "header", name.lower()
    return where, name


def _where(parameter: Mapping[str, Any]) -> str:
    return f"parameters.{parameter.get('in')}.{parameter.get('name')}"


def _label(parameter: Mapping[str, Any]) -> str:
    return f"{parameter.get('in')} parameter {parameter.get('name')!r}"


def _required(parameter: Mapping[str, Any]) -> bool:
    return bool(parameter.get("required")) or parameter.get("in") == "path"


def _parameter_schema(parameter: Mapping[str, Any]) -> Any:
    if "schema" in parameter:
        return parameter["schema"]
    for media in (parameter.get("content") or {}).values():
        return (media or {}).get("schema", {})
    return {}
