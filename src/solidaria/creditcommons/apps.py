from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditCommonsConfig(AppConfig):
    """Credit between networks: trunk and leaf ledgers as in the Credit Commons model."""

    name = "solidaria.creditcommons"
    verbose_name = _("Credit between networks")
    default_auto_field = "django.db.models.BigAutoField"
