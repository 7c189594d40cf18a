"""Admin: stewards read the ledger here. Currencies, balances, transfers, entries,
requests and checkpoints are read-only (`ReadOnlyAdminMixin`): every change of value goes
through services (limits through the steward pages)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from solidaria.core.admin import ReadOnlyAdminMixin
from solidaria.core.permissions import allowed, is_member
from solidaria.ledger.models import (
    Account,
    AccountRequest,
    Checkpoint,
    Currency,
    CurrencySteward,
    Entry,
    Listing,
    PaymentRequest,
    Transfer,
)


class ReadOnly(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Currency)
class CurrencyAdmin(ReadOnly):
    list_display = [
        "code",
        "name",
        "unit_kind",
        "exponent",
        "default_credit_limit",
        "credit_policy",
        "is_active",
    ]


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = [
        "name",
        "currency",
        "kind",
        "balance",
        "reserved",
        "credit_limit",
        "upper_limit",
    ]
    list_filter = ["currency", "kind"]
    search_fields = ["name", "owner__username"]


@admin.register(Transfer)
class TransferAdmin(ReadOnly):
    list_display = [
        "pk",
        "currency",
        "payer",
        "payee",
        "amount_minor",
        "kind",
        "status",
        "created_at",
    ]
    list_filter = ["currency", "kind", "status"]
    search_fields = ["memo"]


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ["pk", "account", "seq", "amount", "balance_after", "created_at"]
    list_filter = ["account__currency"]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnly):
    list_display = ["pk", "last_entry_id", "entry_count", "head_hash", "created_at", "key_id"]


@admin.register(PaymentRequest)
class PaymentRequestAdmin(ReadOnly):
    list_display = ["pk", "payee", "payer", "amount_minor", "status", "created_at"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "category", "owner", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["title", "description"]


@admin.register(AccountRequest)
class AccountRequestAdmin(ReadOnly):
    list_display = ["pk", "organisation", "currency", "requested_by", "status", "requested_at"]
    list_filter = ["currency", "status"]


class CurrencyStewardForm(forms.ModelForm):
    class Meta:
        model = CurrencySteward
        fields = ["currency", "user"]

    def clean_user(self) -> Any:
        user = self.cleaned_data["user"]
        if not is_member(user):
            raise forms.ValidationError(_("Only an admitted member can steward a currency."))
        return user


@admin.register(CurrencySteward)
class CurrencyStewardAdmin(admin.ModelAdmin):
    """Network stewards make a member a steward of a currency here, through
    `services.currency_steward_add` (audited). Withdrawing the role needs a reason:
    `services.currency_steward_remove`; the admin only adds."""

    list_display = ["currency", "user", "granted_by", "granted_at"]
    list_filter = ["currency"]
    form = CurrencyStewardForm

    def has_add_permission(self, request: HttpRequest) -> bool:
        return allowed(request.user, "ledger.currency.stewards.set")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from solidaria.ledger import services

        role = services.currency_steward_add(
            actor=request.user, currency=obj.currency, user=obj.user
        )
        obj.pk, obj.granted_by_id, obj.granted_at = role.pk, role.granted_by_id, role.granted_at
