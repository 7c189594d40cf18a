from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class FederationConfig(AppConfig):
    name = "solidaria.federation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from solidaria.directory.models import Organisation
        from solidaria.federation import receivers
        from solidaria.ledger.models import Listing

        post_save.connect(receivers.organisation_saved, sender=Organisation)
        post_delete.connect(receivers.organisation_deleted, sender=Organisation)
        post_save.connect(receivers.listing_saved, sender=Listing)
        post_delete.connect(receivers.listing_deleted, sender=Listing)
