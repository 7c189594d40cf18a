"""Participatory budgeting: processes, their phases, projects, voters and secret ballots.

Secret ballot by design
=======================
Two tables record a vote and nothing joins them:

* `VoterReceipt` says *who* voted (a member, or a one-time voting code, stored as its
  keyed hash) in a process. It holds no ballot id, no tag and no time.
* `Ballot` says *what* was chosen. Its primary key is a random UUID; it has no foreign
  key to a user or code, no timestamp and no autoincrement column, so neither its columns
  nor an ``ORDER BY`` on them say who cast it or when.

Changing a ballot. When a ballot is cast the server draws a random *ballot secret* and
gives it to the voter only: it is shown once and kept in a signed, HttpOnly cookie in the
voter's browser (the API returns it once in the response). The ballot row stores only
``change_tag = HMAC(SECRET_KEY, process, voter, secret)``, where *voter* is the member or
the voting code. Presenting the secret again *as the same voter* (logged in as that
member, or together with the same code; the voter must still be eligible and hold a
receipt) replaces the choices of that ballot in place; without it a second vote is
refused, and a secret shown to someone else is of no use to them. The server never
stores the secret, so it cannot go from a receipt to a ballot.

Trade-offs, stated plainly:

* Whoever holds a voter's secret (their browser, or someone they show it to) can read and
  change that ballot: the voter can prove their vote to a coercer, but can also change it
  afterwards, which is the usual counter to coercion in remote voting.
* A member who loses the secret (other browser, cookies cleared) cannot change the
  ballot any more; the vote still counts.
* Physical traces are not part of the schema but exist while voting is open: SQLite's
  rowid, PostgreSQL's ctid/xmin and the write-ahead log follow insertion order. Closing
  the voting phase *seals* the ballots: they are deleted and re-inserted in one
  transaction in UUID order, which resets these traces to one random-looking order.
  Backups and database logs taken while voting was open still hold the order; an
  operator who can watch the live database during voting is outside this design's
  threat model (they could equally log requests).
* Audit events say that *a* ballot was cast in a process on a day: `budgeting.ballot.cast`
  with no actor, no ballot, and the time cut to the day (a change is recorded the same
  way), so the journal cannot be lined up with receipts or ballots.
* Projects cannot be withdrawn once voting opened: the ballot is fixed while people vote.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import Visibility, visibility_field


class Phase(models.TextChoices):
    SUBMISSION = "submission", _("proposal submission")
    REVIEW = "review", _("review")
    VOTING = "voting", _("voting")
    RESULTS = "results", _("results")


PHASE_ORDER: list[str] = [Phase.SUBMISSION, Phase.REVIEW, Phase.VOTING, Phase.RESULTS]


class BallotType(models.TextChoices):
    """Pabulib's `vote_type`; approval with `max_sum_cost` is the knapsack cart."""

    APPROVAL = "approval", _("approval")
    CUMULATIVE = "cumulative", _("cumulative (points)")
    ORDINAL = "ordinal", _("ordinal (ranking)")
    CHOOSE_1 = "choose-1", _("choose one")


class Electorate(models.TextChoices):
    MEMBERS = "members", _("members of the network")
    CODES = "codes", _("residents with one-time voting codes")


class Rule(models.TextChoices):
    GREEDY = "greedy", _("greedy by votes")
    GREEDY_THRESHOLD = "greedy-threshold", _("greedy with a support threshold")
    GREEDY_NO_SKIP = "greedy-no-skip", _("greedy, stop at the first project that does not fit")
    MES = "mes", _("Method of Equal Shares")
    PHRAGMEN = "phragmen", _("sequential Phragmén")


class Completion(models.TextChoices):
    """How MES spends what its proportional phase leaves over (ignored by other rules)."""

    NONE = "none", _("none")
    ADD1 = "add1", _("Add1 (integral per-voter budget)")
    ADD1_COMPARISON = "add1-comparison", _("Add1, then compare with greedy")
    ADD1_PABUTOOLS = "add1-pabutools", _("Add1 as pabutools does it")


