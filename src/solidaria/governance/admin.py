"""Admin for stewards' data fixes. Memberships and the records that carry value or a
vote (capital register, ballots, results, outcomes, bylaws, allocations) are shown
read-only (`ReadOnlyAdminMixin`): a change or a correction is made through the services
(pages, API), never an edit here."""

from __future__ import annotations

from django.contrib import admin

from solidaria.core.admin import ReadOnlyAdminMixin
from solidaria.governance import models


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


@admin.register(models.Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(models.MemberClass)
class MemberClassAdmin(admin.ModelAdmin):
    list_display = ["name", "coop", "vote_weight"]
    list_filter = ["coop"]


@admin.register(models.Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "coop",
        "member_class",
        "status",
        "is_steward",
        "started_at",
        "ended_at",
    ]
    list_filter = ["coop", "status"]


@admin.register(models.ShareType)
class ShareTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "coop", "nominal_minor", "min_holding", "max_holding", "is_active"]


@admin.register(models.CapitalEntry)
class CapitalEntryAdmin(ReadOnlyAdmin):
    list_display = ["coop", "seq", "membership", "kind", "share_type", "quantity", "amount_minor"]
    list_filter = ["coop", "kind"]


@admin.register(models.Poll)
class PollAdmin(admin.ModelAdmin):
    list_display = ["title", "coop", "kind", "closes_at", "closed_at"]
    list_filter = ["coop", "kind"]
    readonly_fields = ["electorate_count", "electorate_weight", "closed_at"]


@admin.register(models.Ballot)
class BallotAdmin(ReadOnlyAdmin):
    """What was chosen and its weight; nothing here says who (see models.py)."""

    list_display = ["id", "poll", "weight"]
    list_filter = ["poll"]


@admin.register(models.PollResult)
class PollResultAdmin(ReadOnlyAdmin):
    list_display = ["poll", "outcome", "engine_version", "computed_at"]


@admin.register(models.OutcomeVersion)
class OutcomeVersionAdmin(ReadOnlyAdmin):
    list_display = ["poll", "version", "author", "created_at"]


@admin.register(models.BylawsVersion)
class BylawsVersionAdmin(ReadOnlyAdmin):
    list_display = ["coop", "version", "effective_from"]


@admin.register(models.AllocationRun)
class AllocationRunAdmin(ReadOnlyAdmin):
    list_display = ["coop", "year", "surplus_minor", "bylaws", "created_at"]


@admin.register(models.PatronageInput)
class PatronageInputAdmin(ReadOnlyAdmin):
    list_display = ["run", "membership", "hours_minutes", "purchases_minor"]


@admin.register(models.AllocationLine)
class AllocationLineAdmin(ReadOnlyAdmin):
    list_display = ["run", "membership", "account", "cents", "cash_cents", "capital_cents"]


@admin.register(models.AllocationAcceptance)
class AllocationAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["coop", "year", "accepted_by", "accepted_at", "ledger_batch"]
