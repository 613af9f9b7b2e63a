from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "reference_django.courses"
    label = "courses"
