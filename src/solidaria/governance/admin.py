"""Admin for stewards' data fixes. Append-only records are shown read-only: a correction
is a new row made through the services (pages, API), never an edit here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from solidaria.governance import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "currency", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(models.MemberClass)
class MemberClassAdmin(admin.ModelAdmin):
    list_display = ["name", "coop", "vote_weight"]
    list_filter = ["coop"]


@admin.register(models.Membership)
class MembershipAdmin(admin.ModelAdmin):
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
    readonly_fields = ["applied_at", "started_at", "ended_at", "decided_by"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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
