"""Reads of assessments for the pages: the ECG matrix (5 x 4 with colours, numbers as
text), a REAS balance by principle, earlier years, and network aggregates over published
balances (only when at least `MIN_ORGANISATIONS` organisations contributed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from solidaria.core.models import Visibility
from solidaria.core.permissions import allowed, is_member
from solidaria.indicators.assessments import catalogue_of, ecg_balance
from solidaria.indicators.engine.catalogue import GENDER_SUFFIXES, EcgCatalogue
from solidaria.indicators.engine.ecg import display
from solidaria.indicators.models import Assessment

MIN_ORGANISATIONS = 5
CELL = 60  # SVG units per matrix cell
# share of the topic's maximum reached -> colour band (the band is also written as text)
BANDS = (
    (Fraction(-1000), "negative", "#b2182b"),
    (Fraction(0), "beginning", "#f4e3c1"),
    (Fraction(1, 10), "first steps", "#d9f0a3"),
    (Fraction(3, 10), "advanced", "#78c679"),
    (Fraction(6, 10), "experienced", "#238443"),
    (Fraction(9, 10), "exemplary", "#004529"),
)


def band(share: Fraction) -> tuple[str, str]:
    name, colour = BANDS[0][1], BANDS[0][2]
    for low, n, c in BANDS:
        if share >= low:
            name, colour = n, c
    return name, colour


def band_label(name: str) -> str:
    return {
        "negative": _("negative"),
        "beginning": _("beginning"),
        "first steps": _("first steps"),
        "advanced": _("advanced"),
        "experienced": _("experienced"),
        "exemplary": _("exemplary"),
    }[name]


def fraction(text: str) -> Fraction:
    return Fraction(text)


def published(user: Any) -> QuerySet[Assessment]:
    qs = Assessment.objects.filter(status=Assessment.Status.PUBLISHED).select_related(
        "organisation"
    )
    if not is_member(user):
        qs = qs.filter(visibility=Visibility.PUBLIC)
    return qs


def published_of(organisation: Any, user: Any) -> list[Assessment]:
    return list(published(user).filter(organisation=organisation).order_by("-year"))


@dataclass
class Matrix:
    stakeholders: list[tuple[str, str]]
    values: list[tuple[str, str]]
    rows: list[list[dict[str, Any]]]
    total: str
    width: int
    height: int
    topics: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)


def matrix(assessment: Assessment) -> Matrix:
    """The 5 x 4 matrix of a signed-off ECG balance from its kept result (or computed
    live for a draft), each cell with its points, maximum, share and colour band."""
    cat = catalogue_of(assessment.catalogue_key)
    assert isinstance(cat, EcgCatalogue)
    if assessment.result.get("topics"):
        points = {
            c: (fraction(t["points"]), fraction(t["max"]))
            for c, t in assessment.result["topics"].items()
        }
        total = fraction(assessment.result["total"])
    else:
        balance = ecg_balance(assessment)
        points = {t.code: (t.points, t.max_points) for t in balance.topics}
        total = balance.total
    names = {t.code: t.name for t in cat.topics}
    rows: list[list[dict[str, Any]]] = []
    topics: list[dict[str, Any]] = []
    for i, (s_code, _s_name) in enumerate(cat.stakeholders):
        row = []
        for j, (v_code, _v_name) in enumerate(cat.values):
            code = f"{s_code}{v_code}"
            got, most = points.get(code, (Fraction(0), Fraction(0)))
            share = got / most if most else Fraction(0)
            name, colour = band(share)
            cell = {
                "code": code,
                "name": names.get(code, code),
                "points": display(got, 0),
                "max": display(most, 0),
                "percent": display(share * 100, 0),
                "band": band_label(name),
                "colour": colour,
                "light": name in ("beginning", "first steps"),
                "x": j * CELL,
                "y": i * CELL,
                "tx": j * CELL + CELL // 2,
                "ty": i * CELL + CELL // 2,
            }
            row.append(cell)
            topics.append(cell)
        rows.append(row)
    return Matrix(
        stakeholders=list(cat.stakeholders),
        values=list(cat.values),
        rows=rows,
        total=str(display(total, 0)),
        width=len(cat.values) * CELL,
        height=len(cat.stakeholders) * CELL,
        topics=topics,
        columns=[
            {"code": v, "name": n, "x": j * CELL + CELL // 2} for j, (v, n) in enumerate(cat.values)
        ],
    )


def earlier_years(assessment: Assessment, user: Any) -> list[dict[str, Any]]:
    """The organisation's published balances in the same catalogue, oldest first."""
    rows = []
    for other in (
        published(user)
        .filter(organisation=assessment.organisation, catalogue_key=assessment.catalogue_key)
        .order_by("year")
    ):
        total = other.result.get("total")
        rows.append(
            {
                "assessment": other,
                "total": display(fraction(total), 0) if total else None,
                "current": other.pk == assessment.pk,
            }
        )
    return rows


