"""Reads of network reports shared by pages and exports."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.urls import reverse

from solidaria.core.errors import CORRECTABLE
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


@dataclass
class PublishedBalance:
    """One organisation's balance published publicly for the report's year, summarised."""

    assessment: Any
    organisation: str
    catalogue: str
    kind: str  # "ecg" or "questionnaire"
    total: str = ""  # ECG: total points, rounded for display
    groups: list[dict[str, Any]] = field(default_factory=list)  # ECG: per stakeholder group
    answered: int = 0  # a questionnaire: questions answered
    questions: int = 0
    principles: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class YearBalances:
    year: int
    ecg: list[PublishedBalance] = field(default_factory=list)
    questionnaires: list[PublishedBalance] = field(default_factory=list)
    stakeholders: list[tuple[str, str]] = field(default_factory=list)
    aggregate: dict[str, Any] | None = None  # ECG figures over >= MIN_ORGANISATIONS
    minimum: int = 5

    @property
    def is_empty(self) -> bool:
        return not (self.ecg or self.questionnaires)


def _ecg_summary(item: PublishedBalance, result: dict[str, Any], cat: Any) -> None:
    from solidaria.indicators.engine.ecg import display

    item.total = str(display(Fraction(result["total"]), 0))
    for code, name in cat.stakeholders:
        topics = [t for c, t in result.get("topics", {}).items() if c.startswith(code)]
        points = sum((Fraction(t["points"]) for t in topics), Fraction(0))
        most = sum((Fraction(t["max"]) for t in topics), Fraction(0))
        item.groups.append(
            {
                "code": code,
                "name": name,
                "points": str(display(points, 0)),
                "max": str(display(most, 0)),
            }
        )


def _questionnaire_summary(item: PublishedBalance, answers: dict[str, Any], cat: Any) -> None:
    from solidaria.indicators.engine.catalogue import GENDER_SUFFIXES

    def answered(it: Any) -> bool:
        codes = (
            [it.code, *(it.code + s for s in GENDER_SUFFIXES)] if it.split_by_gender else [it.code]
        )
        return any(str(answers.get(c, "")).strip() for c in codes)

    for g in cat.groups:
        items = [it for sec in g.sections for it in sec.items]
        done = sum(1 for it in items if answered(it))
        item.principles.append({"name": g.name, "answered": done, "questions": len(items)})
        item.answered += done
        item.questions += len(items)


def year_balances(year: int) -> YearBalances:
    """The balances organisations published publicly for `year` (the report is public):
    ECG totals and points per stakeholder group, questionnaires (REAS) answered per
    principle, each linking to its balance; and the network's ECG figures for the year
    when at least `MIN_ORGANISATIONS` organisations published one."""
    from django.contrib.auth.models import AnonymousUser

    from solidaria.indicators import assessment_queries as aq
    from solidaria.indicators.assessments import catalogue_of
    from solidaria.indicators.engine.catalogue import EcgCatalogue

    anyone = AnonymousUser()
    out = YearBalances(year=year, minimum=aq.MIN_ORGANISATIONS)
    for a in aq.published(anyone).filter(year=year).order_by("organisation__name", "pk"):
        try:
            cat = catalogue_of(a.catalogue_key)
        except CORRECTABLE:  # a custom catalogue removed since: list it without a summary
            cat = None
        item = PublishedBalance(
            assessment=a,
            organisation=str(a.organisation),
            catalogue=str(getattr(cat, "title", a.catalogue_key)),
            kind=a.catalogue_kind,
        )
        if isinstance(cat, EcgCatalogue) and a.result.get("total") is not None:
            _ecg_summary(item, a.result, cat)
            out.stakeholders = list(cat.stakeholders)
            out.ecg.append(item)
        else:
            if cat is not None and hasattr(cat, "groups"):
                _questionnaire_summary(item, a.answers, cat)
            out.questionnaires.append(item)
    out.aggregate = next((y for y in aq.aggregates(anyone) if y["year"] == year), None)
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
