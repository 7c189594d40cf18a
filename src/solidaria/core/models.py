"""Cross-cutting records: the audit journal and idempotency keys; the append-only guard."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    """Who may read a process, poll, clearing run or co-op: everyone, or admitted members."""

    PUBLIC = "public", _("public")
    MEMBERS = "members", _("members only")


def visibility_field(default: str) -> models.CharField:
    return models.CharField(
        _("visibility"),
        max_length=8,
        choices=Visibility,
        default=default,
        help_text=_("public: readable without logging in; members only: admitted members"),
    )


class AppendOnlyError(ValueError):
    """A row of an append-only table was about to be changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk `update()` and `delete()` refuse too; inserts (also in bulk) are the only
    writes. Raw SQL is not stopped here: `solidaria ledger verify` catches that."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model._meta.label} rows are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model._meta.label} rows are append-only")


class AppendOnly(models.Model):
    """Rows are inserted once and never changed or deleted (corrections are new rows):
    `save()` of an existing row, `delete()`, and the queryset's `update()` and `delete()`
    raise `AppendOnlyError`."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self._meta.label} rows are append-only")


class AuditEvent(models.Model):
    """Who did what to which object, and why. Append-only; written by services."""

    at = models.DateTimeField(auto_now_add=True)  # newest first is by id: no index here
    # No index on the actor: events are never looked up by who acted, and every payment
    # writes one (deleting a user then scans the table once, to clear its events' actor).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    verb = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.verb} {self.object_type}#{self.object_id}"


class IdempotencyRecord(models.Model):
    """The first result of a value-moving request, keyed by the client's idempotency key.

    A repeat of (scope, key) returns the stored result and moves nothing. The unique
    constraint makes two concurrent first requests race in the database, not in Python.
    """

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=128)
    actor = models.ForeignKey(  # not indexed, like AuditEvent.actor
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    request_hash = models.CharField(max_length=64)
    result_type = models.CharField(max_length=64)
    result_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
