"""Success responses (API.md §1.3): `{"ok": true, "success": true, "data": {...}}`."""
from __future__ import annotations

from typing import Any

from flask import Response, jsonify


def ok(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    resp = jsonify({"ok": True, "success": True, "data": data})
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def message(text: str, status: int = 200, **extra: Any) -> Response:
    return ok({**extra, "message": text}, status)
