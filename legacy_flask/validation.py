"""Request parsing: JSON bodies, query strings and multipart forms checked against small field specs.

Failures become 400 INVALID_REQUEST with details {field, reason} naming the first failing field
(API.md §1.3). Unknown body fields are ignored (API.md §1.1).
"""
from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

from .errors import InvalidRequest, invalid_field

MISSING: Any = object()


class FieldError(ValueError):
    pass


@dataclass(slots=True)
class Field:
    required: bool = False
    nullable: bool = False
    default: Any = MISSING

    def parse(self, value: Any) -> Any:  # pragma: no cover - overridden
        return value

    def from_query(self, raw: str) -> Any:
        return self.parse(raw)


@dataclass(slots=True)
class Str(Field):
    min_len: int = 0
    max_len: int | None = None
    choices: tuple[str, ...] | None = None
    pattern: str | None = None

    def parse(self, value: Any) -> str:
        if not isinstance(value, str):
            raise FieldError("must be a string")
        if "\x00" in value:  # no database column can hold it (PostgreSQL refuses NUL in text)
            raise FieldError("must not contain NUL characters")
        if len(value.strip()) < self.min_len:
            raise FieldError("must not be empty" if self.min_len == 1
                             else f"must be at least {self.min_len} characters")
        if self.max_len is not None and len(value) > self.max_len:
            raise FieldError(f"must be at most {self.max_len} characters")
        if self.choices is not None and value not in self.choices:
            raise FieldError("must be one of " + ", ".join(self.choices))
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise FieldError("has an invalid format")
        return value


@dataclass(slots=True)
class Email(Field):
    def parse(self, value: Any) -> str:
        if (not isinstance(value, str) or len(value) > 255 or "\x00" in value
                or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip())):
            raise FieldError("must be a valid email address")
        return value.strip().lower()


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MAX = 2**63 - 1


