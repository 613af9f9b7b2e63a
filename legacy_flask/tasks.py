"""Celery tasks. Eager (in-process) by default; sent to a broker (Redis, say) when CELERY_BROKER_URL is set,
and run by a worker started from `legacy_flask.celery_worker`.

Each Flask app gets its own Celery app (Flask's documented pattern), so two apps in one process —
an eager one and one with a broker — never share a connection pool. The tasks are registered on that
Celery app only, not as `@shared_task`s: a shared task joins every Celery app of the process, so next to
another app that registers the same name (the Django port does, during the blue-green window and in the
harness) Celery warned of a duplicate name and one app's task could replace the other's.
"""
from __future__ import annotations

import contextlib
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session


class FlaskTask(Task):
    """Runs inside its Flask app's context. An eager task already runs inside the request's context;
    pushing a second one would, on pop, tear down the request's scoped DB session, so only a worker
    pushes its own."""

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        context = contextlib.nullcontext() if has_app_context() else self.app.flask_app.app_context()
        with context:
            return self.run(*args, **kwargs)


def init_celery(app: Flask) -> Celery:
    broker = app.config.get("CELERY_BROKER_URL")
    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.flask_app = app  # type: ignore[attr-defined]
    celery.conf.update(broker_url=broker or "memory://", result_backend=None,
                       task_always_eager=broker is None, task_eager_propagates=True)
    celery.set_default()
    celery.register_task(ProcessMedia())  # this app's own instance, bound to this Celery app only
    app.extensions["celery"] = celery
    return celery


def send(task: Any, *args: Any) -> Any:
    """Run `task` through the current Flask app's Celery app (eagerly, or onto its broker)."""
    return current_app.extensions["celery"].tasks[task.name].delay(*args)


def probe_media(media: Any) -> dict[str, Any]:
    """Technical metadata of the stored object. Stand-in (API.md P57 allows it): no ffprobe is
    run, so the values already recorded are kept and only the processing timestamps move."""
    return {}


class ProcessMedia(FlaskTask):
    """P57: extract a media file's metadata and record the outcome on its row. Returns the final
    processing status ('completed' or 'failed'), or 'missing' for an unknown or deleted file.

    Runs in its own session and transaction, so it behaves the same eagerly and on a worker."""

    name = "legacy_flask.process_media"

    def run(self, media_file_id: str) -> str:
        return _process_media(media_file_id)


#: What `send(process_media, ...)` names: each app runs it through its own Celery app.
process_media = ProcessMedia


def _process_media(media_file_id: str) -> str:
    from .models import MediaFile, utcnow

    with Session(current_app.extensions["db_engine"], expire_on_commit=False) as session:
        media = session.get(MediaFile, media_file_id)
        if media is None or media.is_deleted:
            return "missing"
        media.processing_started_at = utcnow()
        try:
            for name, value in probe_media(media).items():
                setattr(media, name, value)
        except Exception as exc:  # noqa: BLE001 - any probe failure is the file's outcome, stored on its row
            media.processing_status, media.processing_error = "failed", str(exc)[:2000]
        else:
            media.processing_status, media.processing_error = "completed", None
        media.processing_completed_at = utcnow()
        session.commit()
        return media.processing_status
