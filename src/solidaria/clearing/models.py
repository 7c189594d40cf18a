"""Obligations between members and the clearing runs that set them off.

An obligation is an invoice: the debtor owes the creditor `amount_minor` in a ledger
currency. It takes part in clearing only once both sides have confirmed it. A run
snapshots the confirmed obligations, the engine computes the maximal set-off, and a
steward accepts (every set-off is applied in one transaction) or rejects it. The
amounts set off are append-only `SetOff` rows; `remaining_minor` is a cached value that
a CHECK keeps within [0, amount] and tests recompute from the set-offs.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import Visibility, visibility_field
from solidaria.ledger.models import Currency


class Obligation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        SETTLED = "settled", _("settled")
        DISPUTED = "disputed", _("disputed")
        CANCELLED = "cancelled", _("cancelled")

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    debtor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="debts"
    )
    creditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    amount_minor = models.BigIntegerField(_("amount"))
    remaining_minor = models.BigIntegerField(_("remaining"))
    reference = models.CharField(_("invoice reference"), max_length=100, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.PENDING)
    debtor_confirmed_at = models.DateTimeField(null=True, blank=True)
    creditor_confirmed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text=_("bumped on every change"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="clearing_obligation_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(remaining_minor__gte=0) & Q(remaining_minor__lte=F("amount_minor")),
                name="clearing_obligation_remaining_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(debtor=F("creditor")), name="clearing_obligation_not_self"
            ),
        ]
        indexes = [models.Index(fields=["currency", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.debtor} → {self.creditor} {self.format_amount()}"

    def format_amount(self) -> str:
        return self.currency.format(self.amount_minor)

    @property
    def is_confirmed_by_both(self) -> bool:
        return bool(self.debtor_confirmed_at and self.creditor_confirmed_at)


class ClearingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        COMPUTED = "computed", _("computed, awaiting decision")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        FAILED = "failed", _("failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text=_("per cent"))
    progress_note = models.CharField(max_length=200, blank=True)
    snapshot_hash = models.CharField(max_length=64, blank=True)
    obligation_count = models.PositiveIntegerField(default=0)
    engine_version = models.CharField(max_length=32, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    cycles = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    visibility = visibility_field(Visibility.MEMBERS)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"clearing run #{self.pk} ({self.get_status_display()})"


class RunItem(models.Model):
    """One obligation as the run saw it, and the set-off the engine proposes for it."""

    run = models.ForeignKey(ClearingRun, on_delete=models.CASCADE, related_name="items")
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="+")
    version_seen = models.PositiveIntegerField()
    remaining_before = models.BigIntegerField()
    setoff_minor = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "obligation"], name="clearing_item_unique"),
            models.CheckConstraint(
                condition=Q(setoff_minor__gte=0) & Q(setoff_minor__lte=F("remaining_before")),
                name="clearing_item_setoff_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} obligation {self.obligation_id}: {self.setoff_minor}"


class SetOff(models.Model):
    """An applied set-off: append-only; an obligation's remaining = amount - sum(set-offs)."""

    run = models.ForeignKey(ClearingRun, on_delete=models.PROTECT, related_name="setoffs")
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="setoffs")
    amount_minor = models.BigIntegerField()
    applied_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "obligation"], name="clearing_setoff_unique"),
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="clearing_setoff_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"set-off {self.amount_minor} on obligation {self.obligation_id}"
