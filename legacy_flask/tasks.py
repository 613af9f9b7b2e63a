"""Celery tasks. Eager (in-process) by default; sent to a broker (Redis, say) when CELERY_BROKER_URL is set,
and run by a worker started from `legacy_flask.celery_worker`."""
from __future__ import annotations

import contextlib
from typing import Any

from celery import Celery
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

celery_app = Celery("legacy_flask")

_worker_app: Flask | None = None  # the app a worker process runs tasks for (init_celery sets it)


def init_celery(app: Flask) -> None:
    global _worker_app
    broker = app.config.get("CELERY_BROKER_URL")
    celery_app.conf.update(
        broker_url=broker or "memory://",
        result_backend=None,
        task_always_eager=broker is None,
        task_eager_propagates=True,
    )
    app.extensions["celery"] = celery_app
    _worker_app = app


def _app_context() -> contextlib.AbstractContextManager[Any]:
    # An eager task runs inside the request's app context. Pushing a second one would, on pop,
    # tear down the request's scoped DB session, so only a worker pushes its own.
    if has_app_context():
        return contextlib.nullcontext()
    if _worker_app is None:  # pragma: no cover - a worker always imports the app first
        raise RuntimeError("init_celery() has not been called")
    return _worker_app.app_context()


def probe_media(media: Any) -> dict[str, Any]:
    """Technical metadata of the stored object. Stand-in (API.md P57 allows it): no ffprobe is
    run, so the values already recorded are kept and only the processing timestamps move."""
    return {}


@celery_app.task(name="legacy_flask.process_media")
def process_media(media_file_id: str) -> str:
    """P57: extract a media file's metadata and record the outcome on its row. Returns the final
    processing status ('completed' or 'failed'), or 'missing' for an unknown or deleted file.

    Runs in its own session and transaction, so it behaves the same eagerly and on a worker."""
    from .models import MediaFile, utcnow

    with _app_context(), Session(current_app.extensions["db_engine"], expire_on_commit=False) as session:
        media = session.get(MediaFile, media_file_id)
        if media is None or media.is_deleted:
            return "missing"
        media.processing_started_at = utcnow()
        try:
            for name, value in probe_media(media).items():
                setattr(media, name, value)
        except Exception as exc:
            media.processing_status, media.processing_error = "failed", str(exc)[:2000]
        else:
            media.processing_status, media.processing_error = "completed", None
        media.processing_completed_at = utcnow()
        session.commit()
        return media.processing_status
