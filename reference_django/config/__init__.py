"""The project package. Loading the Celery app here (Celery's Django pattern) binds every `@shared_task`
to it, in the web process and in a worker alike."""
from .celery import app as celery_app

__all__ = ["celery_app"]
