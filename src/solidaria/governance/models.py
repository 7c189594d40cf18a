"""Co-operatives: members in classes, the capital register, polls and surplus allocation.

Value records (capital entries, ballots, outcome versions, bylaws versions, allocation
runs and their lines) are append-only: `save()` on an existing row and `delete()` raise.
Memberships change status, but are never deleted: leaving sets an end date.

Anonymity: for every poll, `Ballot` (what was chosen) and `Participation` (who took part)
are separate tables with no key linking them and no timestamp; a ballot's primary key is
a random UUID, and closing a secret poll re-keys and re-inserts its ballots so that no
physical insertion order is left either (see `services.polls` for the whole design).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import Visibility, visibility_field

USER_MODEL = settings.AUTH_USER_MODEL


class AppendOnly(models.Model):
    """Rows are inserted once and never changed or deleted (corrections are new rows)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError(f"{self._meta.label} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError(f"{self._meta.label} rows are append-only")


class Cooperative(models.Model):
    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    currency = models.ForeignKey(
        "ledger.Currency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("currency"),
        help_text=_("surplus is paid out in this currency"),
    )
    # A co-op is a directory organisation with its governance attached: one record.
    organisation = models.OneToOneField(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cooperative",
        verbose_name=_("directory entry"),
    )
    visibility = visibility_field(Visibility.MEMBERS)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("co-operative")

    def __str__(self) -> str:
        return self.name


class MemberClass(models.Model):
    """Workers, consumers, producers, supporters, …: each with its vote weight."""

    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="classes")
    name = models.CharField(_("name"), max_length=80)
    vote_weight = models.PositiveIntegerField(_("vote weight"), default=1)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["coop", "name"]
        verbose_name = _("member class")
        verbose_name_plural = _("member classes")
        constraints = [
            models.UniqueConstraint(fields=["coop", "name"], name="gov_class_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.coop})"


class Membership(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        ACTIVE = "active", _("member")
        REJECTED = "rejected", _("not admitted")
        ENDED = "ended", _("left")

    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(USER_MODEL, on_delete=models.PROTECT, related_name="coop_memberships")
    member_class = models.ForeignKey(
        MemberClass, on_delete=models.PROTECT, related_name="memberships"
    )
    status = models.CharField(max_length=16, choices=Status, default=Status.APPLIED)
    is_steward = models.BooleanField(_("co-op steward"), default=False)
    motivation = models.TextField(_("why do you want to join?"), blank=True)
    applied_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["coop", "user__username", "-applied_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["coop", "user"],
                condition=Q(status__in=["applied", "active"]),
                name="gov_one_open_membership",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(started_at__isnull=False),
                name="gov_active_has_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="ended") | Q(ended_at__isnull=False),
                name="gov_ended_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.coop} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


# --- capital ---------------------------------------------------------------------------


class ShareType(models.Model):
    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="share_types")
    name = models.CharField(_("name"), max_length=80)
    nominal_minor = models.BigIntegerField(_("nominal value"))
    min_holding = models.PositiveIntegerField(_("minimum holding"), default=0)
    max_holding = models.PositiveIntegerField(_("maximum holding"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["coop", "name"]
        verbose_name = _("share type")
        constraints = [
            models.UniqueConstraint(fields=["coop", "name"], name="gov_share_type_unique"),
            models.CheckConstraint(condition=Q(nominal_minor__gt=0), name="gov_nominal_gt_0"),
            models.CheckConstraint(
                condition=Q(max_holding__isnull=True) | Q(max_holding__gte=models.F("min_holding")),
                name="gov_max_holding_gte_min",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CapitalEntry(AppendOnly):
    """One line of the capital register; holdings are sums of these lines.

    A transfer between members is two lines (out of one, into the other) sharing a
    `group`. A capital credit from a surplus allocation has no share type: it adds to the
    member's capital account in money, not in shares.
    """

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("subscription")
        TRANSFER_OUT = "transfer_out", _("transfer out")
        TRANSFER_IN = "transfer_in", _("transfer in")
        REDEMPTION = "redemption", _("redemption")
        CAPITAL_CREDIT = "capital_credit", _("capital credit from surplus")

    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="register")
    seq = models.PositiveIntegerField(_("register number"))
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="capital")
    kind = models.CharField(max_length=16, choices=Kind)
    share_type = models.ForeignKey(
        ShareType, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    quantity = models.IntegerField(_("shares"), default=0)
    amount_minor = models.BigIntegerField(_("amount"))
    group = models.UUIDField(default=uuid.uuid4)
    counterparty = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    allocation_run = models.ForeignKey(
        "AllocationRun", null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    # The ledger payment that paid for the shares (subscription: member -> co-op) or paid
    # them back (redemption: co-op -> member); written in the same transaction as it.
    transfer = models.OneToOneField(
        "ledger.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="capital_entry",
        verbose_name=_("ledger payment"),
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["coop", "seq"]
        verbose_name = _("capital register entry")
        verbose_name_plural = _("capital register")
        constraints = [
            models.UniqueConstraint(fields=["coop", "seq"], name="gov_register_seq_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["subscription", "transfer_in"], quantity__gt=0)
                | Q(kind__in=["redemption", "transfer_out"], quantity__lt=0)
                | Q(kind="capital_credit", quantity=0, share_type__isnull=True),
                name="gov_register_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="capital_credit", amount_minor__gt=0)
                | Q(share_type__isnull=False),
                name="gov_register_shares_have_type",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_kind_display()} {self.quantity}"


class ShareOrder(models.Model):
    """Shares asked for (or offered back) and paid through a ledger payment request.

    Subscribing asks the member's account to pay the co-op's account; redeeming asks the
    co-op's account to pay the member's. The register entry is written when the payer
    accepts and the payment settles, in that transaction (`services.share_payments`).
    An order is open until then; a declined or withdrawn request leaves it unsettled."""

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("subscription")
        REDEMPTION = "redemption", _("redemption")

    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="share_orders")
    membership = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="share_orders"
    )
    kind = models.CharField(max_length=16, choices=Kind)
    share_type = models.ForeignKey(ShareType, on_delete=models.PROTECT, related_name="orders")
    quantity = models.PositiveIntegerField(_("shares"))
    amount_minor = models.BigIntegerField(_("amount"))
    payment_request = models.OneToOneField(
        "ledger.PaymentRequest",
        on_delete=models.PROTECT,
        related_name="share_order",
        verbose_name=_("payment request"),
    )
    entry = models.OneToOneField(
        CapitalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="order"
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["coop", "-created_at", "-id"]
        verbose_name = _("share order")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="gov_order_quantity_gt_0"),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="gov_order_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(entry__isnull=True, settled_at__isnull=True)
                | Q(entry__isnull=False, settled_at__isnull=False),
                name="gov_order_settled_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.quantity} {self.share_type} ({self.pk})"

    @property
    def is_settled(self) -> bool:
        return self.entry_id is not None


# --- polls -----------------------------------------------------------------------------


class Poll(models.Model):
    class Kind(models.TextChoices):
        PROPOSAL = "proposal", _("proposal (yes / no / abstain)")
        CONSENT = "consent", _("consent")
        CONSENSUS = "consensus", _("consensus round")
        ADVICE = "advice", _("advice process")
        SCORE = "score", _("score")
        DOT = "dot", _("dot vote")
        RANKED = "ranked", _("ranked choice (instant runoff)")
        STV = "stv", _("multi-seat election (STV)")
        TIME = "time", _("time poll")

    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="polls")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    seats = models.PositiveIntegerField(_("seats"), default=1)
    is_anonymous = models.BooleanField(_("secret ballot"), default=False)
    is_results_hidden = models.BooleanField(_("hide results until closed"), default=False)
    visibility = visibility_field(Visibility.MEMBERS)
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes"))
    closed_at = models.DateTimeField(null=True, blank=True)
    electorate_count = models.PositiveIntegerField(default=0)
    electorate_weight = models.PositiveIntegerField(default=0)
    admission_for = models.OneToOneField(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="admission_poll"
    )
    # A general-assembly poll on accepting a surplus allocation (when the bylaws ask for
    # one): its passing applies the run, after the poll's close commits.
    allocation_for = models.OneToOneField(
        "AllocationRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assembly_poll",
    )
    previous_round = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="next_round"
    )
    round_number = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="gov_poll_closes_after_open"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="gov_poll_seats_gte_1"),
        ]
        indexes = [models.Index(fields=["closed_at", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Participation(models.Model):
    """Who took part in a poll. No timestamp, no link to the ballot; `choice` is filled
    only in open (non-secret) polls, where how each member voted is public."""

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="participations")
    user = models.ForeignKey(USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["poll", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "user"], name="gov_vote_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} took part in {self.poll}"


class Ballot(AppendOnly):
    """What was chosen, with the weight of the voter's member class (shared by the whole
    class, nothing about the person). No voter, no timestamp, random key; a secret poll's
    ballots are re-keyed when it closes, the one exception to append-only."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="ballots")
    weight = models.PositiveIntegerField(default=1)
    choice = models.JSONField()

    class Meta:
        ordering = ["poll", "id"]

    def __str__(self) -> str:
        return f"ballot in {self.poll}"


class PollResult(AppendOnly):
    """The count made when the poll closed, with the settings and engine version used."""

    poll = models.OneToOneField(Poll, on_delete=models.PROTECT, related_name="result")
    outcome = models.CharField(max_length=64)
    data = models.JSONField()
    engine_version = models.CharField(max_length=16)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.poll}: {self.outcome}"


class OutcomeVersion(AppendOnly):
    """The outcome statement; a correction or an addition is a new version."""

    poll = models.ForeignKey(Poll, on_delete=models.PROTECT, related_name="outcomes")
    version = models.PositiveIntegerField()
    statement = models.TextField(_("outcome statement"))
    author = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["poll", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "version"], name="gov_outcome_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.poll} v{self.version}"


# --- surplus allocation ------------------------------------------------------------------


class BylawsVersion(AppendOnly):
    """Allocation bylaws (BYLAWS.json, validated by the engine) from a date on."""

    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="bylaws")
    version = models.CharField(_("version"), max_length=40)
    effective_from = models.DateField(_("effective from"))
    data = models.JSONField(_("bylaws"))
    created_by = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["coop", "-effective_from", "-id"]
        verbose_name = _("bylaws version")
        constraints = [
            models.UniqueConstraint(fields=["coop", "version"], name="gov_bylaws_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.coop} bylaws {self.version}"


class PatronageSource(models.TextChoices):
    TYPED = "typed", _("typed in")
    LEDGER = "ledger", _("the ledger")


class AllocationRun(AppendOnly):
    """A year's surplus split by one bylaws version; accepted separately (see below)."""

    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="allocations")
    year = models.PositiveIntegerField(_("year"))
    surplus_minor = models.BigIntegerField(_("surplus"))
    bylaws = models.ForeignKey(BylawsVersion, on_delete=models.PROTECT, related_name="runs")
    result = models.JSONField()
    engine_version = models.CharField(max_length=16)
    # Where the patronage came from: typed in (a CSV a steward pasted) or read from the
    # ledger over a period: hours paid to each member in a time currency, purchases each
    # member paid to the co-op's account.
    patronage_source = models.CharField(
        _("patronage from"), max_length=8, choices=PatronageSource, default=PatronageSource.TYPED
    )
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("until"), null=True, blank=True)
    hours_currency = models.ForeignKey(
        "ledger.Currency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    purchases_account = models.ForeignKey(
        "ledger.Account", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["coop", "-year", "-id"]
        verbose_name = _("allocation run")
        constraints = [
            models.CheckConstraint(condition=Q(surplus_minor__gte=0), name="gov_surplus_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.coop} {self.year} #{self.pk}"


class PatronageInput(AppendOnly):
    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="inputs")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    hours_minutes = models.BigIntegerField(_("hours worked (minutes)"), default=0)
    purchases_minor = models.BigIntegerField(_("purchases"), default=0)
    # From the ledger: how many payments each figure sums (0 when typed in).
    hours_transfers = models.PositiveIntegerField(default=0)
    purchases_transfers = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "membership__user__username"]
        constraints = [
            models.UniqueConstraint(fields=["run", "membership"], name="gov_patronage_unique"),
            models.CheckConstraint(condition=Q(hours_minutes__gte=0), name="gov_hours_gte_0"),
            models.CheckConstraint(condition=Q(purchases_minor__gte=0), name="gov_purchases_gte_0"),
        ]

    def __str__(self) -> str:
        return f"patronage of membership {self.membership_id} in run {self.run_id}"


class AllocationLine(AppendOnly):
    """One member's or one fund's cents. A member's split into cash (ledger) and capital
    credit (register); a fund's is all paid into the fund's ledger account."""

    run = models.ForeignKey(AllocationRun, on_delete=models.PROTECT, related_name="lines")
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account = models.CharField(max_length=100)
    cents = models.BigIntegerField()
    cash_cents = models.BigIntegerField(default=0)
    capital_cents = models.BigIntegerField(default=0)
    exact = models.CharField(max_length=100)

    class Meta:
        ordering = ["run", "membership", "account"]
        constraints = [
            models.CheckConstraint(condition=Q(cents__gte=0), name="gov_line_cents_gte_0"),
            models.CheckConstraint(
                condition=Q(cents=models.F("cash_cents") + models.F("capital_cents")),
                name="gov_line_cash_plus_capital",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.cents}"


class AllocationAcceptance(AppendOnly):
    """A steward accepted a run: it was applied to the ledger and the register. At most
    one accepted run per co-op and year, enforced by the database."""

    run = models.OneToOneField(AllocationRun, on_delete=models.PROTECT, related_name="acceptance")
    coop = models.ForeignKey(Cooperative, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    accepted_by = models.ForeignKey(
        USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField()
    ledger_batch = models.ForeignKey(
        "ledger.TransferBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Set when a general-assembly poll accepted the run (the bylaws asked for one).
    poll = models.OneToOneField(
        Poll, null=True, blank=True, on_delete=models.PROTECT, related_name="accepted_allocation"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["coop", "year"], name="gov_one_accepted_run_per_year"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} accepted"