class Process(models.Model):
    """One participatory budget: its money, its phases, its ballot and counting rules."""

    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    currency = models.CharField(_("currency"), max_length=8, default="EUR")
    currency_exponent = models.PositiveSmallIntegerField(
        _("decimal places of the currency"), default=0
    )
    budget_minor = models.PositiveBigIntegerField(_("budget (minor units)"))
    phase = models.CharField(_("phase"), max_length=16, choices=Phase, default=Phase.SUBMISSION)
    electorate = models.CharField(
        _("who votes"), max_length=16, choices=Electorate, default=Electorate.MEMBERS
    )
    # Ballot rules, named as in Pabulib's META section.
    ballot_type = models.CharField(
        _("ballot type"), max_length=16, choices=BallotType, default=BallotType.APPROVAL
    )
    min_length = models.PositiveIntegerField(_("minimum number of projects"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum number of projects"), null=True, blank=True)
    max_sum_cost = models.PositiveBigIntegerField(
        _("maximum total cost of a ballot"), null=True, blank=True
    )
    max_points = models.PositiveIntegerField(_("maximum points per project"), null=True, blank=True)
    min_sum_points = models.PositiveIntegerField(_("minimum total points"), null=True, blank=True)
    max_sum_points = models.PositiveIntegerField(_("total points"), null=True, blank=True)
    # Counting rule: a versioned setting, recorded on every result.
    rule = models.CharField(_("counting rule"), max_length=32, choices=Rule, default=Rule.MES)
    completion = models.CharField(
        _("MES completion"), max_length=32, choices=Completion, default=Completion.ADD1
    )
    rule_parameters = models.JSONField(_("rule parameters"), default=dict, blank=True)
    rule_version = models.PositiveIntegerField(_("rule settings version"), default=1)
    source = models.CharField(_("imported from"), max_length=200, blank=True)
    visibility = visibility_field(Visibility.PUBLIC)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("budgeting process")
        verbose_name_plural = _("budgeting processes")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_length__isnull=True)
                | Q(max_length__isnull=True)
                | Q(min_length__lte=models.F("max_length")),
                name="budgeting_process_length_order",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class PhaseSchedule(models.Model):
    """The planned dates of one phase. A steward advances phases; a phase's `ends_at`
    also closes it (voting refuses ballots after it even if nobody advanced yet)."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="schedule")
    phase = models.CharField(_("phase"), max_length=16, choices=Phase)
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    opened_at = models.DateTimeField(_("actually opened"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["process", "phase"], name="budgeting_schedule_unique"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True)
                | Q(ends_at__isnull=True)
                | Q(starts_at__lte=models.F("ends_at")),
                name="budgeting_schedule_dates_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process} · {self.phase}"


class ProjectStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    FEASIBLE = "feasible", _("feasible")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Project(models.Model):
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="projects")
    code = models.CharField(_("project id"), max_length=64)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    cost_minor = models.PositiveBigIntegerField(_("cost (minor units)"))
    category = models.CharField(_("category"), max_length=200, blank=True)
    district = models.CharField(_("district or place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ProjectStatus, default=ProjectStatus.PROPOSED
    )
    review_note = models.TextField(_("review note"), blank=True)
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["process", "id"]
        constraints = [
            models.UniqueConstraint(fields=["process", "code"], name="budgeting_project_code"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_on_ballot(self) -> bool:
        """Feasible projects are voted on; withdrawn ones stay visible but cannot win."""
        return self.status == ProjectStatus.FEASIBLE


class VotingCode(models.Model):
    """A one-time code for a resident, shown once; only its keyed hash is stored
    (HMAC-SHA256, see `services.hash_code`). Codes drawn before that were stored as a bare
    SHA-256; `services.find_code` still finds them and re-hashes them on first use."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="codes")
    code_hash = models.CharField(max_length=64, unique=True, editable=False)
    batch = models.PositiveIntegerField(_("batch"), default=1)

    def __str__(self) -> str:
        return f"{self.process} · code {self.code_hash[:8]}…"


class VoterReceipt(models.Model):
    """That someone voted in a process (members: the user; residents: their code).
    Deliberately without time and without any reference to the ballot."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="receipts")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code = models.OneToOneField(
        VotingCode, null=True, blank=True, on_delete=models.CASCADE, related_name="receipt"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["process", "voter"], name="budgeting_receipt_voter"),
            models.CheckConstraint(
                condition=Q(voter__isnull=False, code__isnull=True)
                | Q(voter__isnull=True, code__isnull=False),
                name="budgeting_receipt_one_identity",
            ),
        ]

    def __str__(self) -> str:
        return f"receipt in {self.process_id}"


class Ballot(models.Model):
    """The choices of one voter, with nothing that says who or when (see module docstring).

    `projects` holds project codes: approval/choose-1 in any order, ordinal in rank order;
    `points` is parallel to `projects` for cumulative ballots and empty otherwise.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="ballots")
    projects = models.JSONField(default=list)
    points = models.JSONField(default=list, blank=True)
    change_tag = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    is_imported = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"ballot {self.id}"


class Result(models.Model):
    """One count of a process: which rule, which parameters, which engine, what it chose.
    Inserted by a count, never edited except to publish it."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="results")
    rule = models.CharField(max_length=64)
    engine_rule = models.CharField(max_length=64)
    parameters = models.JSONField(default=dict)
    rule_version = models.PositiveIntegerField(default=1)
    engine_version = models.CharField(max_length=64)
    budget_minor = models.PositiveBigIntegerField()
    selected = models.JSONField(default=list)
    total_cost_minor = models.PositiveBigIntegerField(default=0)
    num_ballots = models.PositiveIntegerField(default=0)
    projects = models.JSONField(default=list)
    details = models.JSONField(default=dict, blank=True)
    counted_at = models.DateTimeField(auto_now_add=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-counted_at", "-id"]

    def __str__(self) -> str:
        return f"result {self.pk} of {self.process}"


class ProcessManager(models.Model):
    """A member who runs one budgeting process (reviews projects, moves its phases,
    counts and publishes) besides the network stewards. Granted and withdrawn by
    network stewards with a reason (`budgeting.managers`); audited."""

    process = models.ForeignKey(Process, on_delete=models.CASCADE, related_name="managers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_processes"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["process", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["process", "user"], name="budgeting_manager_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} manages {self.process}"
