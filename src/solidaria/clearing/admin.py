from django.contrib import admin

from solidaria.clearing.models import ClearingRun, Obligation, RunItem, SetOff


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
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
    readonly_fields = ("remaining_minor", "version")


@admin.register(ClearingRun)
class ClearingRunAdmin(admin.ModelAdmin):
    list_display = ("pk", "currency", "status", "obligation_count", "started_at", "decided_at")
    list_filter = ("status", "currency")
    readonly_fields = tuple(f.name for f in ClearingRun._meta.fields)


admin.site.register(RunItem)
admin.site.register(SetOff)
