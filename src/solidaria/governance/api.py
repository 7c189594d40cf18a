"""Governance API: co-ops, members, the capital register, polls and allocation runs.

Reading a co-op's list is open to every logged-in member; its inside (members, register,
polls, allocations) to its members and stewards. Writes call `services`, so they refuse
exactly what the pages refuse (DomainError -> 4xx with `detail`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Header, Router, Status

from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound, PermissionDenied, ValidationFailed
from solidaria.governance import queries, services
from solidaria.governance.models import AllocationRun, Cooperative, Membership, Poll

router = Router(tags=["governance"])


def _coop(slug: str) -> Cooperative:
    coop = Cooperative.objects.filter(slug=slug).first()
    if coop is None:
        raise NotFound(f"there is no co-op '{slug}'")
    return coop


def _inside(request: HttpRequest, coop: Cooperative) -> None:
    if not queries.may_see_inside(request.user, coop):
        raise PermissionDenied("only members and stewards of this co-op may see this")


class ClassOut(Schema):
    id: int
    name: str
    vote_weight: int


class ShareTypeOut(Schema):
    id: int
    name: str
    nominal_minor: int
    min_holding: int
    max_holding: int | None


class CoopOut(Schema):
    slug: str
    name: str
    description: str
    currency: str | None
    members: int
    vote_weight: int
    classes: list[ClassOut]
    share_types: list[ShareTypeOut]


def _coop_out(coop: Cooperative) -> CoopOut:
    count, weight = queries.electorate(coop)
    return CoopOut(
        slug=coop.slug,
        name=coop.name,
        description=coop.description,
        currency=coop.currency.code if coop.currency else None,
        members=count,
        vote_weight=weight,
        classes=[
            ClassOut(id=c.pk, name=c.name, vote_weight=c.vote_weight) for c in coop.classes.all()
        ],
        share_types=[
            ShareTypeOut(
                id=t.pk,
                name=t.name,
                nominal_minor=t.nominal_minor,
                min_holding=t.min_holding,
                max_holding=t.max_holding,
            )
            for t in coop.share_types.all()
        ],
    )


@router.get("/coops", response=list[CoopOut], summary="Co-operatives")
def coops(request: HttpRequest) -> list[CoopOut]:
    return [_coop_out(c) for c in queries.coops_for(request.user)]


@router.get("/coops/{slug}", response=CoopOut, summary="One co-operative")
def coop(request: HttpRequest, slug: str) -> CoopOut:
    return _coop_out(_coop(slug))


class MemberOut(Schema):
    id: int
    username: str
    member_class: str
    vote_weight: int
    status: str
    is_steward: bool
    applied_at: dt.datetime
    started_at: dt.datetime | None
    ended_at: dt.datetime | None


def _member_out(m: Membership) -> MemberOut:
    return MemberOut(
        id=m.pk,
        username=m.user.username,
        member_class=m.member_class.name,
        vote_weight=m.member_class.vote_weight,
        status=m.status,
        is_steward=m.is_steward,
        applied_at=m.applied_at,
        started_at=m.started_at,
        ended_at=m.ended_at,
    )


@router.get("/coops/{slug}/members", response=list[MemberOut], summary="Members, with history")
def members(request: HttpRequest, slug: str) -> list[MemberOut]:
    coop = _coop(slug)
    _inside(request, coop)
    return [_member_out(m) for m in queries.members_of(coop)]


class ApplicationIn(Schema):
    limits_from = (Membership,)

    member_class: int
    motivation: str = ""


@router.post("/coops/{slug}/applications", response={201: MemberOut}, summary="Apply to join")
def apply(request: HttpRequest, slug: str, payload: ApplicationIn) -> Status:
    m = services.membership_apply(
        actor=request.user,
        coop=_coop(slug),
        member_class=payload.member_class,
        motivation=payload.motivation,
    )
    return Status(201, _member_out(m))


class MembershipDecisionIn(Schema):
    is_approved: bool
    reason: str = ""


@router.post("/memberships/{membership_id}/decision", response=MemberOut, summary="Decide")
def decide(request: HttpRequest, membership_id: int, payload: MembershipDecisionIn) -> MemberOut:
    m = services.membership_decide(
        actor=request.user,
        membership=membership_id,
        is_approved=payload.is_approved,
        reason=payload.reason,
    )
    return _member_out(m)


# --- register ------------------------------------------------------------------------


class RegisterEntryOut(Schema):
    seq: int
    created_at: dt.datetime
    member: str
    kind: str
    share_type: str | None
    quantity: int
    amount_minor: int
    counterparty: str | None


class HoldingOut(Schema):
    member: str
    status: str
    shares: dict[str, int]
    share_capital_minor: int
    capital_credit_minor: int


class RegisterOut(Schema):
    entries: list[RegisterEntryOut]
    holdings: list[HoldingOut]


def _entry_out(e: Any) -> RegisterEntryOut:
    return RegisterEntryOut(
        seq=e.seq,
        created_at=e.created_at,
        member=e.membership.user.username,
        kind=e.kind,
        share_type=e.share_type.name if e.share_type else None,
        quantity=e.quantity,
        amount_minor=e.amount_minor,
        counterparty=e.counterparty.user.username if e.counterparty else None,
    )


@router.get("/coops/{slug}/register", response=RegisterOut, summary="Capital register")
def register(request: HttpRequest, slug: str) -> RegisterOut:
    coop = _coop(slug)
    _inside(request, coop)
    names = {t.pk: t.name for t in coop.share_types.all()}
    return RegisterOut(
        entries=[_entry_out(e) for e in queries.register(coop)],
        holdings=[
            HoldingOut(
                member=h.membership.user.username,
                status=h.membership.status,
                shares={names[k]: v for k, v in h.shares.items()},
                share_capital_minor=h.share_capital_minor,
                capital_credit_minor=h.capital_credit_minor,
            )
            for h in queries.holdings(coop)
        ],
    )


class RegisterIn(Schema):
    operation: str
    member: str
    share_type: int
    quantity: int
    buyer: str = ""
    memo: str = ""


@router.post(
    "/coops/{slug}/register",
    response={201: list[RegisterEntryOut]},
    summary="Subscribe, transfer or redeem shares",
)
def register_write(
    request: HttpRequest,
    slug: str,
    payload: RegisterIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> Status:
    coop = _coop(slug)
    member = queries.find_member(coop, payload.member)
    common: dict[str, Any] = {
        "actor": request.user,
        "share_type": payload.share_type,
        "quantity": payload.quantity,
        "memo": payload.memo,
        "key": idempotency_key,
    }
    if payload.operation == "subscribe":
        entry = services.shares_subscribe(membership=member, **common)
    elif payload.operation == "redeem":
        entry = services.shares_redeem(membership=member, **common)
    elif payload.operation == "transfer":
        buyer = queries.find_member(coop, payload.buyer, field="buyer")
        entry = services.shares_transfer(seller=member, buyer=buyer, **common)
    else:
        raise ValidationFailed("operation is subscribe, transfer or redeem", field="operation")
    rows = coop.register.filter(group=entry.group).select_related(
        "membership__user", "share_type", "counterparty__user"
    )
    return Status(
        201,
        [_entry_out(e) for e in rows.order_by("seq")],
    )


# --- shares paid on the ledger --------------------------------------------------------


class GovernanceError(Schema):
    detail: str
    field: str | None = None


SHARE_ERRORS: dict[int, Any] = {
    401: GovernanceError,
    403: GovernanceError,
    404: GovernanceError,
    409: GovernanceError,
    422: GovernanceError,
}


class ShareOrderIn(Schema):
    operation: str = Field(description="subscription or redemption")
    member: str = Field(default="", description="a co-op steward names the member; else you")
    share_type: int
    quantity: int
    pay_now: bool = Field(
        default=False,
        description="pay at once (the payer authorises it); else a payment request is sent",
    )
    memo: str = ""


class ShareOrderOut(Schema):
    is_paid: bool
    entry: RegisterEntryOut | None
    transfer_id: int | None
    payment_request_id: int | None


@router.post(
    "/coops/{slug}/shares",
    response={201: ShareOrderOut, **SHARE_ERRORS},
    summary="Buy shares or sell them back, paid on the ledger",
    description=(
        "Paid now: the payment and the register entry are written together "
        "(Idempotency-Key). Otherwise a payment request goes to the payer, and the "
        "register entry is written when it is paid."
    ),
)
def shares_order(
    request: HttpRequest,
    slug: str,
    payload: ShareOrderIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key"),
) -> Status:
    coop = _coop(slug)
    _inside(request, coop)
    if payload.member:
        member = queries.find_member(coop, payload.member)
    else:
        found = queries.active_membership(request.user, coop)
        if found is None:
            raise ValidationFailed(_("name the member"), field="member")
        member = found
    common: dict[str, Any] = {
        "actor": request.user,
        "kind": payload.operation,
        "membership": member,
        "share_type": payload.share_type,
        "quantity": payload.quantity,
        "memo": payload.memo,
    }
    if payload.pay_now:
        if not (idempotency_key or "").strip():
            raise ValidationFailed(
                _("a payment needs an idempotency key (Idempotency-Key header)"),
                field="idempotency_key",
            )
        entry = services.shares_pay_now(key=idempotency_key, **common)
        return Status(
            201,
            ShareOrderOut(
                is_paid=True,
                entry=_entry_out(entry),
                transfer_id=entry.transfer_id,
                payment_request_id=None,
            ),
        )
    order = services.shares_request_payment(**common)
    return Status(
        201,
        ShareOrderOut(
            is_paid=False, entry=None, transfer_id=None, payment_request_id=order.payment_request_id
        ),
    )


# --- polls ---------------------------------------------------------------------------


class PollOut(Schema):
    id: int
    coop: str
    kind: str
    title: str
    body: str
    options: list[str]
    seats: int
    settings: dict[str, Any]
    is_anonymous: bool
    is_results_hidden: bool
    opens_at: dt.datetime
    closes_at: dt.datetime
    closed_at: dt.datetime | None
    electorate_count: int
    electorate_weight: int
    turnout: int | None = Field(
        description="how many took part; null while a secret ballot is open"
    )
    has_voted: bool = Field(description="whether you have voted in this poll")


def _poll_out(p: Poll, user: Any) -> PollOut:
    return PollOut(
        id=p.pk,
        coop=p.coop.slug,
        kind=p.kind,
        title=p.title,
        body=p.body,
        options=list(p.options),
        seats=p.seats,
        settings=dict(p.settings),
        is_anonymous=p.is_anonymous,
        is_results_hidden=p.is_results_hidden,
        opens_at=p.opens_at,
        closes_at=p.closes_at,
        closed_at=p.closed_at,
        electorate_count=p.electorate_count,
        electorate_weight=p.electorate_weight,
        turnout=queries.turnout(p),
        has_voted=queries.has_voted(p, user),
    )


def _poll(request: HttpRequest, poll_id: int) -> Poll:
    poll = Poll.objects.select_related("coop").filter(pk=poll_id).first()
    if poll is None:
        raise NotFound("there is no such poll")
    _inside(request, poll.coop)
    if services.close_if_due(poll):
        poll.refresh_from_db()
    return poll


@router.get("/coops/{slug}/polls", response=list[PollOut], summary="A co-op's polls")
def polls(request: HttpRequest, slug: str) -> list[PollOut]:
    coop = _coop(slug)
    _inside(request, coop)
    services.close_due_polls()
    return [_poll_out(p, request.user) for p in coop.polls.select_related("coop")[:500]]


class PollIn(Schema):
    limits_from = (Poll,)

    kind: str
    title: str
    closes_at: dt.datetime
    body: str = ""
    options: list[str] = []
    seats: int = 1
    settings: dict[str, Any] = {}
    is_anonymous: bool = False
    is_results_hidden: bool = False


@router.post("/coops/{slug}/polls", response={201: PollOut}, summary="Open a poll (stewards)")
def poll_create(request: HttpRequest, slug: str, payload: PollIn) -> Status:
    poll = services.poll_create(actor=request.user, coop=_coop(slug), **payload.dict())
    return Status(201, _poll_out(poll, request.user))


@router.get("/polls/{poll_id}", response=PollOut, summary="One poll")
def poll(request: HttpRequest, poll_id: int) -> PollOut:
    return _poll_out(_poll(request, poll_id), request.user)


class VoteIn(Schema):
    choice: dict[str, Any]


class VoteOut(Schema):
    poll: int
    voted: bool


@router.post("/polls/{poll_id}/vote", response={201: VoteOut}, summary="Vote")
def vote(request: HttpRequest, poll_id: int, payload: VoteIn) -> Status:
    services.vote_cast(actor=request.user, poll=poll_id, choice=payload.choice)
    return Status(201, VoteOut(poll=poll_id, voted=True))


class OutcomeOut(Schema):
    version: int
    statement: str
    author: str | None
    created_at: dt.datetime


class ResultOut(Schema):
    poll: int
    is_final: bool
    outcome: str
    data: dict[str, Any]
    engine_version: str
    outcomes: list[OutcomeOut]


@router.get("/polls/{poll_id}/results", response=ResultOut, summary="Results")
def results(request: HttpRequest, poll_id: int) -> ResultOut:
    p = _poll(request, poll_id)
    if not queries.results_visible(p, request.user):
        if p.is_anonymous:
            raise PermissionDenied(_("the results of a secret ballot are shown once it closes"))
        raise PermissionDenied(_("results are hidden until the poll closes"))
    outcomes = [
        OutcomeOut(
            version=o.version,
            statement=o.statement,
            author=o.author.username if o.author else None,
            created_at=o.created_at,
        )
        for o in p.outcomes.select_related("author")
    ]
    if p.is_closed:
        r = p.result
        return ResultOut(
            poll=p.pk,
            is_final=True,
            outcome=r.outcome,
            data=r.data,
            engine_version=r.engine_version,
            outcomes=outcomes,
        )
    live = queries.tally(p)
    return ResultOut(
        poll=p.pk,
        is_final=False,
        outcome=live.outcome,
        data=live.data,
        engine_version=live.engine_version,
        outcomes=outcomes,
    )


@router.post("/polls/{poll_id}/close", response=PollOut, summary="Close now (stewards)")
def close(request: HttpRequest, poll_id: int) -> PollOut:
    return _poll_out(services.poll_close(actor=request.user, poll=poll_id), request.user)


class OutcomeIn(Schema):
    statement: str


@router.post("/polls/{poll_id}/outcomes", response={201: OutcomeOut}, summary="New outcome version")
def outcome(request: HttpRequest, poll_id: int, payload: OutcomeIn) -> Status:
    o = services.outcome_add(actor=request.user, poll=poll_id, statement=payload.statement)
    return Status(
        201,
        OutcomeOut(
            version=o.version,
            statement=o.statement,
            author=o.author.username if o.author else None,
            created_at=o.created_at,
        ),
    )


# --- allocation ------------------------------------------------------------------------


class BylawsIn(Schema):
    effective_from: dt.date
    data: dict[str, Any]


class BylawsOut(Schema):
    id: int
    version: str
    effective_from: dt.date
    data: dict[str, Any]


@router.post("/coops/{slug}/bylaws", response={201: BylawsOut}, summary="New bylaws version")
def bylaws(request: HttpRequest, slug: str, payload: BylawsIn) -> Status:
    b = services.bylaws_create(
        actor=request.user,
        coop=_coop(slug),
        data=payload.data,
        effective_from=payload.effective_from,
    )
    return Status(
        201, BylawsOut(id=b.pk, version=b.version, effective_from=b.effective_from, data=b.data)
    )


class PatronageIn(Schema):
    member: str
    hours_minutes: int = 0
    purchases_minor: int = 0


class AllocationIn(Schema):
    year: int
    surplus_minor: int
    patronage: list[PatronageIn]


class AllocationOut(Schema):
    id: int
    coop: str
    year: int
    surplus_minor: int
    bylaws_version: str
    engine_version: str
    result: dict[str, Any]
    is_accepted: bool
    accepted_at: dt.datetime | None


def _run_out(run: AllocationRun) -> AllocationOut:
    acceptance = getattr(run, "acceptance", None)
    return AllocationOut(
        id=run.pk,
        coop=run.coop.slug,
        year=run.year,
        surplus_minor=run.surplus_minor,
        bylaws_version=run.bylaws.version,
        engine_version=run.engine_version,
        result=run.result,
        is_accepted=acceptance is not None,
        accepted_at=acceptance.accepted_at if acceptance else None,
    )


@router.get("/coops/{slug}/allocations", response=list[AllocationOut], summary="Allocation runs")
def allocations(request: HttpRequest, slug: str) -> list[AllocationOut]:
    coop = _coop(slug)
    _inside(request, coop)
    return [_run_out(r) for r in queries.allocation_runs(coop).select_related("coop")]


@router.post(
    "/coops/{slug}/allocations", response={201: AllocationOut}, summary="Compute an allocation"
)
def allocation_create(request: HttpRequest, slug: str, payload: AllocationIn) -> Status:
    run = services.allocation_run_create(
        actor=request.user,
        coop=_coop(slug),
        year=payload.year,
        surplus_minor=payload.surplus_minor,
        patronage=[
            services.PatronageRow(p.member, p.hours_minutes, p.purchases_minor)
            for p in payload.patronage
        ],
    )
    return Status(201, _run_out(run))


def _run(request: HttpRequest, run_id: int) -> AllocationRun:
    run = AllocationRun.objects.select_related("coop", "bylaws").filter(pk=run_id).first()
    if run is None:
        raise NotFound("there is no such allocation run")
    _inside(request, run.coop)
    return run


@router.get("/allocations/{run_id}", response=AllocationOut, summary="One allocation run")
def allocation(request: HttpRequest, run_id: int) -> AllocationOut:
    return _run_out(_run(request, run_id))


@router.post("/allocations/{run_id}/accept", response=AllocationOut, summary="Accept and apply")
def allocation_accept(request: HttpRequest, run_id: int) -> AllocationOut:
    run = _run(request, run_id)
    services.allocation_accept(actor=request.user, run=run)
    return _run_out(AllocationRun.objects.select_related("coop", "bylaws").get(pk=run.pk))
