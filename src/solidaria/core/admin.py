"""Admin registrations of core, and `ReadOnlyAdminMixin` for value-bearing rows.

Rows that carry value or a decision (journal entries, balances, obligations, set-offs,
ballots, the capital register, allocations) change only through services, which check
permissions, lock, and write an audit event. In the admin they are shown, never added,
changed or deleted, even by a superuser: a correction is a new record made through the
pages, the API or the CLI.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from solidaria.core.models import AuditEvent, IdempotencyRecord


class ReadOnlyAdminMixin:
    """View only: no add, change or delete permission for anyone (the change page shows
    the row read-only, and a POST to it is refused)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("at", "actor", "verb", "object_type", "object_id")
    list_filter = ("verb", "object_type")
    search_fields = ("object_id", "reason")


admin.site.register(IdempotencyRecord)
admin.site.site_header = "Solidaria stewards"
