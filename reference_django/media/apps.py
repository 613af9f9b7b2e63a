from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "reference_django.media"
    label = "media"
