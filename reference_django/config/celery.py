"""The project's one Celery app (Celery's Django pattern): configured from Django settings (CELERY_*), tasks
autodiscovered from each installed app's `tasks.py`.

As in the legacy app, tasks run eagerly (in-process, errors propagated) unless CELERY_BROKER_URL is set;
with a broker they are queued and run by a worker:

    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 DATABASE_URL=... \
        celery -A reference_django.config.celery worker --pool solo

Task names and payloads are the legacy ones, so either app's worker runs the other app's messages during
the blue-green window.
"""
from __future__ import annotations

import os
from typing import Any

from celery import Celery
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reference_django.config.settings.base")

app = Celery("reference_django")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def broker_settings(broker_url: str | None) -> dict[str, Any]:
    return {"broker_url": broker_url or "memory://", "task_always_eager": not broker_url,
            "task_eager_propagates": True, "result_backend": None}


@app.on_after_configure.connect
def _apply_broker_setting(sender: Celery, **_: Any) -> None:
    sender.conf.update(broker_settings(settings.CELERY_BROKER_URL))


@receiver(setting_changed)
def _follow_broker_setting(*, setting: str, value: Any, **_: Any) -> None:
    """A changed CELERY_BROKER_URL (tests override it) takes effect at once, as a new Flask app's would."""
    if setting == "CELERY_BROKER_URL" and app.configured:
        app.conf.update(broker_settings(value))
        app._after_fork()  # what Celery does in a forked child: drop pooled connections to the old broker
