"""Stewards' data fixes. Ballots and receipts are read-only here: they are the vote."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from solidaria.budgeting.models import Ballot, PhaseSchedule, Process, Project, Result
from solidaria.core.admin import ReadOnlyAdminMixin


class PhaseInline(admin.TabularInline):
    model = PhaseSchedule
    extra = 0


class ProjectInline(admin.TabularInline):
    model = Project
    extra = 0
    fields = ["code", "title", "cost_minor", "status", "category", "district"]
    show_change_link = True


@admin.register(Process)
class ProcessAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "phase", "ballot_type", "rule", "completion", "budget_minor"]
    list_filter = ["phase", "ballot_type", "rule", "electorate"]
    search_fields = ["title", "slug"]
    readonly_fields = ["rule_version", "created_by", "created_at"]
    inlines = [PhaseInline, ProjectInline]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["title", "process", "code", "cost_minor", "status"]
    list_filter = ["status", "process"]
    search_fields = ["title", "code"]


@admin.register(Result)
class ResultAdmin(admin.ModelAdmin):
    list_display = ["process", "engine_rule", "total_cost_minor", "counted_at", "published_at"]
    readonly_fields = [f.name for f in Result._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The choices only: a ballot says neither who nor when (see models.py)."""

    list_display = ["id", "process", "is_imported"]
    list_filter = ["process"]
    fields = ["process", "projects", "points", "is_imported"]
