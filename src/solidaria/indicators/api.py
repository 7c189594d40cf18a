"""Indicators API: the network-indicator catalogue and the yearly network reports (public,
read-only, like the report pages). Values are exact fractions as strings ("7/3");
amounts are integers in minor units (minutes for time)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router

from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound
from solidaria.indicators import labels, network_catalogue, queries
from solidaria.indicators.models import NetworkReport

router = Router(tags=["indicators"])


class IndicatorsError(Schema):
    detail: str


class NetworkIndicatorOut(Schema):
    code: str
    title: str
    method: str
    unit: str
    per: str
    source: str
    period: str
    formula: str


class NetworkFigureOut(Schema):
    indicator: str
    subject: str
    subject_label: str
    value: str
    numerator: int
    denominator: int | None
    details: dict[str, int]


class NetworkReportSummaryOut(Schema):
    year: int
    computed_at: datetime


class NetworkReportOut(Schema):
    year: int
    period_start: datetime
    period_end: datetime
    catalogue_id: str
    catalogue_version: str
    engine_version: str
    computed_at: datetime
    figures: list[NetworkFigureOut]


@router.get(
    "/network-indicators",
    auth=None,
    response=list[NetworkIndicatorOut],
    summary="The network indicators, with how each is computed",
)
def network_indicators(request: HttpRequest) -> list[NetworkIndicatorOut]:
    return [
        NetworkIndicatorOut(
            code=i.code,
            title=labels.title(i.code),
            method=labels.method(i.code),
            unit=i.unit,
            per=i.per,
            source=i.source,
            period=i.period,
            formula=i.formula,
        )
        for i in network_catalogue.load().indicators
    ]


@router.get(
    "/reports",
    auth=None,
    response=list[NetworkReportSummaryOut],
    summary="The years with a network report (the newest of each)",
)
def reports(request: HttpRequest) -> list[NetworkReportSummaryOut]:
    return [
        NetworkReportSummaryOut(year=r.year, computed_at=r.computed_at)
        for r in queries.latest_reports()
    ]


@router.get(
    "/reports/{year}",
    auth=None,
    response={200: NetworkReportOut, 404: IndicatorsError},
    summary="A year's network report (its newest computation)",
)
def report(request: HttpRequest, year: int) -> NetworkReportOut:
    found: NetworkReport | None = queries.report_of(year)
    if found is None:
        raise NotFound(str(labels.NO_REPORT))
    return NetworkReportOut(
        year=found.year,
        period_start=found.period_start,
        period_end=found.period_end,
        catalogue_id=found.catalogue_id,
        catalogue_version=found.catalogue_version,
        engine_version=found.engine_version,
        computed_at=found.computed_at,
        figures=[NetworkFigureOut(**f) for f in found.figures],
    )
