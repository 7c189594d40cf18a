"""Participatory budgeting API: processes, projects, ballots and results.

Members (token or session) read processes and propose projects; stewards create processes,
review, advance phases, generate codes, count and publish. Ballots for processes open to
residents may be sent without an account, with a voting code. Refusals are 401/403/404/409
and invalid input is 422 with the offending `field`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from solidaria.budgeting import queries, services
from solidaria.budgeting.models import Process, Project, Result
from solidaria.core import throttle
from solidaria.core.api import TokenAuth, session_auth
from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound

router = Router(tags=["budgeting"])


def _anonymous(request: HttpRequest) -> str:
    """Lets a resident without an account reach the ballot route; the code decides."""
    return "anonymous"


class PhaseOut(Schema):
    phase: str
    starts_at: datetime | None
    ends_at: datetime | None


class ProcessOut(Schema):
    slug: str
    title: str
    description: str
    phase: str
    currency: str
    currency_exponent: int
    budget: int
    electorate: str
    ballot_type: str
    min_length: int | None
    max_length: int | None
    max_sum_cost: int | None
    max_points: int | None
    min_sum_points: int | None
    max_sum_points: int | None
    rule: str
    completion: str
    rule_parameters: dict[str, Any]
    rule_version: int
    schedule: list[PhaseOut]


class ProcessIn(Schema):
    limits_from = (Process,)

    title: str = Field(min_length=1, max_length=200)
    slug: str = ""
    description: str = ""
    currency: str = Field("EUR", max_length=8)
    currency_exponent: int = Field(0, ge=0, le=4)
    budget: int = Field(gt=0, description="minor units")
    electorate: str = "members"
    ballot_type: str = "approval"
    min_length: int | None = None
    max_length: int | None = None
    max_sum_cost: int | None = None
    max_points: int | None = None
    min_sum_points: int | None = None
    max_sum_points: int | None = None
    rule: str = "mes"
    completion: str = "add1"
    rule_parameters: dict[str, Any] = {}


class ProjectOut(Schema):
    id: int
    project_id: str
    title: str
    description: str
    cost: int
    category: str
    district: str
    status: str


class ProjectIn(Schema):
    limits_from = (Project,)

    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    cost: int = Field(description="minor units")
    category: str = Field("", max_length=200)
    district: str = Field("", max_length=200)


class ProjectReviewIn(Schema):
    status: str
    cost: int | None = None
    note: str = ""


class BallotIn(Schema):
    projects: list[str]
    points: list[int] | None = None
    code: str = ""
    secret: str = Field(
        "",
        description="the ballot secret of a first vote, to change it; it works only for the "
        "same member (token or session) or together with the same voting code",
    )


class BallotOut(Schema):
    secret: str = Field(description="keep it: it is the only way to change this ballot")
    changed: bool


class CodesIn(Schema):
    count: int


class CodesOut(Schema):
    codes: list[str]


def _process_out(p: Process) -> ProcessOut:
    return ProcessOut(
        slug=p.slug,
        title=p.title,
        description=p.description,
        phase=p.phase,
        currency=p.currency,
        currency_exponent=p.currency_exponent,
        budget=p.budget_minor,
        electorate=p.electorate,
        ballot_type=p.ballot_type,
        min_length=p.min_length,
        max_length=p.max_length,
        max_sum_cost=p.max_sum_cost,
        max_points=p.max_points,
        min_sum_points=p.min_sum_points,
        max_sum_points=p.max_sum_points,
        rule=p.rule,
        completion=p.completion,
        rule_parameters=p.rule_parameters,
        rule_version=p.rule_version,
        schedule=[
            PhaseOut(phase=s.phase, starts_at=s.starts_at, ends_at=s.ends_at)
            for s in p.schedule.all()
        ],
    )


def _project_out(p: Project) -> ProjectOut:
    return ProjectOut(
        id=p.pk,
        project_id=p.code,
        title=p.title,
        description=p.description,
        cost=p.cost_minor,
        category=p.category,
        district=p.district,
        status=p.status,
    )


@router.get("/processes", response=list[ProcessOut], summary="Processes you may see")
def process_list(request: HttpRequest) -> list[ProcessOut]:
    return [_process_out(p) for p in queries.visible_processes(request.user)]


@router.post("/processes", response={201: ProcessOut}, summary="Create a process (stewards)")
def process_create(request: HttpRequest, payload: ProcessIn) -> Status[ProcessOut]:
    data = payload.dict()
    budget = data.pop("budget")
    settings = services.ProcessSettings(budget_minor=budget, **data)
    return Status(201, _process_out(services.process_create(actor=request.user, settings=settings)))


@router.get("/processes/{slug}", response=ProcessOut)
def process_detail(request: HttpRequest, slug: str) -> ProcessOut:
    return _process_out(queries.process_for(request.user, slug))


@router.post("/processes/{slug}/advance", response=ProcessOut, summary="Next phase (stewards)")
def process_advance(request: HttpRequest, slug: str) -> ProcessOut:
    process = queries.process_for(request.user, slug)
    return _process_out(services.phase_advance(actor=request.user, process=process))


@router.get("/processes/{slug}/projects", response=list[ProjectOut])
def project_list(request: HttpRequest, slug: str) -> list[ProjectOut]:
    process = queries.process_for(request.user, slug)
    return [_project_out(p) for p in process.projects.order_by("id")]


@router.post("/processes/{slug}/projects", response={201: ProjectOut}, summary="Propose")
def project_submit(request: HttpRequest, slug: str, payload: ProjectIn) -> Status[ProjectOut]:
    process = queries.process_for(request.user, slug)
    project = services.project_submit(
        actor=request.user,
        process=process,
        title=payload.title,
        description=payload.description,
        cost_minor=payload.cost,
        category=payload.category,
        district=payload.district,
    )
    return Status(201, _project_out(project))


@router.post("/processes/{slug}/projects/{project_id}/review", response=ProjectOut)
def project_review(
    request: HttpRequest, slug: str, project_id: int, payload: ProjectReviewIn
) -> ProjectOut:
    process = queries.process_for(request.user, slug)
    project = queries.project_or_404(process, project_id)
    return _project_out(
        services.project_review(
            actor=request.user,
            project=project,
            status=payload.status,
            cost_minor=payload.cost,
            note=payload.note,
        )
    )


@router.post("/processes/{slug}/codes", response={201: CodesOut}, summary="Voting codes, once")
def codes_generate(request: HttpRequest, slug: str, payload: CodesIn) -> Status[CodesOut]:
    process = queries.process_for(request.user, slug)
    codes = services.codes_generate(actor=request.user, process=process, count=payload.count)
    return Status(201, CodesOut(codes=codes))


@router.post(
    "/processes/{slug}/ballot",
    response=BallotOut,
    auth=[TokenAuth(), session_auth, _anonymous],
    summary="Cast or change a ballot",
)
def ballot_cast(request: HttpRequest, slug: str, payload: BallotIn) -> BallotOut:
    process = queries.process_for(request.user, slug)
    outcome = services.ballot_cast(
        actor=request.user,
        process=process,
        projects=payload.projects,
        points=payload.points,
        code=payload.code,
        secret=payload.secret,
        client=throttle.client_address(request),
    )
    return BallotOut(secret=outcome.secret, changed=outcome.is_change)


@router.post("/processes/{slug}/count", response={201: dict[str, Any], 202: dict[str, Any]})
def count(request: HttpRequest, slug: str) -> Status[dict[str, Any]]:
    process = queries.process_for(request.user, slug)
    result = services.count_request(actor=request.user, process=process)
    if result is None:
        return Status(202, {"detail": "the count runs in the background"})
    return Status(201, queries.result_json(result))


@router.get("/processes/{slug}/results", response=dict[str, Any], summary="Published result")
def results(request: HttpRequest, slug: str) -> dict[str, Any]:
    process = queries.process_for(request.user, slug)
    result = queries.result_for(request.user, process)
    if result is None:
        raise NotFound("no published result yet")
    return queries.result_json(result)


@router.post("/processes/{slug}/results/{result_id}/publish", response=dict[str, Any])
def publish(request: HttpRequest, slug: str, result_id: int) -> dict[str, Any]:
    process = queries.process_for(request.user, slug)
    result = Result.objects.filter(process=process, pk=result_id).first()
    if result is None:
        raise NotFound("no such result")
    return queries.result_json(services.result_publish(actor=request.user, result=result))
