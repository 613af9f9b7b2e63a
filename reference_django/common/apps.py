from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "reference_django.common"
    label = "common"
    verbose_name = "Shared API plumbing"
