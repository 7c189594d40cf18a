"""Mutual credit: currencies the network issues, accounts, transfers and the journal.

Balances are cached on `Account` and updated in the same transaction as the journal
entries; CHECK constraints make a limit breach impossible even if Python were wrong.
The journal (`Entry`) is append-only and hash-chained per account: each entry's hash
covers the previous entry's hash in that account and the entry's canonical form, which
(version 2) includes every field of its transfer, and the account row (locked for every
posting) holds the chain head. `solidaria ledger verify` recomputes all of it, and
`Checkpoint` rows (see `checkpoints.py`) pin the whole journal with a key the database
does not hold, so that even a rewrite that recomputes every hash is caught.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import AppendOnly
from solidaria.core.money import format_minor, format_minutes

GENESIS_HASH = "0" * 64
# Version 1 (entries written before migration 0004) covered the entry's own numbers
# only; version 2 also covers every field of its transfer. Both verify.
HASH_VERSION = 2


class CreditPolicy(models.TextChoices):
    """How a new account in a currency gets its credit line and starting grant: the one
    standing decision a currency steward makes instead of deciding account by account."""

    STEWARD_DECIDES = "steward_decides", _("A currency steward decides every credit line.")
    ADMITTED_MEMBERS_GET_DEFAULT = (
        "admitted_members_get_default",
        _("Admitted members get the default credit line and the starting grant."),
    )


class Currency(models.Model):
    class UnitKind(models.TextChoices):
        MONEY = "money", _("money")
        TIME = "time", _("time")

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit_kind = models.CharField(_("unit"), max_length=8, choices=UnitKind, default=UnitKind.MONEY)
    exponent = models.PositiveSmallIntegerField(
        _("decimal places"), default=2, help_text=_("2 for cents, 0 for minutes")
    )
    default_credit_limit = models.BigIntegerField(
        _("default credit limit"),
        default=0,
        help_text=_("how far below zero a new account may go, in minor units"),
    )
    default_upper_limit = models.BigIntegerField(
        _("default upper limit"),
        null=True,
        blank=True,
        help_text=_("highest balance a new account may hold; empty for none"),
    )
    soft_credit_limit = models.BigIntegerField(
        _("soft credit limit"),
        null=True,
        blank=True,
        help_text=_("below minus this, payments still go through but the payer is warned"),
    )
    soft_upper_limit = models.BigIntegerField(
        _("soft upper limit"),
        null=True,
        blank=True,
        help_text=_("above this, payments still go through but the payee is warned"),
    )
    starting_grant = models.BigIntegerField(
        _("starting grant"), default=0, help_text=_("credited to each new member account")
    )
    levy_basis_points = models.PositiveIntegerField(
        _("levy (basis points)"),
        default=0,
        help_text=_("charged to the payer on each payment; 100 = 1%"),
    )
    authorisation_threshold = models.BigIntegerField(
        _("authorisation threshold"),
        null=True,
        blank=True,
        help_text=_("payments above this wait for a steward; empty for never"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The credit policy is data: which policy, its version (raised whenever the policy, the
    # default credit limit or the starting grant changes) and when that version took
    # effect. Every account opening records the version that gave its line and grant.
    credit_policy = models.CharField(
        _("credit policy"),
        max_length=32,
        choices=CreditPolicy,
        default=CreditPolicy.STEWARD_DECIDES,
    )
    credit_policy_version = models.PositiveIntegerField(default=1, editable=False)
    credit_policy_since = models.DateTimeField(null=True, blank=True, editable=False)
    stewards = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CurrencySteward",
        through_fields=("currency", "user"),
        related_name="stewarded_currencies",
        blank=True,
    )

    class Meta:
        ordering = ["code"]
        verbose_name_plural = _("currencies")
        constraints = [
            models.CheckConstraint(
                condition=Q(exponent__lte=6), name="ledger_currency_exponent_range"
            ),
            models.CheckConstraint(
                condition=Q(default_credit_limit__gte=0), name="ledger_currency_credit_limit_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(starting_grant__gte=0), name="ledger_currency_grant_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(levy_basis_points__lte=10000), name="ledger_currency_levy_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_time(self) -> bool:
        """A time bank's hours, counted in whole minutes."""
        return self.unit_kind == self.UnitKind.TIME and self.exponent == 0

    def format(self, amount: int) -> str:
        if self.is_time:
            return format_minutes(amount)
        return format_minor(amount, exponent=self.exponent)

    def levy_for(self, amount: int) -> int:
        """The levy on a payment, rounded down: the payer is never charged a fraction."""
        return amount * self.levy_basis_points // 10000


