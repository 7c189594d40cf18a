"""Obligations between members and the clearing runs that set them off.

An obligation is an invoice: the debtor owes the creditor `amount_minor` in a ledger
currency. It takes part in clearing only once both sides have confirmed it. A run
snapshots the confirmed obligations and the engine computes the maximal set-off; a
steward proposes it to the members it touches, who accept or object by a deadline
(`RunResponse`), and it is applied (every set-off in one transaction) when the
network's acceptance rule is met. An objection replaces the run by a recomputed one
without the objector's obligations. What remains after set-off can be paid on the
mutual-credit ledger (`Settlement`, one per ledger transfer).

The amounts set off and settled are append-only rows; `remaining_minor` is a cached
value that a CHECK keeps within [0, amount] and tests recompute:
remaining = amount - set-offs - settlements.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import AppendOnly, Visibility, visibility_field
from solidaria.ledger.models import Currency, Transfer


class Obligation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        SETTLED = "settled", _("settled")
        DISPUTED = "disputed", _("disputed")
        CANCELLED = "cancelled", _("withdrawn")

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
    # A disputed obligation's corrected amount, proposed by one side for the other to confirm.
    proposed_amount_minor = models.BigIntegerField(_("proposed amount"), null=True, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The ledger currency its rest is paid in, chosen by a steward or the debtor.
    settlement_currency = models.ForeignKey(
        Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
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
            models.CheckConstraint(
                condition=Q(proposed_amount_minor__isnull=True) | Q(proposed_amount_minor__gt=0),
                name="clearing_obligation_proposed_amount_gt_0",
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


class AcceptanceRule(models.TextChoices):
    """When a proposed run is applied (the network's setting, recorded on each run)."""

    ALL_ACCEPT = "all_accept", _("every member it touches accepts")
    NO_OBJECTION = "no_objection", _("no member objects by the deadline")


class ClearingRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        COMPUTED = "computed", _("computed, awaiting decision")
        PROPOSED = "proposed", _("proposed to its members")
        ACCEPTED = "accepted", _("accepted and applied")
        REJECTED = "rejected", _("rejected")
        SUPERSEDED = "superseded", _("replaced by a recomputed run")
        LAPSED = "lapsed", _("lapsed: not accepted by the deadline")
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
    # Member acceptance: the steward proposes with a deadline; the rule in force is kept.
    proposed_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(_("answers by"), null=True, blank=True)
    acceptance_rule = models.CharField(max_length=16, choices=AcceptanceRule, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="successors"
    )
    # Members whose obligations this run leaves out (they objected to an earlier proposal).
    excluded_members = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"clearing run #{self.pk} ({self.get_status_display()})"


class RunResponse(AppendOnly):
    """A member's answer to a proposed run: accept, or object (with a reason). Once."""

    class Answer(models.TextChoices):
        ACCEPT = "accept", _("accepted")
        OBJECT = "object", _("objected")

    run = models.ForeignKey(ClearingRun, on_delete=models.PROTECT, related_name="responses")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=8, choices=Answer)
    reason = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "member"], name="clearing_response_once"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.member_id} {self.answer}"


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


class SetOff(AppendOnly):
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


class Settlement(AppendOnly):
    """Part (or all) of an obligation's rest paid on the ledger: one row per transfer,
    written in the same transaction as the transfer."""

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="settlements")
    transfer = models.OneToOneField(Transfer, on_delete=models.PROTECT, related_name="+")
    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    amount_minor = models.BigIntegerField()
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="clearing_settlement_amount_gt_0"
            ),
        ]

    def __str__(self) -> str:
        return f"settlement {self.amount_minor} of obligation {self.obligation_id}"
