"""Network reports: the indicators of one year, computed from the platform's own data.

A report is written once (append-only); computing a year again adds a newer report, and
pages show the newest of each year. Each figure keeps its numerator and denominator
(exact, integers in minor units, minutes or counts) next to its value as a fraction
string, with the catalogue and engine versions it was computed with.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from solidaria.core.models import AppendOnly


class NetworkReport(AppendOnly):
    year = models.PositiveIntegerField(_("year"))
    period_start = models.DateTimeField(_("from"))
    period_end = models.DateTimeField(_("until (not included)"))
    catalogue_id = models.CharField(max_length=64)
    catalogue_version = models.CharField(max_length=32)
    engine_version = models.CharField(max_length=16)
    figures = models.JSONField(default=list)
    computed_at = models.DateTimeField(_("computed"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("empty: computed by the platform (a scheduled task)"),
    )

    class Meta:
        ordering = ["-year", "-computed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gt=models.F("period_start")),
                name="indicators_report_period_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"network report {self.year} ({self.computed_at:%Y-%m-%d %H:%M})"


from solidaria.indicators.assessment_models import (  # noqa: E402
    Assessment,
    AssessmentVersion,
    CustomCatalogue,
    Evidence,
    ExternalAuditor,
    Review,
)

__all__ = [
    "Assessment",
    "AssessmentVersion",
    "CustomCatalogue",
    "Evidence",
    "ExternalAuditor",
    "NetworkReport",
    "Review",
]
