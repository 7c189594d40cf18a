"""Writes of the indicators app: computing a year's network report.

`report_request` (a steward, from the page) checks the permission and queues the task
after commit; the task runs `report_compute` as the platform. Each computation adds a
new append-only report, with an audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import ValidationFailed
from solidaria.core.permissions import SYSTEM, require
from solidaria.indicators import network_catalogue
from solidaria.indicators.engine import network
from solidaria.indicators.models import NetworkReport
from solidaria.indicators.network_io import gather

FIRST_YEAR = 2000


def year_period(year: int) -> tuple[dt.datetime, dt.datetime]:
    """The calendar year in UTC: [1 January, next 1 January)."""
    return (
        dt.datetime(year, 1, 1, tzinfo=dt.UTC),
        dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC),
    )


def check_year(year: int) -> int:
    now = timezone.now().year
    if not FIRST_YEAR <= year <= now:
        raise ValidationFailed(
            _("Choose a year between %(first)s and %(last)s.") % {"first": FIRST_YEAR, "last": now},
            field="year",
        )
    return year


def figures_as_json(figures: list[network.Figure]) -> list[dict[str, Any]]:
    return [
        {
            "indicator": f.indicator,
            "subject": f.subject,
            "subject_label": f.subject_label,
            "numerator": f.numerator,
            "denominator": f.denominator,
            "value": f"{f.value.numerator}/{f.value.denominator}",
            "details": f.details,
        }
        for f in figures
    ]


@transaction.atomic
def report_compute(*, actor: Any, year: int) -> NetworkReport:
    """Compute every indicator of the network catalogue for `year` and store the report."""
    require(actor, "indicators.report.compute")
    start, end = year_period(check_year(year))
    catalogue = network_catalogue.load()
    figures = network.compute([i.code for i in catalogue.indicators], gather(start, end))
    report = NetworkReport.objects.create(
        year=year,
        period_start=start,
        period_end=end,
        catalogue_id=catalogue.id,
        catalogue_version=catalogue.version,
        engine_version=network.ENGINE_VERSION,
        figures=figures_as_json(figures),
        computed_at=timezone.now(),
        computed_by=None if actor is SYSTEM else actor,
    )
    audit.record(
        actor=actor,
        verb="indicators.report.compute",
        obj=report,
        data={"year": year, "figures": len(figures)},
    )
    return report


def report_request(*, actor: Any, year: int) -> None:
    """Queue the computation of `year`'s report (runs after this transaction commits)."""
    require(actor, "indicators.report.compute")
    check_year(year)
    from solidaria.indicators.tasks import compute_report

    transaction.on_commit(lambda: compute_report.enqueue(year))
