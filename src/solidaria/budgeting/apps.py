from django.apps import AppConfig


class BudgetingConfig(AppConfig):
    name = "solidaria.budgeting"
    default_auto_field = "django.db.models.BigAutoField"
