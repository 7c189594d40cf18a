"""Admin: stewards read the ledger here. Currencies, balances, transfers, entries,
requests and checkpoints are read-only (`ReadOnlyAdminMixin`): every change of value goes
through services (limits through the steward pages)."""

from __future__ import annotations

from django.contrib import admin

from solidaria.core.admin import ReadOnlyAdminMixin
from solidaria.ledger.models import (
    Account,
    Checkpoint,
    Currency,
    Entry,
    Listing,
    PaymentRequest,
    Transfer,
)


class ReadOnly(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(Currency)
class CurrencyAdmin(ReadOnly):
    list_display = ["code", "name", "unit_kind", "exponent", "default_credit_limit", "is_active"]


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
