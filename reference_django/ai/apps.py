from django.apps import AppConfig


class AIConfig(AppConfig):
    name = "reference_django.ai"
    label = "ai"
