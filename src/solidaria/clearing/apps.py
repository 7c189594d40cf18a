from django.apps import AppConfig


class ClearingConfig(AppConfig):
    name = "solidaria.clearing"
    default_auto_field = "django.db.models.BigAutoField"
