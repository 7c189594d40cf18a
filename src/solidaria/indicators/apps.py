from django.apps import AppConfig


class IndicatorsConfig(AppConfig):
    name = "solidaria.indicators"
    default_auto_field = "django.db.models.BigAutoField"
