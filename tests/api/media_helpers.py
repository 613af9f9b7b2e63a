"""What the media route tests (tests/api/test_media*.py) share: the routes, and the steps that make an upload
session or a media file through them."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from legacy_flask.models import UploadSession
from tests.conftest import data

INITIATE = "/api/v1/media/upload/initiate"
COMPLETE = "/api/v1/media/upload/complete"
MEDIA = "/api/v1/media/media/{}"
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def upload_request(**overrides) -> dict:
    return {"filename": "Intro Lesson.mp4", "fileSize": 1234, "contentType": "video/mp4", **overrides}


def count(db, model) -> int:
    return db.scalar(sa.select(sa.func.count()).select_from(model))


def initiate(caller, **overrides) -> dict:
    return data(caller.post(INITIATE, json=upload_request(**overrides)))


def completed_media(caller, **overrides) -> str:
    session = initiate(caller, **overrides)
    return data(caller.post(COMPLETE, json={"sessionKey": session["sessionKey"]}))["mediaFileId"]


def local_path(app, key: str) -> Path:
    return Path(app.config["UPLOAD_ROOT"]) / key


def session_status(db, session_key: str) -> str:
    """The upload session's stored status."""
    return db.scalar(sa.select(UploadSession.status).where(UploadSession.session_key == session_key))
