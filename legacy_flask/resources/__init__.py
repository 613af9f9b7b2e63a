"""One module of Flask-RESTful resources per API module (API.md §3)."""
from __future__ import annotations

from ..api import Api


def register_all(api: Api) -> None:
    from . import ai, auth, content, courses, health, instructor, media, profile, student, uploads

    for module in (auth, profile, courses, student, instructor, ai, uploads, health, media, content):
        module.register(api)
