"""Serializer fields that accept and refuse exactly what the legacy app does, with its reasons.

A failure names the first failing field (API.md §1.3) with the legacy reason text ("is required",
"must be at most 200 characters", "entry 0 'question' is required"), so both apps' 400s read the same.
Query-string serializers (`QuerySerializer`) treat an empty value as absent (API.md §1.1) and parse
numbers and booleans from their text.
"""
from __future__ import annotations

import math
import re
import uuid
from typing import Any

from rest_framework import serializers

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MAX = 2**63 - 1
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class FieldError(ValueError):
    pass


def is_uuid(value: str) -> bool:
    if not isinstance(value, str) or not _UUID_RE.fullmatch(value):
        return False
    try:
        uuid.UUID(value)
    except ValueError:  # pragma: no cover - the regex already guarantees the shape
        return False
    return True


def holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


class LegacyField(serializers.Field):
    """Base: `parse` (JSON value) and `from_query` (query/form text) raise FieldError(reason)."""

    default_error_messages = {"required": "is required", "null": "must not be null"}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.from_text = False

    def parse(self, value: Any) -> Any:
        return value

    def from_query(self, raw: str) -> Any:
        return self.parse(raw)

    def to_internal_value(self, data: Any) -> Any:
        try:
            return self.from_query(data) if self.from_text else self.parse(data)
        except FieldError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def to_representation(self, value: Any) -> Any:
        return value


class Str(LegacyField):
    def __init__(self, *, min_len: int = 0, max_len: int | None = None, choices: tuple[str, ...] | None = None,
                 pattern: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_len, self.max_len, self.choices, self.pattern = min_len, max_len, choices, pattern

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


class Email(LegacyField):
    def parse(self, value: Any) -> str:
        if (not isinstance(value, str) or len(value) > 255 or "\x00" in value
                or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value.strip())):
            raise FieldError("must be a valid email address")
        return value.strip().lower()


class Int(LegacyField):
    """An integer. Unless `big`, it must fit the INTEGER columns it is stored in (32 bits)."""

    def __init__(self, *, min: int | None = None, max: int | None = None, big: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min, self.max, self.big = min, max, big

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
            number = float(str(raw).strip())
        except ValueError:
            raise FieldError("must be an integer") from None
        if not math.isfinite(number) or not number.is_integer():
            raise FieldError("must be an integer")
        return self.parse(int(number))


class Number(LegacyField):
    def __init__(self, *, min: float | None = None, gt: float | None = None, max: float | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min, self.gt, self.max = min, gt, max

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
            number = float(str(raw).strip())
        except ValueError:
            raise FieldError("must be a number") from None
        return self.parse(number)


class Bool(LegacyField):
    def parse(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise FieldError("must be a boolean")
        return value

    def from_query(self, raw: str) -> bool:
        if str(raw).lower() in {"true", "1"}:
            return True
        if str(raw).lower() in {"false", "0"}:
            return False
        raise FieldError("must be a boolean")


class Uuid(LegacyField):
    def parse(self, value: Any) -> str:
        if not isinstance(value, str) or not is_uuid(value):
            raise FieldError("must be a UUID")
        return value.lower()


class Obj(LegacyField):
    """A free-form JSON object (stored as JSONB, which cannot hold NUL characters)."""

    def parse(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise FieldError("must be an object")
        if holds_nul(value):
            raise FieldError("must not contain NUL characters")
        return value


class Nested(LegacyField):
    """An object validated against its own field spec (a quiz point, a resource link)."""

    def __init__(self, spec: dict[str, LegacyField], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def parse(self, value: Any) -> dict:
        if not isinstance(value, dict):
            raise FieldError("must be an object")
        out: dict[str, Any] = {}
        for name, field in self.spec.items():
            if name not in value:
                if field.required:
                    raise FieldError(f"'{name}' is required")
                if field.default is not serializers.empty:
                    out[name] = field.get_default()
                continue
            item = value[name]
            if item is None:
                if field.allow_null:
                    out[name] = None
                    continue
                raise FieldError(f"'{name}' must not be null")
            try:
                out[name] = field.parse(item)
            except FieldError as exc:
                raise FieldError(f"'{name}' {exc}") from None
        return out


class List(LegacyField):
    def __init__(self, item: LegacyField | None = None, *, min_items: int = 0, max_items: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.item, self.min_items, self.max_items = item, min_items, max_items

    def parse(self, value: Any) -> list:
        if not isinstance(value, list):
            raise FieldError("must be a list")
        if len(value) < self.min_items:
            raise FieldError(f"must have at least {self.min_items} entries")
        if self.max_items is not None and len(value) > self.max_items:
            raise FieldError(f"must have at most {self.max_items} entries")
        if self.item is None:
            if holds_nul(value):
                raise FieldError("must not contain NUL characters")
            return value
        out = []
        for i, v in enumerate(value):
            try:
                out.append(self.item.parse(v))
            except FieldError as exc:
                raise FieldError(f"entry {i} {exc}") from None
        return out


def StrList(**kwargs: Any) -> List:
    return List(item=Str(), **kwargs)


class QuerySerializer(serializers.Serializer):
    """A serializer of query-string or form fields: "" means absent; values are parsed from text."""

    def to_internal_value(self, data: Any) -> Any:
        for field in self.fields.values():
            field.from_text = True
        # A repeated key counts with its first value, as Flask's `request.args.to_dict()` reads it.
        pairs = ((k, v[0]) for k, v in data.lists()) if hasattr(data, "lists") else dict(data).items()
        cleaned = {k: v for k, v in pairs if v != ""}
        return super().to_internal_value(cleaned)
