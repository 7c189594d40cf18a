from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "solidaria.governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A share order's payment request, once paid, writes its register entry in the
        # payment's transaction (see `services.share_payments`).
        from solidaria.governance.services.share_payments import on_request_paid
        from solidaria.ledger.payment_requests import request_paid

        request_paid.connect(on_request_paid, dispatch_uid="governance.share_order_settle")
