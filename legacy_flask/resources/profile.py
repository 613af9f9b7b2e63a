from __future__ import annotations

from ..api import Api


def register(api: Api) -> None:
    pass
