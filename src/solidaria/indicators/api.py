"""Indicators API: the network-indicator catalogue and the yearly network reports (public,
read-only, like the report pages), and the organisations' assessments (ECG balances and
social audits: open, autosave answers, company facts, submit, peer review, sign-off,
publication). Values are exact fractions as strings ("7/3"); amounts are integers in
minor units (minutes for time)."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Status
from pydantic import StringConstraints

from solidaria.core.api import TokenAuth, session_auth
from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.core.permissions import allowed
from solidaria.directory.models import Organisation
from solidaria.directory.operators import organisations_run_by
from solidaria.indicators import assessment_queries as q
from solidaria.indicators import assessments as svc
from solidaria.indicators import company_facts as cf
from solidaria.indicators import labels, network_catalogue, queries
from solidaria.indicators.engine.ecg import display
from solidaria.indicators.models import Assessment, NetworkReport

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
    # A cell that would describe fewer than 5 people is suppressed: no value, no
    # numerator, no denominator, and `suppressed` true (never a misleading 0).
    suppressed: bool
    value: str | None
    numerator: int | None
    denominator: int | None
    details: dict[str, int]


def _figure(figure: dict[str, Any]) -> NetworkFigureOut:
    if figure.get("details", {}).get("suppressed"):
        figure = {**figure, "value": None, "numerator": None, "denominator": None}
        return NetworkFigureOut(**figure, suppressed=True)
    return NetworkFigureOut(**figure, suppressed=False)


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
        figures=[_figure(f) for f in found.figures],
    )


# ---------------------------------------------------------------- assessments
# The same services as the pages (`assessments`), so the API refuses exactly what the
# pages refuse: a DomainError is a 4xx with a sentence in `detail` (core/api.py). An
# assessment the caller may not read is a 404, as on the pages. Published balances are
# read by their visibility (public, or members only); the inside of an assessment (its
# company facts, evidence, peer reviews and versions) is for the people who run, review
# or sign it off, and stays theirs after publication.

CODE_MAX = 40  # a topic, aspect or question code (Evidence.code)
MAX_CODES = 1_000  # answers or review entries in one request
Code = Annotated[str, StringConstraints(min_length=1, max_length=CODE_MAX)]
AnswerText = Annotated[str, StringConstraints(max_length=svc.MAX_ANSWER)]


def _anyone(request: HttpRequest) -> str:
    """Lets a visitor without an account read published public balances."""
    return "anonymous"


READERS = [TokenAuth(), session_auth, _anyone]


class OrganisationRefOut(Schema):
    id: int
    name: str


class TopicPointsOut(Schema):
    code: str
    weight: str = Field(description="The topic's weight, an exact fraction such as 3/2.")
    points: str = Field(description="Exact fraction, such as 125/3.")
    max_points: str
    points_display: str = Field(description="Rounded to two decimals, as the pages show.")


class RatingOut(Schema):
    code: str
    is_topic: bool
    is_positive: bool
    weight: str
    estimation: str = Field(description="An aspect's estimation; a topic's points / maximum.")
    points: str
    max_points: str


class EcgPointsOut(Schema):
    total: str
    total_display: str
    topics: list[TopicPointsOut]
    ratings: list[RatingOut] = Field(
        description="Every topic followed by its aspects, as the calculator lists them."
    )


class SupplyRowOut(Schema):
    country: str
    industry: str
    costs: int


class StaffRowOut(Schema):
    country: str
    percent: str


class SectorRowOut(Schema):
    industry: str
    percent: str
    description: str


class CompanyFactsOut(Schema):
    total_purchase_from_suppliers: int
    total_staff_costs: int
    profit: int
    financial_costs: int
    income_from_financial_investments: int
    additions_to_fixed_assets: int
    turnover: int
    total_assets: int
    financial_assets_and_cash_balance: int
    number_of_employees: str
    average_journey_to_work_km: str
    has_canteen: bool | None
    is_b2b: bool
    other_suppliers_country: str
    other_suppliers_costs: int
    supply: list[SupplyRowOut]
    staff: list[StaffRowOut]
    sectors: list[SectorRowOut]


class ReviewEntryOut(Schema):
    comment: str
    estimation: str


class ReviewOut(Schema):
    id: int
    organisation: OrganisationRefOut
    reviewer: str
    summary: str
    entries: dict[str, ReviewEntryOut]
    submitted_at: datetime


class VersionOut(Schema):
    number: int
    verb: str
    status: str
    actor: str | None
    created_at: datetime


class EvidenceOut(Schema):
    id: int
    code: str
    link: str
    has_file: bool
    note: str
    added_at: datetime


class AssessmentSummaryOut(Schema):
    id: int
    organisation: OrganisationRefOut
    year: int
    catalogue: str
    kind: str
    status: str
    visibility: str
    submitted_at: datetime | None
    signed_off_at: datetime | None
    published_at: datetime | None


class AssessmentOut(AssessmentSummaryOut):
    answers: dict[str, str]
    points: EcgPointsOut | None = Field(
        description="ECG: the exact points per topic and the total (null for a questionnaire, "
        "or when every topic weighs 0)."
    )
    may_edit: bool
    inside: bool = Field(
        description="Whether facts, evidence, reviews and versions are given to this caller."
    )
    facts: CompanyFactsOut | None
    evidence: list[EvidenceOut]
    reviews: list[ReviewOut]
    versions: list[VersionOut]


class AssessmentOpenIn(Schema):
    organisation: int = Field(description="The id of an organisation the caller runs.")
    year: int
    catalogue: str = Field(max_length=80, description="A catalogue key, see /catalogues.")


class AnswersIn(Schema):
    answers: dict[Code, AnswerText] = Field(
        max_length=MAX_CODES,
        description="Code -> answer; a blank answer clears it; codes not sent are kept.",
    )


class SupplyRowIn(Schema):
    country: str = Field(max_length=8)
    industry: str = Field(max_length=8)
    costs: int = Field(ge=0, le=cf.MAX_MONEY, description="Minor units (cents).")


class StaffRowIn(Schema):
    country: str = Field(max_length=8)
    percent: str = Field(max_length=30, description="0..100, such as 12.5.")


class SectorRowIn(Schema):
    industry: str = Field(max_length=8)
    percent: str = Field(max_length=30)
    description: str = Field("", max_length=cf.MAX_DESCRIPTION)


Money = Annotated[int, Field(ge=0, le=cf.MAX_MONEY)]


class CompanyFactsIn(Schema):
    """The company facts in minor units (see `company_facts`); the whole set is replaced."""

    total_purchase_from_suppliers: Money = 0
    total_staff_costs: Money = 0
    profit: Annotated[int, Field(ge=-cf.MAX_MONEY, le=cf.MAX_MONEY)] = 0
    financial_costs: Money = 0
    income_from_financial_investments: Money = 0
    additions_to_fixed_assets: Money = 0
    turnover: Money = 0
    total_assets: Money = 0
    financial_assets_and_cash_balance: Money = 0
    number_of_employees: str = Field("0", max_length=30)
    average_journey_to_work_km: str = Field("0", max_length=30)
    has_canteen: bool | None = None
    is_b2b: bool = False
    other_suppliers_country: str = Field(cf.WORLD, max_length=8)
    supply: list[SupplyRowIn] = Field([], max_length=cf.MAX_ROWS)
    staff: list[StaffRowIn] = Field([], max_length=cf.MAX_ROWS)
    sectors: list[SectorRowIn] = Field([], max_length=cf.MAX_ROWS)


class ReviewEntryIn(Schema):
    comment: str = Field("", max_length=svc.MAX_ANSWER)
    estimation: str = Field("", max_length=30, description="A proposed estimation, or blank.")


class ReviewIn(Schema):
    organisation: int = Field(description="The id of the reviewing organisation (run by you).")
    entries: dict[Code, ReviewEntryIn] = Field(max_length=MAX_CODES)
    summary: str = Field("", max_length=4000)


class PublishIn(Schema):
    visibility: str = Field(max_length=16, description="public or members")


class CatalogueOut(Schema):
    key: str
    title: str


def _readable(request: HttpRequest, assessment_id: int) -> Assessment:
    found = Assessment.objects.select_related("organisation").filter(pk=assessment_id).first()
    if found is None or not allowed(request.user, "indicators.assessment.read", found):
        raise NotFound(_("There is no such assessment, or it is not open to you."))
    return found


def _org(pk: int) -> Organisation | None:
    return Organisation.objects.filter(pk=pk).first()


def _ref(org: Organisation) -> OrganisationRefOut:
    return OrganisationRefOut(id=org.pk, name=org.name)


def _summary_fields(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "organisation": _ref(a.organisation),
        "year": a.year,
        "catalogue": a.catalogue_key,
        "kind": a.catalogue_kind,
        "status": a.status,
        "visibility": a.visibility,
        "submitted_at": a.submitted_at,
        "signed_off_at": a.signed_off_at,
        "published_at": a.published_at,
    }


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def _points(a: Assessment) -> EcgPointsOut | None:
    if a.catalogue_kind != "ecg":
        return None
    try:
        balance = svc.ecg_balance(a)
    except ValueError:  # every topic weighs 0
        return None
    return EcgPointsOut(
        total=_fraction(balance.total),
        total_display=str(display(balance.total)),
        topics=[
            TopicPointsOut(
                code=t.code,
                weight=_fraction(t.weight),
                points=_fraction(t.points),
                max_points=_fraction(t.max_points),
                points_display=str(display(t.points)),
            )
            for t in balance.topics
        ],
        ratings=[
            RatingOut(
                code=r.code,
                is_topic=r.is_topic,
                is_positive=r.is_positive,
                weight=_fraction(r.weight),
                estimation=_fraction(r.estimation),
                points=_fraction(r.points),
                max_points=_fraction(r.max_points),
            )
            for r in balance.ratings
        ],
    )


def _facts(a: Assessment) -> CompanyFactsOut | None:
    if a.catalogue_kind != "ecg":
        return None
    try:
        stored = cf.clean(a.facts or {})
    except ValidationFailed:  # pragma: no cover - facts_save and migration 0003 keep them valid
        return None
    return CompanyFactsOut(**stored, other_suppliers_costs=cf.other_suppliers_costs(stored))


def _out(request: HttpRequest, a: Assessment) -> AssessmentOut:
    editor = q.may_edit(request.user, a)
    inside = editor or a.status != Assessment.Status.PUBLISHED
    return AssessmentOut(
        **_summary_fields(a),
        answers={str(k): str(v) for k, v in a.answers.items()},
        points=_points(a),
        may_edit=editor,
        inside=inside,
        facts=_facts(a) if inside else None,
        evidence=[
            EvidenceOut(
                id=e.pk,
                code=e.code,
                link=e.link,
                has_file=bool(e.file),
                note=e.note,
                added_at=e.added_at,
            )
            for e in a.evidence.all()
        ]
        if inside
        else [],
        reviews=[
            ReviewOut(
                id=r.pk,
                organisation=_ref(r.organisation),
                reviewer=r.reviewer.get_username(),
                summary=r.summary,
                entries={
                    c: ReviewEntryOut(
                        comment=e.get("comment", ""), estimation=e.get("estimation", "")
                    )
                    for c, e in r.entries.items()
                },
                submitted_at=r.submitted_at,
            )
            for r in a.reviews.select_related("organisation", "reviewer")
        ]
        if inside
        else [],
        versions=[
            VersionOut(
                number=v.number,
                verb=v.verb,
                status=v.status,
                actor=v.actor.get_username() if v.actor else None,
                created_at=v.created_at,
            )
            for v in a.versions.select_related("actor")
        ]
        if inside
        else [],
    )


@router.get(
    "/catalogues",
    auth=None,
    response=list[CatalogueOut],
    summary="The catalogues an assessment can be opened in",
)
def assessment_catalogues(request: HttpRequest) -> list[CatalogueOut]:
    return [CatalogueOut(key=k, title=t) for k, t in svc.catalogue_choices()]


@router.get(
    "/assessments",
    auth=READERS,
    response=list[AssessmentSummaryOut],
    summary="Your organisations' assessments and the published balances open to you",
)
def assessments(request: HttpRequest) -> list[AssessmentSummaryOut]:
    runs = list(organisations_run_by(request.user)) if request.user.is_authenticated else []
    mine = Assessment.objects.filter(organisation__in=runs).select_related("organisation")
    seen = {a.pk for a in mine}
    rows = [*mine, *(a for a in q.published(request.user) if a.pk not in seen)]
    rows.sort(key=lambda a: (-a.year, a.organisation.name, a.pk))
    return [AssessmentSummaryOut(**_summary_fields(a)) for a in rows]


@router.post(
    "/assessments",
    response={201: AssessmentOut},
    summary="Open an organisation's assessment of a year in a catalogue",
)
def assessment_open(request: HttpRequest, payload: AssessmentOpenIn) -> Status:
    org = _org(payload.organisation)
    if org is None:
        raise ValidationFailed(_("There is no such organisation."), field="organisation")
    found = svc.assessment_open(
        actor=request.user, organisation=org, year=payload.year, catalogue_key=payload.catalogue
    )
    return Status(201, _out(request, found))


@router.get(
    "/assessments/{assessment_id}",
    auth=READERS,
    response=AssessmentOut,
    summary="An assessment: status, answers, points; for its people also facts, evidence, "
    "reviews and versions",
)
def assessment(request: HttpRequest, assessment_id: int) -> AssessmentOut:
    return _out(request, _readable(request, assessment_id))


@router.patch(
    "/assessments/{assessment_id}/answers",
    response=AssessmentOut,
    summary="Autosave answers (the codes sent; the same request twice changes nothing)",
)
def assessment_answers(
    request: HttpRequest, assessment_id: int, payload: AnswersIn
) -> AssessmentOut:
    found = _readable(request, assessment_id)
    saved = svc.answers_save(actor=request.user, assessment=found, answers=dict(payload.answers))
    return _out(request, saved)


@router.put(
    "/assessments/{assessment_id}/facts",
    response=AssessmentOut,
    summary="Replace the company facts of an ECG balance (amounts in minor units)",
)
def assessment_facts(
    request: HttpRequest, assessment_id: int, payload: CompanyFactsIn
) -> AssessmentOut:
    found = _readable(request, assessment_id)
    saved = svc.facts_save(actor=request.user, assessment=found, facts=payload.dict())
    return _out(request, saved)


@router.post(
    "/assessments/{assessment_id}/submit",
    response=AssessmentOut,
    summary="Submit for peer review",
)
def assessment_submit(request: HttpRequest, assessment_id: int) -> AssessmentOut:
    found = _readable(request, assessment_id)
    return _out(request, svc.assessment_submit(actor=request.user, assessment=found))


@router.post(
    "/assessments/{assessment_id}/reviews",
    response={201: ReviewOut},
    summary="A peer review on behalf of another organisation (comment and estimation per aspect)",
)
def assessment_review(request: HttpRequest, assessment_id: int, payload: ReviewIn) -> Status:
    found = _readable(request, assessment_id)
    review = svc.review_submit(
        actor=request.user,
        assessment=found,
        organisation=_org(payload.organisation),
        entries={c: e.dict() for c, e in payload.entries.items()},
        summary=payload.summary,
    )
    return Status(
        201,
        ReviewOut(
            id=review.pk,
            organisation=_ref(review.organisation),
            reviewer=review.reviewer.get_username(),
            summary=review.summary,
            entries={c: ReviewEntryOut(**e) for c, e in review.entries.items()},
            submitted_at=review.submitted_at,
        ),
    )


@router.post(
    "/assessments/{assessment_id}/signoff",
    response=AssessmentOut,
    summary="Sign off a reviewed assessment (network stewards and external auditors)",
)
def assessment_signoff(request: HttpRequest, assessment_id: int) -> AssessmentOut:
    found = _readable(request, assessment_id)
    return _out(request, svc.assessment_signoff(actor=request.user, assessment=found))


@router.post(
    "/assessments/{assessment_id}/publish",
    response=AssessmentOut,
    summary="Publish a signed-off balance, public or to members only (or change which)",
)
def assessment_publish(
    request: HttpRequest, assessment_id: int, payload: PublishIn
) -> AssessmentOut:
    found = _readable(request, assessment_id)
    saved = svc.assessment_publish(
        actor=request.user, assessment=found, visibility=payload.visibility
    )
    return _out(request, saved)
