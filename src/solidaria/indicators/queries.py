"""Reads of network reports shared by pages and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.urls import reverse

from solidaria.core.templatetags.human import rule_name
from solidaria.indicators import labels, network_catalogue
from solidaria.indicators.engine.catalogue import NetworkIndicator
from solidaria.indicators.models import NetworkReport
from solidaria.ledger.models import Currency

BAR_WIDTH = 300
ROW_HEIGHT = 12


def latest_reports() -> list[NetworkReport]:
    """The newest report of each year, newest year first."""
    seen: set[int] = set()
    out = []
    for report in NetworkReport.objects.order_by("-year", "-computed_at", "-id"):
        if report.year not in seen:
            seen.add(report.year)
            out.append(report)
    return out


def report_of(year: int) -> NetworkReport | None:
    return NetworkReport.objects.filter(year=year).order_by("-computed_at", "-id").first()


@dataclass
class Row:
    subject: str
    value: str
    basis: str
    bar: int  # width of the bar in the chart (0..BAR_WIDTH), decoration only
    figure: dict[str, Any]
    y: int = 0  # the bar's place in the chart


@dataclass
class Block:
    spec: NetworkIndicator
    title: str
    method: str
    rows: list[Row] = field(default_factory=list)

    @property
    def chart_height(self) -> int:
        return ROW_HEIGHT * len(self.rows)


def _subject(figure: dict[str, Any], per: str, currencies: dict[str, Currency]) -> str:
    if per == "currency":
        c = currencies.get(figure["subject"])
        return f"{c.name} ({c.code})" if c is not None else str(figure["subject"])
    if str(figure["indicator"]).startswith("people.gender_"):
        return str(labels.GENDERS.get(figure["subject"], figure["subject"]))
    if per == "network":
        return str(labels.PER["network"])
    name = str(figure.get("subject_label") or figure["subject"])
    if figure["indicator"] == "budgeting.voters_with_funded_project":
        rule = str(figure["subject"]).partition("/")[2]  # slugs have no "/"; rules may
        return f"{name} ({rule_name(rule)})"
    return name


def blocks(report: NetworkReport) -> list[Block]:
    """The report's figures grouped by indicator, in catalogue order, ready to show."""
    currencies = {c.code: c for c in Currency.objects.all()}
    out = []
    for spec in network_catalogue.load().indicators:
        figures = [f for f in report.figures if f["indicator"] == spec.code]
        block = Block(spec, labels.title(spec.code), labels.method(spec.code))
        values = [Fraction(str(f["value"])) for f in figures]
        top = max((abs(v) for v in values), default=Fraction(0))
        for f, v in zip(figures, values, strict=True):
            c = currencies.get(f["subject"]) if spec.per == "currency" else None
            exponent = c.exponent if c is not None else 2
            code = c.code if c is not None else ""
            hidden = labels.suppressed_text(f)
            if hidden:
                bar = 0
            elif spec.unit == "share":
                bar = int(min(max(v, Fraction(0)), Fraction(1)) * BAR_WIDTH)
            else:
                bar = int(abs(v) / top * BAR_WIDTH) if top else 0
            block.rows.append(
                Row(
                    subject=_subject(f, spec.per, currencies),
                    value=hidden or labels.value_text(f, spec.unit, exponent, code),
                    basis="" if hidden else labels.basis_text(f, spec.unit, exponent, code),
                    bar=bar,
                    figure=f,
                    y=ROW_HEIGHT * len(block.rows) + 2,
                )
            )
        out.append(block)
    return out


def jsonld(report: NetworkReport) -> dict[str, Any]:
    """The report as schema.org `Dataset` of `Observation`s (JSON-LD), with exact values."""
    base = str(settings.SOLIDARIA["PUBLIC_URL"]).rstrip("/")
    page = base + reverse("indicators:report", args=[report.year])
    methods = base + reverse("indicators:methods")
    specs = {s.code: s for s in network_catalogue.load().indicators}
    observations = []
    for f in report.figures:
        spec = specs.get(f["indicator"])
        hidden = labels.suppressed_text(f)
        if hidden:  # no count at all: the cell is too small to publish
            observations.append(
                {
                    "@type": "Observation",
                    "variableMeasured": {
                        "@type": "StatisticalVariable",
                        "@id": f"{methods}#{f['indicator']}",
                        "name": labels.title(f["indicator"]),
                    },
                    "observationAbout": f["subject"] or "network",
                    "measurementQualifier": "suppressed",
                    "description": hidden,
                    "observationDate": str(report.year),
                }
            )
            continue
        observations.append(
            {
                "@type": "Observation",
                "variableMeasured": {
                    "@type": "StatisticalVariable",
                    "@id": f"{methods}#{f['indicator']}",
                    "name": labels.title(f["indicator"]),
                    "measurementMethod": spec.formula if spec else "",
                    "description": labels.method(f["indicator"]),
                },
                "observationAbout": f["subject"] or "network",
                "value": f["value"],
                "numerator": f["numerator"],
                "denominator": f["denominator"],
                "unitText": spec.unit if spec else "",
                "observationDate": str(report.year),
            }
        )
    return {
        "@context": {"@vocab": "https://schema.org/"},
        "@type": "Dataset",
        "@id": page,
        "name": str(labels.REPORT_TITLE) % {"year": report.year},
        "temporalCoverage": f"{report.period_start:%Y-%m-%d}/{report.period_end:%Y-%m-%d}",
        "dateCreated": report.computed_at.isoformat(),
        "version": f"{report.catalogue_id} {report.catalogue_version}, engine {report.engine_version}",
        "measurementTechnique": methods,
        "hasPart": observations,
    }
