"""Assessments: an organisation's yearly common-good balance (ECG) or social audit (REAS,
or a network's own catalogue), its evidence, its peer reviews and its versions.

An assessment is a draft its operators fill in (answers keyed by topic, aspect or
question code; ECG company facts in the calculator's format); it is submitted, reviewed
by operators of at least two other organisations, signed off by a network steward or an
external auditor, and published (public or members only). Every change from submission
on adds an `AssessmentVersion` (append-only) with the answers as they then were.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import AppendOnly, Visibility, visibility_field


class CustomCatalogue(models.Model):
    """A catalogue a network imported from JSON (validated by `catalogue_from_dict`)."""

    key = models.CharField(_("key"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16)
    document = models.JSONField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ExternalAuditor(models.Model):
    """The "external auditor" role: may sign off assessments (granted by network stewards)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auditor_roles"
    )
    reason = models.CharField(_("reason"), max_length=500)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"external auditor {self.user}"


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted, in peer review")
        SIGNED_OFF = "signed_off", _("signed off")
        PUBLISHED = "published", _("published")

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="assessments"
    )
    year = models.PositiveIntegerField(_("year"))
    catalogue_key = models.CharField(_("catalogue"), max_length=80)
    catalogue_kind = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=Status, default=Status.DRAFT)
    visibility = visibility_field(Visibility.PUBLIC)
    answers = models.JSONField(default=dict, blank=True)
    facts = models.JSONField(default=dict, blank=True)
    # the computed result when signed off (ECG: total and points per topic, as fractions)
    result = models.JSONField(default=dict, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "year", "catalogue_key"],
                name="indicators_assessment_one_per_year",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.year} ({self.catalogue_key})"


class AssessmentVersion(AppendOnly):
    """The assessment as it was after one change from its submission on."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    verb = models.CharField(max_length=64)
    status = models.CharField(max_length=16)
    answers = models.JSONField(default=dict)
    facts = models.JSONField(default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["assessment", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "number"], name="indicators_assessment_version_once"
            )
        ]


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"indicators/evidence/{instance.assessment_id}/{filename}"


class Evidence(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="evidence")
    code = models.CharField(_("topic, aspect or question"), max_length=40)
    link = models.URLField(_("link"), max_length=500, blank=True)
    file = models.FileField(_("file"), upload_to=evidence_path, blank=True, max_length=300)
    note = models.CharField(_("note"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code", "added_at"]

    def __str__(self) -> str:
        return f"evidence for {self.code}"


class Review(models.Model):
    """A peer's review on behalf of another organisation: a comment and a proposed
    estimation per aspect (`{"A1.1": {"comment": ..., "estimation": "7"}}`)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="reviews")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entries = models.JSONField(default=dict)
    summary = models.TextField(_("summary"), max_length=4000, blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "organisation"], name="indicators_review_one_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"review by {self.organisation}"
