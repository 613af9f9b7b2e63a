"""Celery tasks of the media module, under the legacy task names and payloads (a worker of either app runs
the other's messages). Run through `send`: eagerly unless a broker is configured (config/celery.py).

The task is a class registered on the project's Celery app by name rather than a `@shared_task`: shared
tasks join every Celery app of the process and are looked up on the "current" app, so in a process that
also loads the legacy app (the verification harness, its tests) the same-named legacy task could run in
this one's place, or this one in the legacy app's.
"""
from __future__ import annotations

from typing import Any

from celery import Task
from celery.result import AsyncResult
from django.db import transaction
from django.utils import timezone

from reference_django.config.celery import app as celery_app

#: The registered name, kept from the legacy app: it is what the queued messages carry.
PROCESS_MEDIA = "legacy_flask.process_media"


def send(task: Task, *args: Any) -> AsyncResult:
    """Run `task` through the project's Celery app: in-process, or onto its broker."""
    return task.delay(*args)


def probe_media(media: Any) -> dict[str, Any]:
    """Technical metadata of the stored object. Stand-in (API.md P57 allows it): no ffprobe is run, so the
    values already recorded are kept and only the processing timestamps move."""
    return {}


class ProcessMedia(Task):
    """P57: extract a media file's metadata and record the outcome on its row. Returns the final processing
    status ('completed' or 'failed'), or 'missing' for an unknown or deleted file.

    Runs in its own transaction, so it behaves the same eagerly and on a worker."""

    name = PROCESS_MEDIA

    def run(self, media_file_id: str) -> str:
        from .models import MediaFile

        with transaction.atomic():
            media = MediaFile.objects.filter(pk=media_file_id).first()
            if media is None or media.is_deleted:
                return "missing"
            media.processing_started_at = timezone.now()
            changed = ["processing_started_at", "processing_status", "processing_error", "processing_completed_at"]
            try:
                for name, value in probe_media(media).items():
                    setattr(media, name, value)
                    changed.append(name)
            except Exception as exc:  # noqa: BLE001 - any probe failure is the file's outcome, stored on its row
                media.processing_status, media.processing_error = "failed", str(exc)[:2000]
            else:
                media.processing_status, media.processing_error = "completed", None
            media.processing_completed_at = timezone.now()
            media.save_versioned(changed)
            return media.processing_status


process_media = celery_app.register_task(ProcessMedia())
