"""Success responses (API.md §1.3): `{"ok": true, "success": true, "data": {...}}`."""
from __future__ import annotations

from typing import Any

from rest_framework.response import Response


def ok(data: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response({"ok": True, "success": True, "data": data}, status=status, headers=headers)


def message(text: str, status: int = 200, **extra: Any) -> Response:
    return ok({**extra, "message": text}, status)
