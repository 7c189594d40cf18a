"""Admin: obligations, clearing runs, their items and set-offs carry value; they are shown
read-only (`ReadOnlyAdminMixin`) and change only through the clearing services."""

from django.contrib import admin

from solidaria.clearing.models import (
    ClearingRun,
    Obligation,
    RunItem,
    RunResponse,
    SetOff,
    Settlement,
)
from solidaria.core.admin import ReadOnlyAdminMixin


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "pk",
        "debtor",
        "creditor",
        "amount_minor",
        "remaining_minor",
        "currency",
        "status",
    )
    list_filter = ("status", "currency")
    search_fields = ("reference", "debtor__username", "creditor__username")


@admin.register(ClearingRun)
class ClearingRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "currency", "status", "obligation_count", "started_at", "decided_at")
    list_filter = ("status", "currency")


@admin.register(RunItem)
class RunItemAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(SetOff)
class SetOffAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(RunResponse)
class RunResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "run", "member", "answer", "at")


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pk", "obligation", "amount_minor", "currency", "transfer", "at")