class Account(models.Model):
    class Kind(models.TextChoices):
        MEMBER = "member", _("member")
        ORGANISATION = "organisation", _("organisation")
        SYSTEM = "system", _("system")
        # another network's account on this ledger (Credit Commons: the leaf's trunkward
        # account, or the trunk's account for one leaf): see `solidaria.creditcommons`
        LINK = "link", _("link to another network")

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="accounts")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind, default=Kind.MEMBER)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    # Member accounts are named after their holder, organisation accounts after their
    # organisation (of the directory), system accounts by the network: never free text.
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_accounts",
    )
    name = models.CharField(_("name"), max_length=100)
    credit_limit = models.BigIntegerField(
        _("credit limit"), null=True, blank=True, help_text=_("empty: no limit (system accounts)")
    )
    upper_limit = models.BigIntegerField(_("upper limit"), null=True, blank=True)
    balance = models.BigIntegerField(_("balance"), default=0)
    reserved = models.BigIntegerField(_("reserved"), default=0)
    head_hash = models.CharField(max_length=64, default=GENESIS_HASH, editable=False)
    entry_count = models.BigIntegerField(default=0, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["currency__code", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="ledger_account_reserved_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="ledger_account_credit_limit_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True)
                | Q(balance__gte=F("reserved") - F("credit_limit")),
                name="ledger_account_within_credit_limit",
            ),
            models.CheckConstraint(
                condition=Q(upper_limit__isnull=True) | Q(balance__lte=F("upper_limit")),
                name="ledger_account_within_upper_limit",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["system", "link"]) | Q(owner__isnull=False),
                name="ledger_account_owner_unless_system",
            ),
            models.UniqueConstraint(
                fields=["currency", "owner"],
                condition=Q(kind="member"),
                name="ledger_one_member_account_per_currency",
            ),
            models.UniqueConstraint(
                fields=["currency", "name"],
                condition=Q(kind="system"),
                name="ledger_system_account_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="organisation") | Q(organisation__isnull=True),
                name="ledger_account_organisation_only_for_organisations",
            ),
            models.UniqueConstraint(
                fields=["currency", "organisation"],
                condition=Q(kind="organisation"),
                name="ledger_one_organisation_account_per_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} · {self.currency.code}"

    @property
    def available(self) -> int:
        return self.balance - self.reserved


class CurrencySteward(models.Model):
    """A person who stewards one currency: sets its accounts' limits and its credit policy
    and decides account requests. Granted and withdrawn by network stewards (services)."""

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="steward_roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="currency_stewardships"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["currency__code", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "user"], name="ledger_currency_steward_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.currency.code}"


