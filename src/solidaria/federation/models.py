"""Federation state: where each of our profiles stands in the Murmurations index we
register with, the indexes we aggregate other networks' profiles from, and each
aggregated profile with its provenance and the steward's decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from solidaria.directory.models import Organisation


class Registration(models.Model):
    """One of our profile URLs in the index (`node_id` = sha-256 of the URL): an
    organisation's, the network's, or an offer's or want's.

    `wanted` says what we want the index to hold: the profile (`present`) or nothing
    (`absent`, after the organisation was removed). A retry re-posts the same URL: the
    index keys nodes by that hash, so it never makes a second node."""

    class Kind(models.TextChoices):
        ORGANISATION = "organisation", _("organisation")
        NETWORK = "network", _("network")
        OFFERS_WANTS = "offers_wants", _("offers and wants")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to be sent")
        RECEIVED = "received", _("received by the index")
        POSTED = "posted", _("published in the index")
        VALIDATION_FAILED = "validation_failed", _("refused by the index")
        DELETED = "deleted", _("deleted from the index")
        ERROR = "error", _("error")

    FINAL = frozenset({Status.POSTED, Status.VALIDATION_FAILED, Status.DELETED})

    profile_url = models.URLField(_("profile URL"), max_length=500, unique=True)
    node_id = models.CharField(_("node id"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
    )
    listing = models.ForeignKey(
        "ledger.Listing",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("offer or want"),
    )
    is_wanted = models.BooleanField(_("should be in the index"), default=True)
    status = models.CharField(_("status"), max_length=20, choices=Status, default=Status.PENDING)
    reasons = models.JSONField(_("reasons given by the index"), default=list, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    index_url = models.URLField(_("index"), max_length=500, blank=True)
    last_updated = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "profile_url"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    status__in=[
                        "pending",
                        "received",
                        "posted",
                        "validation_failed",
                        "deleted",
                        "error",
                    ]
                ),
                name="federation_registration_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.profile_url} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class Subscription(models.Model):
    """Another network's profiles, found through an index with these filters."""

    index_url = models.URLField(_("index"), max_length=500)
    network_name = models.CharField(_("network"), max_length=200)
    schema = models.CharField(_("schema"), max_length=100, default="organizations_schema-v1.0.0")
    country = models.CharField(_("country"), max_length=2, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    is_auto_approved = models.BooleanField(_("approve new entries automatically"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_run = models.JSONField(_("last run"), default=dict, blank=True)

    class Meta:
        ordering = ["network_name", "id"]

    def __str__(self) -> str:
        return f"{self.network_name} via {self.index_url}"


class FederatedProfile(models.Model):
    """One profile aggregated from another network, and the directory entry made of it.

    The entry (an Organisation with `source_network` set and a Provenance row whose
    source_id is the profile URL) is proposed until a steward approves it, or confirmed
    at once when the subscription approves automatically. A rejected profile stays
    rejected while the source keeps it; a profile gone from the source removes the entry.
    """

    class Approval(models.TextChoices):
        PENDING = "pending", _("waiting for a steward")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        REMOVED = "removed", _("removed at the source")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="profiles"
    )
    profile_url = models.URLField(_("profile URL"), max_length=500, unique=True)
    organisation = models.OneToOneField(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="federated_profile",
    )
    approval = models.CharField(
        _("approval"), max_length=16, choices=Approval, default=Approval.PENDING
    )
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"))
    source_last_updated = models.BigIntegerField(_("last updated at the source"), null=True)
    profile_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["fetched_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approval__in=["pending", "approved", "rejected", "removed"]),
                name="federation_profile_approval_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.profile_url} ({self.approval})"


class Publication(models.Model):
    """Whether this network publishes its profiles (one row). `solidaria federation
    leave` withdraws them: the profile URLs answer 404, which lets the index delete them;
    `solidaria federation register --all` publishes them again."""

    is_withdrawn = models.BooleanField(default=False)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "withdrawn" if self.is_withdrawn else "published"

    @classmethod
    def withdrawn(cls) -> bool:
        return cls.objects.filter(pk=1, is_withdrawn=True).exists()

    @classmethod
    def set_withdrawn(cls, value: bool) -> None:
        cls.objects.update_or_create(pk=1, defaults={"is_withdrawn": value})
