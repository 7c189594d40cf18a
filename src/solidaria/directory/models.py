"""Organisations of the network, the ESSGlobal concepts that classify them, where each
entry came from, and a pre-aggregated grid that keeps the map fast at any size.

Classifications are stored as ESSGlobal concept codes (`OS60`, `ICA140`), never as
URIs: the same concepts are published under several base URIs, and the one we emit is
a setting (SOLIDARIA["ESSGLOBAL_BASE_URI"]).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Concept(models.Model):
    """One SKOS concept of an ESSGlobal scheme, with its labels in every language the
    vocabulary files carry (`{"en": "...", "es": "...", "ko": "..."}`)."""

    scheme = models.CharField(_("scheme"), max_length=64)
    code = models.CharField(_("code"), max_length=64)
    labels = models.JSONField(_("labels"), default=dict)
    scope_notes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["scheme", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="directory_concept_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.code} {self.label()}"

    def label(self, language: str | None = None) -> str:
        lang = (language or get_language() or "en").split("-")[0].lower()
        return self.labels.get(lang) or self.labels.get("en") or self.code


# The descriptive fields of an organisation, in the order forms, imports and exports use.
DESCRIPTIVE_FIELDS = (
    "name",
    "description",
    "website",
    "email",
    "phone",
    "street_address",
    "locality",
    "region",
    "postcode",
    "country",
    "latitude",
    "longitude",
    "activity",
    "ica_activity",
    "structure",
    "legal_form",
    "membership_type",
    "qualifiers",
    "themes",
)


class Organisation(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")
        ARCHIVED = "archived", _("archived")

    name = models.CharField(_("name"), max_length=300)
    name_key = models.CharField(max_length=300, db_index=True, editable=False)
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), max_length=500, blank=True)
    # A source cell sometimes lists several addresses ("a.org; b.org"): the first is the
    # website, the others are kept here.
    other_websites = models.JSONField(_("other web addresses"), default=list, blank=True)
    web_domain = models.CharField(max_length=255, blank=True, db_index=True, editable=False)
    email = models.CharField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    street_address = models.CharField(_("street address"), max_length=300, blank=True)
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    region = models.CharField(_("region"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=32, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text="ISO 3166-1")
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    # ESSGlobal classifications, as concept codes.
    activity = models.CharField(_("activity"), max_length=16, blank=True)
    ica_activity = models.CharField(_("ICA activity"), max_length=16, blank=True)
    structure = models.CharField(_("organisational structure"), max_length=16, blank=True)
    legal_form = models.CharField(_("legal form"), max_length=16, blank=True)
    legal_form_text = models.CharField(_("legal form as published"), max_length=100, blank=True)
    membership_type = models.CharField(_("base membership type"), max_length=16, blank=True)
    qualifiers = models.JSONField(_("qualifiers"), default=list, blank=True)
    themes = models.JSONField(_("themes"), default=list, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)

    licence = models.CharField(_("licence of the entry"), max_length=100, blank=True)
    # What the organisation's page shows beyond its directory entry, as its operators
    # choose (a co-op's facts are also subject to the co-op's own visibility).
    shows_coop_facts = models.BooleanField(_("show the co-op's members and capital"), default=True)
    shows_listings = models.BooleanField(_("show the offers and wants"), default=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PROPOSED)
    data_issues = models.JSONField(
        _("data issues"), default=list, blank=True, help_text="Problems found on import"
    )
    # The network a federated entry came from (aggregated from a Murmurations index by
    # solidaria.federation); NULL for the network's own entries. Nullable without a
    # default so that SQLite adds the column in place instead of rebuilding the table
    # (which would drop the search triggers of migrations 0002-0004).
    source_network = models.CharField(
        _("from network"), max_length=200, null=True, blank=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organisations",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["status", "name"], name="dir_org_status_name"),
            models.Index(fields=["status", "country"], name="dir_org_status_country"),
            models.Index(fields=["status", "ica_activity"], name="dir_org_status_ica"),
            models.Index(fields=["status", "activity"], name="dir_org_status_activity"),
            models.Index(fields=["status", "structure"], name="dir_org_status_structure"),
            models.Index(fields=["latitude", "longitude", "status"], name="dir_org_lat_lon"),
            models.Index(fields=["status", "source_network"], name="dir_org_status_network"),
            # The network's own entries in name order (federated=exclude): with a million
            # federated profiles, walking the whole name index to find them took 230 ms.
            models.Index(
                fields=["name", "id"],
                condition=models.Q(status="confirmed", source_network__isnull=True),
                name="dir_org_own_name",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True)
                | models.Q(latitude__gte=-90, latitude__lte=90),
                name="directory_org_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True)
                | models.Q(longitude__gte=-180, longitude__lte=180),
                name="directory_org_longitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(latitude__isnull=False, longitude__isnull=False),
                name="directory_org_coordinates_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["proposed", "confirmed", "rejected", "archived"]),
                name="directory_org_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None

    @property
    def is_federated(self) -> bool:
        return self.source_network is not None


class Provenance(models.Model):
    """Where an entry came from. Several rows mean several sources described the same
    organisation and were merged. `fingerprint` is the hash of the record as last
    imported: an unchanged record re-imported changes nothing."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="provenance"
    )
    source = models.CharField(_("source"), max_length=64)
    source_id = models.CharField(_("source id"), max_length=255)
    imported_at = models.DateTimeField(_("imported at"))
    is_primary = models.BooleanField(default=False)
    fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["source", "source_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="directory_provenance_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.source_id}"


class ClusterCell(models.Model):
    """Confirmed, located organisations counted per map grid cell for the low zoom levels.

    Rebuilt after imports and adjusted by one on single edits; the world view reads a few
    hundred of these rows instead of scanning every organisation."""

    zoom = models.PositiveSmallIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    count = models.IntegerField(default=0)
    sum_lat = models.FloatField(default=0.0)
    sum_lon = models.FloatField(default=0.0)
    sample_id = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zoom", "cx", "cy"], name="directory_cell_unique")
        ]

    def __str__(self) -> str:
        return f"z{self.zoom} ({self.cx}, {self.cy}): {self.count}"


class PendingEdit(models.Model):
    """Changes proposed to a confirmed organisation, waiting for a steward.

    The organisation row keeps its confirmed values (so search, map, exports and
    Murmurations profiles never see unconfirmed data); `values` holds the proposed ones
    and is applied to the row only when a steward confirms. At most one edit per
    organisation is pending; a further edit by its proposer is merged into it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for review")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="pending_edits"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    values = models.JSONField(_("proposed values"), default=dict)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.PENDING)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="pending"),
                name="directory_one_pending_edit",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "confirmed", "rejected", "withdrawn"]),
                name="directory_edit_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"edit {self.pk} of organisation {self.organisation_id} ({self.status})"


class Operator(models.Model):
    """A person who runs an organisation ("I run this"): claimed with a reason, confirmed
    or declined by a network steward. A confirmed operator may ask for the organisation's
    ledger accounts, grant rights on them and found its co-op; they leave, or a steward
    removes them, with a reason. Rows are kept (ended), never deleted."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("waiting for a steward")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")
        ENDED = "ended", _("ended")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="operators"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="operator_claims"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.CLAIMED)
    reason = models.TextField(_("how you are involved"))
    claimed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["organisation", "claimed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(status__in=["claimed", "confirmed"]),
                name="directory_one_open_operator_claim",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["claimed", "confirmed", "declined", "ended"]),
                name="directory_operator_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ended") | models.Q(ended_at__isnull=False),
                name="directory_operator_ended_has_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} runs {self.organisation} ({self.status})"