def comparison(earlier: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Points per topic in each published year (rows: topics; columns: the years)."""
    kept = [e["assessment"] for e in earlier if e["assessment"].result.get("topics")]
    codes = sorted({c for a in kept for c in a.result["topics"]})
    return [
        {
            "code": code,
            "points": [
                display(fraction(a.result["topics"][code]["points"]), 0)
                if code in a.result["topics"]
                else None
                for a in kept
            ],
        }
        for code in codes
    ]


def questionnaire(assessment: Assessment) -> list[dict[str, Any]]:
    """A questionnaire's answers by principle (group) and section, with gender splits."""
    cat = catalogue_of(assessment.catalogue_key)
    answers = assessment.answers
    groups = []
    for g in cat.groups:  # type: ignore[union-attr]
        sections = []
        for s in g.sections:
            items = []
            for item in s.items:
                split = (
                    [(suffix, answers.get(item.code + suffix, "")) for suffix in GENDER_SUFFIXES]
                    if item.split_by_gender
                    else []
                )
                items.append({"item": item, "answer": answers.get(item.code, ""), "split": split})
            sections.append({"name": s.name, "items": items})
        groups.append({"code": g.code, "name": g.name, "sections": sections})
    return groups


def quantile(sorted_values: list[Fraction], q: Fraction) -> Fraction:
    """Linear interpolation between closest ranks (type 7), exact."""
    if not sorted_values:
        raise ValueError("no values")
    pos = (len(sorted_values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)


def histogram(
    values: list[Fraction], width: int = 100, low: int = -200, high: int = 1000
) -> list[dict[str, Any]]:
    bins: list[dict[str, Any]] = []
    start = low
    while start < high:
        count = sum(
            1 for v in values if start <= v < start + width or (start + width == high and v == high)
        )
        bins.append({"from": start, "to": start + width, "count": count})
        start += width
    below = sum(1 for v in values if v < low)
    if below:
        bins.insert(0, {"from": None, "to": low, "count": below})
    return [b for b in bins if b["count"]] if len(values) > 0 else []


def aggregates(user: Any) -> list[dict[str, Any]]:
    """Per year of published ECG balances: quartiles and a histogram of the totals and
    the median per topic; a year with fewer than 5 organisations shows only that count."""
    years: dict[int, dict[int, Assessment]] = {}
    for a in published(user).filter(catalogue_kind="ecg").order_by("year", "published_at"):
        years.setdefault(a.year, {})[a.organisation_id] = a
    out = []
    for year in sorted(years, reverse=True):
        balances = list(years[year].values())
        entry: dict[str, Any] = {"year": year, "count": len(balances), "enough": False}
        if len(balances) >= MIN_ORGANISATIONS:
            totals = sorted(fraction(b.result["total"]) for b in balances)
            entry.update(
                enough=True,
                minimum=display(totals[0], 0),
                q1=display(quantile(totals, Fraction(1, 4)), 0),
                median=display(quantile(totals, Fraction(1, 2)), 0),
                q3=display(quantile(totals, Fraction(3, 4)), 0),
                maximum=display(totals[-1], 0),
                mean=display(sum(totals, Fraction(0)) / len(totals), 0),
                histogram=histogram(totals),
            )
            most = max(b["count"] for b in entry["histogram"]) or 1
            for b in entry["histogram"]:
                b["bar"] = 200 * b["count"] // most
                b["y"] = entry["histogram"].index(b) * 14
            entry["chart_height"] = len(entry["histogram"]) * 14
            codes = sorted({c for b in balances for c in b.result.get("topics", {})})
            entry["topics"] = [
                {
                    "code": c,
                    "median": display(
                        quantile(
                            sorted(
                                fraction(b.result["topics"][c]["points"])
                                for b in balances
                                if c in b.result.get("topics", {})
                            ),
                            Fraction(1, 2),
                        ),
                        0,
                    ),
                }
                for c in codes
            ]
        out.append(entry)
    return out


def may_edit(user: Any, assessment: Assessment) -> bool:
    return is_member(user) and allowed(user, "indicators.assessment.edit", assessment)
