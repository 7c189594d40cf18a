from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "solidaria.governance"
    default_auto_field = "django.db.models.BigAutoField"
