from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MurmurationsConfig(AppConfig):
    """A Murmurations index served by this instance (the API subset networks need)."""

    name = "solidaria.murmurations"
    verbose_name = _("Murmurations index")
    default_auto_field = "django.db.models.BigAutoField"
