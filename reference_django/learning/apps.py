from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "reference_django.learning"
    label = "learning"
