"""The request body rules of API.md §1.1 and §1.3, shared by every view: JSON object bodies, an empty
body as {} where every field is optional, and the legacy reasons for each refusal."""
from __future__ import annotations

import json
from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from .exceptions import InvalidRequest, validation_error


def json_body(request: Request, *, allow_empty: bool = True) -> dict[str, Any]:
    raw = request._request.body  # cached by Django; DRF's parser reads the same bytes later if needed
    if not raw.strip():
        if allow_empty:
            return {}
        raise InvalidRequest("A JSON request body is required", details={"field": "body", "reason": "is required"})
    content_type = (request.content_type or "").split(";", 1)[0].strip().lower()
    is_json = content_type == "application/json" or (content_type.startswith("application/")
                                                      and content_type.endswith("+json"))
    if not is_json:
        raise InvalidRequest("Content-Type must be application/json",
                             details={"field": "Content-Type", "reason": "must be application/json"})
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise InvalidRequest("Malformed JSON body", details={"field": "body", "reason": "is not valid JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidRequest("The JSON body must be an object",
                             details={"field": "body", "reason": "must be an object"})
    return data


def validated(serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The serializer's validated data, or the legacy 400 naming the first failing field."""
    serializer = serializer_class(data=data, partial=partial)
    if not serializer.is_valid():
        raise validation_error(serializer.errors)
    return dict(serializer.validated_data)


def body(request: Request, serializer_class: type[serializers.Serializer], *, partial: bool = False) -> dict[str, Any]:
    return validated(serializer_class, json_body(request), partial=partial)


def query(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    return validated(serializer_class, request.query_params)