@dataclass(slots=True)
class Int(Field):
    """An integer. Unless `big`, it must fit the INTEGER columns it is stored in (32 bits), so an
    oversized value is a 400 here instead of a database error."""

    min: int | None = None
    max: int | None = None
    big: bool = False

    def parse(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise FieldError("must be an integer")
        low, high = (-INT64_MAX - 1, INT64_MAX) if self.big else (INT32_MIN, INT32_MAX)
        if not low <= value <= high:
            raise FieldError("is out of range")
        if self.min is not None and value < self.min:
            raise FieldError(f"must be at least {self.min}")
        if self.max is not None and value > self.max:
            raise FieldError(f"must be at most {self.max}")
        return value

    def from_query(self, raw: str) -> int:
        # "5" and "5.0" are the same integer (as in JSON bodies and JSON Schema); "5.5" and "abc" are not.
        try:
            number = float(raw.strip())
        except ValueError:
            raise FieldError("must be an integer") from None
        if not math.isfinite(number) or not number.is_integer():
            raise FieldError("must be an integer")
        return self.parse(int(number))


@dataclass(slots=True)
class Number(Field):
    min: float | None = None
    gt: float | None = None
    max: float | None = None

    def parse(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise FieldError("must be a number")
        if self.min is not None and value < self.min:
            raise FieldError(f"must be at least {self.min:g}")
        if self.gt is not None and value <= self.gt:
            raise FieldError(f"must be greater than {self.gt:g}")
        if self.max is not None and value > self.max:
            raise FieldError(f"must be at most {self.max:g}")
        return value

    def from_query(self, raw: str) -> float:
        try:
            number = float(raw.strip())
        except ValueError:
            raise FieldError("must be a number") from None
        return self.parse(number)


@dataclass(slots=True)
class Bool(Field):
    def parse(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise FieldError("must be a boolean")
        return value

    def from_query(self, raw: str) -> bool:
        if raw.lower() in {"true", "1"}:
            return True
        if raw.lower() in {"false", "0"}:
            return False
        raise FieldError("must be a boolean")


@dataclass(slots=True)
class Uuid(Field):
    def parse(self, value: Any) -> str:
        if not isinstance(value, str) or not is_uuid(value):
            raise FieldError("must be a UUID")
        return value.lower()


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


@dataclass(slots=True)
class Obj(Field):
    """A free-form JSON object (stored as JSONB, which cannot hold NUL characters)."""

    def parse(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise FieldError("must be an object")
        if _holds_nul(value):
            raise FieldError("must not contain NUL characters")
        return value


@dataclass(slots=True)
class List(Field):
    item: Field | None = None
    min_items: int = 0
    max_items: int | None = None

    def parse(self, value: Any) -> list:
        if not isinstance(value, list):
            raise FieldError("must be a list")
        if len(value) < self.min_items:
            raise FieldError(f"must have at least {self.min_items} entries")
        if self.max_items is not None and len(value) > self.max_items:
            raise FieldError(f"must have at most {self.max_items} entries")
        if self.item is None:
            if _holds_nul(value):
                raise FieldError("must not contain NUL characters")
            return value
        out = []
        for i, v in enumerate(value):
            try:
                out.append(self.item.parse(v))
            except FieldError as exc:
                raise FieldError(f"entry {i} {exc}") from None
        return out


@dataclass(slots=True)
class Nested(Field):
    """An object validated against its own spec (e.g. a quiz point or a resource link)."""
    spec: dict[str, Field] = field(default_factory=dict)

    def parse(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise FieldError("must be an object")
        return _apply(self.spec, value, partial=False, prefix="", raise_as=FieldError)


def StrList(**kw: Any) -> List:
    return List(item=Str(), **kw)


_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def is_uuid(value: str) -> bool:
    if not _UUID_RE.fullmatch(value):
        return False
    try:
        uuid.UUID(value)
    except ValueError:  # pragma: no cover - the regex already guarantees the shape
        return False
    return True


def _apply(spec: dict[str, Field], data: dict[str, Any], *, partial: bool, prefix: str,
           raise_as: Callable[..., Exception] | None = None, from_query: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, f in spec.items():
        present = name in data
        value = data.get(name, MISSING)
        if from_query and present and value == "":
            present, value = False, MISSING  # API.md §1.1: an empty query value means "no filter"
        if not present:
            if f.required and not partial:
                _fail(prefix + name, "is required", raise_as)
            if f.default is not MISSING and not partial:
                out[name] = f.default() if callable(f.default) else f.default
            continue
        if value is None:
            if f.nullable:
                out[name] = None
                continue
            _fail(prefix + name, "must not be null", raise_as)
        try:
            out[name] = f.from_query(value) if from_query else f.parse(value)
        except FieldError as exc:
            _fail(prefix + name, str(exc), raise_as)
    return out


def _fail(name: str, reason: str, raise_as: Callable[..., Exception] | None):
    if raise_as is FieldError:
        raise FieldError(f"'{name}' {reason}")
    raise invalid_field(name, reason)


def json_body(*, allow_empty: bool = True) -> dict[str, Any]:
    """The request's JSON object. An empty body counts as {} for routes whose fields are all optional."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if allow_empty:
            return {}
        raise InvalidRequest("A JSON request body is required", details={"field": "body", "reason": "is required"})
    if not request.is_json:
        raise InvalidRequest("Content-Type must be application/json",
                             details={"field": "Content-Type", "reason": "must be application/json"})
    try:
        data = request.get_json(force=True, silent=False)
    except (BadRequest, RecursionError):  # not JSON (werkzeug's BadRequest), or nested deeper than the parser goes
        raise InvalidRequest("Malformed JSON body", details={"field": "body", "reason": "is not valid JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidRequest("The JSON body must be an object",
                             details={"field": "body", "reason": "must be an object"})
    return data


def parse_body(spec: dict[str, Field], *, partial: bool = False, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validated fields of the JSON body. With partial=True only the fields sent are returned."""
    body = json_body(allow_empty=True) if data is None else data
    return _apply(spec, body, partial=partial, prefix="")


def parse_query(spec: dict[str, Field]) -> dict[str, Any]:
    return _apply(spec, request.args.to_dict(flat=True), partial=False, prefix="", from_query=True)


def parse_form(spec: dict[str, Field]) -> dict[str, Any]:
    return _apply(spec, request.form.to_dict(flat=True), partial=False, prefix="", from_query=True)
