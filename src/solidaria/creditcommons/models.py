"""Credit between networks (the Credit Commons model): links, transactions, link chains.

A `Link` joins this network to a neighbour: its trunk (at most one) or one of its leaves.
Each link has a ledger account of kind `link` (the leaf's trunkward account, or the
trunk's account for that leaf) whose limits are the credit line between the networks.

A `RemoteTransaction` is this node's durable state for one cross-network payment (global
id `txid`), written before every outbound call: the outbox the recovery reads. Its
ledger side is one `Transfer` of kind `remote`, held (`reserved`) while the path
validates, then completed or released. `LinkEntry` is the append-only hash chain of the
payments that crossed a link; both ends compute the same chain.
"""

from __future__ import annotations

import hashlib
import uuid
from fractions import Fraction

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import AppendOnly

GENESIS_HASH = "0" * 64


class Link(models.Model):
    class Role(models.TextChoices):
        # what the neighbour is to this network
        TRUNK = "trunk", _("trunk (this network is its leaf)")
        LEAF = "leaf", _("leaf (this network is its trunk)")

    slug = models.SlugField(_("network"), max_length=64, unique=True)
    role = models.CharField(_("role"), max_length=8, choices=Role)
    url = models.URLField(_("base URL"), max_length=300, help_text=_("ends in /cc/"))
    secret = models.CharField(_("shared secret"), max_length=200)
    currency = models.ForeignKey(
        "ledger.Currency", on_delete=models.PROTECT, related_name="cc_links"
    )
    # trunk units per leaf unit, exactly (never a float)
    rate_num = models.BigIntegerField(_("rate numerator"), default=1)
    rate_den = models.BigIntegerField(_("rate denominator"), default=1)
    account = models.OneToOneField(
        "ledger.Account", on_delete=models.PROTECT, related_name="cc_link"
    )
    # the neighbour currency's decimal places (the rate is between whole units)
    remote_exponent = models.PositiveSmallIntegerField(_("their decimal places"), default=2)
    # this network's fee on payments arriving through this link, deducted from what moves
    # on (to the payee or the next network) and paid into the currency's network account
    fee_basis_points = models.PositiveIntegerField(
        _("fee (basis points)"), default=0, help_text=_("100 = 1%")
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_frozen = models.BooleanField(_("frozen"), default=False)
    frozen_reason = models.TextField(_("why frozen"), blank=True)
    last_handshake_at = models.DateTimeField(null=True, blank=True)
    last_handshake = models.TextField(_("last handshake"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["role", "slug"]
        constraints = [
            models.UniqueConstraint(
                fields=["role"],
                condition=Q(role="trunk", is_active=True),
                name="creditcommons_one_trunk",
            ),
            models.CheckConstraint(
                condition=Q(rate_num__gt=0) & Q(rate_den__gt=0), name="creditcommons_rate_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(fee_basis_points__lt=10000), name="creditcommons_fee_below_all"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug} ({self.role})"

    @property
    def rate(self) -> Fraction:
        return Fraction(self.rate_num, self.rate_den)

    @property
    def rate_text(self) -> str:
        return str(self.rate)

    @property
    def base_url(self) -> str:
        return self.url if self.url.endswith("/") else self.url + "/"


class Nonce(models.Model):
    """A signed message's single-use nonce, as seen from one link, kept for twice the
    replay window (`creditcommons.nonces`): a repeat of it is a replay, refused."""

    link = models.ForeignKey(Link, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=64)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "value"], name="creditcommons_nonce_once")
        ]
        indexes = [models.Index(fields=["seen_at"], name="creditcommons_nonce_seen")]

    def __str__(self) -> str:
        return f"{self.link_id}:{self.value}"


class State(models.TextChoices):
    # reserved here, the rest of the path not yet validated
    INITIATED = "initiated", _("initiated")
    # the whole path validated and reserved; not yet committed here
    VALIDATED = "validated", _("validated")
    COMPLETED = "completed", _("completed")
    ERASED = "erased", _("erased")
    TIMEDOUT = "timedout", _("timed out")


FINAL_STATES = frozenset({State.COMPLETED, State.ERASED, State.TIMEDOUT})


class RemoteTransaction(models.Model):
    class Role(models.TextChoices):
        ORIGIN = "origin", _("payer's network")
        RELAY = "relay", _("relay")
        DESTINATION = "destination", _("payee's network")

    txid = models.UUIDField(default=uuid.uuid4, unique=True)
    role = models.CharField(max_length=12, choices=Role)
    state = models.CharField(_("state"), max_length=12, choices=State)
    payer_address = models.CharField(_("payer"), max_length=200)
    payee_address = models.CharField(_("payee"), max_length=200)
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    upstream = models.ForeignKey(
        Link, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    downstream = models.ForeignKey(
        Link, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # in this network's currency (minor units): what moves on this ledger
    amount_minor = models.BigIntegerField(_("amount"))
    # the amounts on the upstream and downstream links, in the neighbour's currency
    upstream_amount = models.BigIntegerField(null=True, blank=True)
    downstream_amount = models.BigIntegerField(null=True, blank=True)
    # this network's fee, in its currency, out of `amount_minor` (the rest moves on)
    fee_minor = models.BigIntegerField(default=0)
    transfer = models.OneToOneField(
        "ledger.Transfer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="remote",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_key = models.CharField(max_length=200, blank=True)
    deadline = models.DateTimeField(_("deadline"))
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_key"],
                condition=Q(role="origin") & ~Q(client_key=""),
                name="creditcommons_origin_key",
            ),
            models.CheckConstraint(
                condition=Q(amount_minor__gte=0), name="creditcommons_amount_gte_0"
            ),
        ]
        indexes = [
            models.Index(
                fields=["updated_at"],
                condition=Q(state__in=["initiated", "validated"]),
                name="creditcommons_unfinished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.txid} ({self.state})"

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES


class LinkEntry(AppendOnly):
    """One payment that crossed a link, chained: both ends write the same canonical form
    (the global id, the direction, the leaf's and the trunk's amounts)."""

    class Direction(models.TextChoices):
        TRUNKWARD = "trunkward", _("from the leaf to the trunk")
        LEAFWARD = "leafward", _("from the trunk to the leaf")

    link = models.ForeignKey(Link, on_delete=models.PROTECT, related_name="entries")
    seq = models.BigIntegerField()
    txid = models.UUIDField()
    direction = models.CharField(max_length=10, choices=Direction)
    leaf_amount = models.BigIntegerField()
    trunk_amount = models.BigIntegerField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["link", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["link", "seq"], name="creditcommons_entry_seq"),
            models.UniqueConstraint(fields=["link", "txid"], name="creditcommons_entry_txid"),
        ]

    def __str__(self) -> str:
        return f"{self.link.slug} #{self.seq}"


def entry_canonical(txid: str, direction: str, leaf_amount: int, trunk_amount: int) -> str:
    return f"cc1|{txid}|{direction}|{leaf_amount}|{trunk_amount}"


def chain_hash(prev: str, canonical: str) -> str:
    return hashlib.sha256((prev + canonical).encode()).hexdigest()
