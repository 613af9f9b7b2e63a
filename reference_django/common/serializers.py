"""Wire formats shared by every module (API.md §1.1): timestamps in the `Z` form."""
from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    """ISO-8601 UTC with a `Z`, microseconds kept when present (as the legacy app emits them)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
