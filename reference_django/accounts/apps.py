from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "reference_django.accounts"
    label = "accounts"