class AccountOperator(models.Model):
    """What one person may do with one organisation account: see it, pay from it up to an
    amount per payment (no cap when empty), ask others for payment into it. Granted and
    withdrawn by the organisation's operators or a network steward (`ledger.operators`);
    the approved request's author gets every right. Payments record who acted
    (`Transfer.created_by`)."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="operators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_rights"
    )
    can_view = models.BooleanField(_("may see the account"), default=True)
    can_pay = models.BooleanField(_("may pay from it"), default=False)
    pay_limit_minor = models.BigIntegerField(
        _("largest payment"),
        null=True,
        blank=True,
        help_text=_("in minor units; empty: no cap"),
    )
    can_request = models.BooleanField(_("may ask for payments into it"), default=False)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["account", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="ledger_account_operator"),
            models.CheckConstraint(
                condition=Q(pay_limit_minor__isnull=True) | Q(pay_limit_minor__gt=0),
                name="ledger_account_operator_limit_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on account {self.account_id}"


class AccountRequest(models.Model):
    """An organisation's operator asks for an account in a currency; a steward of that
    currency approves it (the account opens at limit 0, no grant) or declines it."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")

    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="account_requests"
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="ledger_account_requests"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    note = models.CharField(_("why this account is needed"), max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    account = models.OneToOneField(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "organisation"],
                condition=Q(status="requested"),
                name="ledger_one_open_account_request",
            ),
            models.CheckConstraint(
                condition=Q(status="approved", account__isnull=False)
                | (~Q(status="approved") & Q(account__isnull=True)),
                name="ledger_account_request_account_iff_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"request #{self.pk}: {self.organisation} · {self.currency.code}"


class TransferBatch(models.Model):
    """One bulk request (one-to-many, many-to-one or a CSV import): all lines or none."""

    class Kind(models.TextChoices):
        ONE_TO_MANY = "one_to_many", _("one payer, many payees")
        MANY_TO_ONE = "many_to_one", _("many payers, one payee")
        IMPORT = "import", _("import")

    kind = models.CharField(max_length=16, choices=Kind)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    line_count = models.PositiveIntegerField(default=0)
    total_minor = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"batch #{self.pk} ({self.line_count} lines)"


class Transfer(models.Model):
    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REQUEST = "request", _("payment request")
        BULK = "bulk", _("bulk payment")
        IMPORT = "import", _("import")
        GRANT = "grant", _("starting grant")
        LEVY = "levy", _("levy")
        REVERSAL = "reversal", _("reversal")
        # a payment to or from another network: held while the networks validate it, then
        # completed or released by `solidaria.creditcommons`, never by a steward
        REMOTE = "remote", _("payment between networks")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("completed")
        PENDING = "pending", _("awaiting authorisation")
        REJECTED = "rejected", _("rejected")

    # Every index here is written on every payment: foreign keys that are never looked up
    # by value have none, and the rare ones (levies, batches, the authorisation queue)
    # have partial indexes over the few rows that have them. Measured on PostgreSQL with
    # 8 pgbench clients calling ledger_pay directly: 3,065 tps with the 8 indexes this
    # dropped, 3,360-4,290 tps without (three runs).
    currency = models.ForeignKey(
        Currency, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # An account's payments are read through its journal entries (indexed by account and
    # seq), never through these two columns.
    payer = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="transfers_out", db_index=False
    )
    payee = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="transfers_in", db_index=False
    )
    amount_minor = models.BigIntegerField(_("amount"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    kind = models.CharField(max_length=16, choices=Kind, default=Kind.PAYMENT)
    status = models.CharField(max_length=16, choices=Status, default=Status.COMPLETED)
    reserved_minor = models.BigIntegerField(
        default=0, help_text=_("held on the payer's account while awaiting authorisation")
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="levies",
        db_index=False,
    )
    batch = models.ForeignKey(
        TransferBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transfers",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="ledger_transfer_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=~Q(payer=F("payee")), name="ledger_transfer_payer_is_not_payee"
            ),
            models.CheckConstraint(
                condition=Q(reserved_minor__gte=0), name="ledger_transfer_reserved_gte_0"
            ),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="ledger_transfer_pending",
            ),
            models.Index(
                fields=["parent"], condition=Q(parent__isnull=False), name="ledger_transfer_levies"
            ),
            models.Index(
                fields=["batch"], condition=Q(batch__isnull=False), name="ledger_transfer_batch"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.currency.format(self.amount_minor)} {self.currency.code}"


class Entry(AppendOnly):
    """One line of the journal: an account's change from one transfer. Never updated."""

    # (account, seq) is unique: that index serves lookups by account too. Entries are
    # never looked up by transfer (statements and verify read them by account).
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    seq = models.BigIntegerField(help_text=_("position in the account's chain, from 1"))
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    hash_version = models.PositiveSmallIntegerField(default=HASH_VERSION)

    class Meta:
        ordering = ["account", "seq"]
        verbose_name_plural = _("entries")
        constraints = [
            models.UniqueConstraint(fields=["account", "seq"], name="ledger_entry_account_seq"),
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_nonzero"),
        ]
        # no (account, created_at) index: statements filter on the date of created_at,
        # which no plain index on it serves, and order by seq.

    def __str__(self) -> str:
        return f"entry #{self.pk} account {self.account_id} seq {self.seq}"


def _text(value: str) -> str:
    """A text field with its length in characters first, so no value can pass for two."""
    return f"{len(value)}:{value}"


def _ref(value: int | None) -> str:
    return "" if value is None else str(value)


def transfer_canonical(
    *,
    currency_id: int,
    payer_id: int,
    payee_id: int,
    amount_minor: int,
    memo: str,
    category: str,
    kind: str,
    status: str,
    reserved_minor: int,
    reverses_id: int | None,
    parent_id: int | None,
    batch_id: int | None,
    created_by_id: int | None,
    created_at_iso: str,
    completed_at_iso: str,
    decided_by_id: int | None,
    decision_reason: str,
) -> str:
    """Every field of a completed transfer but its id (which the entry carries), in the
    model's order. `ledger_pay` (migration 0004) builds the same string in SQL."""
    return "|".join(
        [
            str(currency_id),
            str(payer_id),
            str(payee_id),
            str(amount_minor),
            _text(memo),
            _text(category),
            _text(kind),
            _text(status),
            str(reserved_minor),
            _ref(reverses_id),
            _ref(parent_id),
            _ref(batch_id),
            _ref(created_by_id),
            created_at_iso,
            completed_at_iso,
            _ref(decided_by_id),
            _text(decision_reason),
        ]
    )


def entry_canonical(
    *,
    account_id: int,
    seq: int,
    transfer_id: int,
    amount: int,
    balance_after: int,
    created_at_iso: str,
    transfer: str = "",
    version: int = HASH_VERSION,
) -> str:
    """The text an entry's hash covers after the previous hash: the entry's numbers and,
    from version 2, its transfer's canonical form (`transfer_canonical`)."""
    body = f"{account_id}|{seq}|{transfer_id}|{amount}|{balance_after}|{created_at_iso}"
    if version == 1:
        return f"v1|{body}"
    return f"v{version}|{body}|{transfer}"


def entry_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class Checkpoint(AppendOnly):
    """The whole journal's digest up to one entry, with a MAC made with a key the
    database does not hold (`checkpoints.py`). Published at /ledger/checkpoints.json, so
    a rewrite of the journal that recomputes every hash is still caught by
    `solidaria ledger verify --checkpoints`."""

    last_entry_id = models.BigIntegerField(
        _("last entry"), unique=True, help_text=_("the highest entry id the digest covers")
    )
    entry_count = models.BigIntegerField(_("entries"))
    head_hash = models.CharField(_("journal digest"), max_length=64)
    created_at = models.DateTimeField(_("time"))
    key_id = models.CharField(_("key id"), max_length=16)
    mac = models.CharField(_("MAC"), max_length=64)

    class Meta:
        ordering = ["last_entry_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(entry_count__gte=0) & Q(last_entry_id__gte=0),
                name="ledger_checkpoint_position_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"checkpoint #{self.pk} at entry {self.last_entry_id}"


class PaymentRequest(models.Model):
    """The payee asks; the payer accepts (a transfer is made) or declines."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        CANCELLED = "cancelled", _("cancelled")

    currency = models.ForeignKey(Currency, on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="requests_made")
    payer = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="requests_received")
    amount_minor = models.BigIntegerField(_("amount"))
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status, default=Status.OPEN)
    transfer = models.OneToOneField(
        Transfer, null=True, blank=True, on_delete=models.PROTECT, related_name="request"
    )
    listing = models.ForeignKey(
        "Listing", null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="ledger_request_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=~Q(payer=F("payee")), name="ledger_request_payer_is_not_payee"
            ),
        ]

    def __str__(self) -> str:
        return f"request #{self.pk}"


class Listing(models.Model):
    """An offer or a want a member posts."""

    class Kind(models.TextChoices):
        OFFER = "offer", _("offer")
        WANT = "want", _("want")

    class ItemType(models.TextChoices):
        GOOD = "good", _("good")
        SERVICE = "service", _("service")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_listings"
    )
    # Posted on behalf of an organisation (by one of its operators): its page lists it.
    organisation = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="listings",
        verbose_name=_("on behalf of"),
    )
    kind = models.CharField(_("offer or want"), max_length=8, choices=Kind)
    item_type = models.CharField(
        _("good or service"), max_length=8, choices=ItemType, default=ItemType.SERVICE
    )
    title = models.CharField(_("title"), max_length=120)
    category = models.CharField(_("category"), max_length=64)
    description = models.TextField(_("description"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    price_minor = models.BigIntegerField(_("price"), null=True, blank=True)
    currency = models.ForeignKey(
        Currency, null=True, blank=True, on_delete=models.PROTECT, related_name="listings"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_minor__isnull=True) | Q(currency__isnull=False),
                name="ledger_listing_price_has_currency",
            ),
            models.CheckConstraint(
                condition=Q(price_minor__isnull=True) | Q(price_minor__gt=0),
                name="ledger_listing_price_gt_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"
