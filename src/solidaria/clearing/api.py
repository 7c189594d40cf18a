"""Clearing API: obligations (members), their disputes and settlement on the ledger; runs
(stewards start and propose them, the members they touch answer); set-off notices.

Refusals are `{"detail": sentence, "field": name?}` (core.api documents them for each
operation)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Header, Router, Status

from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import ClearingRun, Obligation, Settlement
from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.core.permissions import is_steward
from solidaria.ledger.models import Currency

router = Router(tags=["clearing"])


class ObligationIn(Schema):
    limits_from = (Obligation,)
    columns = {"currency": (Currency, "code")}

    currency: str
    debtor: str
    creditor: str
    amount_minor: int
    reference: str = ""
    due_date: date | None = None


class ObligationOut(Schema):
    id: int
    currency: str
    debtor: str
    creditor: str
    amount_minor: int
    remaining_minor: int
    reference: str
    status: str
    debtor_confirmed: bool
    creditor_confirmed: bool
    proposed_amount_minor: int | None
    proposed_by: str | None
    settlement_currency: str | None
    created_at: datetime


def _obligation_out(ob: Obligation) -> ObligationOut:
    return ObligationOut(
        id=ob.pk,
        currency=ob.currency.code,
        debtor=ob.debtor.username,
        creditor=ob.creditor.username,
        amount_minor=ob.amount_minor,
        remaining_minor=ob.remaining_minor,
        reference=ob.reference,
        status=ob.status,
        debtor_confirmed=ob.debtor_confirmed_at is not None,
        creditor_confirmed=ob.creditor_confirmed_at is not None,
        proposed_amount_minor=ob.proposed_amount_minor,
        proposed_by=ob.proposed_by.username if ob.proposed_by else None,
        settlement_currency=ob.settlement_currency.code if ob.settlement_currency else None,
        created_at=ob.created_at,
    )


def _reload(ob: Obligation) -> ObligationOut:
    return _obligation_out(
        Obligation.objects.select_related(
            "currency", "debtor", "creditor", "proposed_by", "settlement_currency"
        ).get(pk=ob.pk)
    )


def _member(username: str, field: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(_("unknown member '%(name)s'") % {"name": username}, field=field)
    return user


def _currency(code: str) -> Currency:
    currency = Currency.objects.filter(code=code, is_active=True).first()
    if currency is None:
        raise ValidationFailed(_("unknown currency '%(code)s'") % {"code": code}, field="currency")
    return currency


@router.get(
    "/obligations",
    response=list[ObligationOut],
    summary="My obligations",
)
def list_obligations(request: HttpRequest) -> list[ObligationOut]:
    return [_obligation_out(o) for o in queries.obligations_for(request.user)[:1000]]


@router.post(
    "/obligations",
    response={201: ObligationOut},
    summary="Record an invoice (the recording side confirms it)",
)
def create_obligation(
    request: HttpRequest, payload: ObligationIn, idempotency_key: str = Header(...)
) -> Status[ObligationOut]:
    ob = services.obligation_create(
        actor=request.user,
        currency=_currency(payload.currency),
        debtor=_member(payload.debtor, "debtor"),
        creditor=_member(payload.creditor, "creditor"),
        amount_minor=payload.amount_minor,
        reference=payload.reference,
        due_date=payload.due_date,
        key=idempotency_key,
    )
    return Status(201, _obligation_out(ob))


def _my_obligation(request: HttpRequest, pk: int) -> Obligation:
    ob = queries.obligations_for(request.user).filter(pk=pk).first()
    if ob is None:
        raise NotFound(_("no such obligation"))
    return ob


@router.post("/obligations/{pk}/confirm", response=ObligationOut)
def confirm_obligation(request: HttpRequest, pk: int) -> ObligationOut:
    ob = services.obligation_confirm(actor=request.user, obligation=_my_obligation(request, pk))
    return _reload(ob)


class ReasonIn(Schema):
    reason: str = ""


@router.post("/obligations/{pk}/dispute", response=ObligationOut)
def dispute_obligation(request: HttpRequest, pk: int, payload: ReasonIn) -> ObligationOut:
    ob = services.obligation_dispute(
        actor=request.user, obligation=_my_obligation(request, pk), reason=payload.reason
    )
    return _reload(ob)


class CorrectionIn(Schema):
    amount_minor: int
    reason: str = ""


@router.post(
    "/obligations/{pk}/correction",
    response=ObligationOut,
    summary="Propose the corrected amount of a disputed obligation (either side)",
)
def propose_correction(request: HttpRequest, pk: int, payload: CorrectionIn) -> ObligationOut:
    ob = services.obligation_correction_propose(
        actor=request.user,
        obligation=_my_obligation(request, pk),
        amount_minor=payload.amount_minor,
        reason=payload.reason,
    )
    return _reload(ob)


@router.post(
    "/obligations/{pk}/correction/confirm",
    response=ObligationOut,
    summary="Confirm the corrected amount the other side proposed",
)
def confirm_correction(request: HttpRequest, pk: int) -> ObligationOut:
    ob = services.obligation_correction_confirm(
        actor=request.user, obligation=_my_obligation(request, pk)
    )
    return _reload(ob)


@router.post(
    "/obligations/{pk}/withdraw",
    response=ObligationOut,
    summary="Withdraw an obligation (the creditor)",
)
def withdraw_obligation(request: HttpRequest, pk: int, payload: ReasonIn) -> ObligationOut:
    ob = services.obligation_withdraw(
        actor=request.user, obligation=_my_obligation(request, pk), reason=payload.reason
    )
    return _reload(ob)


class SettlementCurrencyIn(Schema):
    columns = {"currency": (Currency, "code")}

    currency: str


@router.post(
    "/obligations/{pk}/settlement-currency",
    response=ObligationOut,
    summary="Choose the ledger currency the obligation's rest is paid in (stewards, debtor)",
)
def obligation_settle_in(
    request: HttpRequest, pk: int, payload: SettlementCurrencyIn
) -> ObligationOut:
    found = (
        Obligation.objects.filter(pk=pk).first()
        if is_steward(request.user)
        else _my_obligation(request, pk)
    )
    if found is None:
        raise NotFound(_("no such obligation"))
    ob = services.obligation_settlement_currency_set(
        actor=request.user, obligation=found, currency=_currency(payload.currency)
    )
    return _reload(ob)


class SettlementIn(Schema):
    columns = {"currency": (Currency, "code")}

    amount_minor: int
    currency: str | None = None  # default: the currency chosen for it, else its own


class SettlementOut(Schema):
    id: int
    obligation: int
    transfer: int
    currency: str
    amount_minor: int
    remaining_minor: int
    obligation_status: str
    at: datetime


@router.post(
    "/obligations/{pk}/settlements",
    response={201: SettlementOut},
    summary="Pay (part of) the obligation's rest on the ledger (the debtor); "
    "idempotent by the Idempotency-Key header",
)
def settle_obligation(
    request: HttpRequest, pk: int, payload: SettlementIn, idempotency_key: str = Header(...)
) -> Status[SettlementOut]:
    settled = services.obligation_settle(
        actor=request.user,
        obligation=_my_obligation(request, pk),
        amount_minor=payload.amount_minor,
        currency=_currency(payload.currency) if payload.currency else None,
        key=idempotency_key,
    )
    row = Settlement.objects.select_related("currency", "obligation").get(pk=settled.pk)
    return Status(
        201,
        SettlementOut(
            id=row.pk,
            obligation=row.obligation_id,
            transfer=row.transfer_id,
            currency=row.currency.code,
            amount_minor=row.amount_minor,
            remaining_minor=row.obligation.remaining_minor,
            obligation_status=row.obligation.status,
            at=row.at,
        ),
    )


class RunIn(Schema):
    columns = {"currency": (Currency, "code")}

    currency: str


class CycleOut(Schema):
    """A cycle of set-off: each member owes the next, the last owes the first, `amount`
    each. For a member, names they have no obligation with in the run are null ("a
    member"), and they come first."""

    members: list[str | None]
    amount: int


class AnswersOut(Schema):
    touched: int
    accepted: int
    objected: int


class PositionOut(Schema):
    owes_before: int
    owes_setoff: int
    owes_after: int
    owed_before: int
    owed_setoff: int
    owed_after: int


class RunOut(Schema):
    id: int
    currency: str
    status: str
    progress: int
    obligation_count: int
    engine_version: str
    summary: dict[str, Any]
    cycles: list[CycleOut]
    error: str
    proposed_at: datetime | None
    deadline: datetime | None
    acceptance_rule: str
    answers: AnswersOut
    my_answer: str | None
    my_position: PositionOut | None
    replaced_by: int | None


def _run_out(run: ClearingRun, user: Any) -> RunOut:
    """Stewards see every cycle with names; a member the cycles they are in."""
    answers = queries.answers(run)
    mine = queries.responses(run).get(user.pk)
    lines = queries.notice_lines(run, user)
    pos = queries.position(run, user)
    successor = run.successors.order_by("-pk").first()
    return RunOut(
        id=run.pk,
        currency=run.currency.code,
        status=run.status,
        progress=run.progress,
        obligation_count=run.obligation_count,
        engine_version=run.engine_version,
        summary=run.summary,
        cycles=[
            CycleOut(members=c.members, amount=c.amount)
            for c in queries.cycles_for(run, user)[: 10 if is_steward(user) else None]
        ],
        error=run.error,
        proposed_at=run.proposed_at,
        deadline=run.deadline,
        acceptance_rule=run.acceptance_rule,
        answers=AnswersOut(
            touched=answers.touched, accepted=answers.accepted, objected=answers.objected
        ),
        my_answer=mine.answer if mine else None,
        my_position=PositionOut(
            owes_before=pos.owes_before,
            owes_setoff=pos.owes_setoff,
            owes_after=pos.owes_after,
            owed_before=pos.owed_before,
            owed_setoff=pos.owed_setoff,
            owed_after=pos.owed_after,
        )
        if lines
        else None,
        replaced_by=successor.pk if successor else None,
    )


def _run(pk: int) -> ClearingRun:
    return ClearingRun.objects.select_related("currency").get(pk=pk)


@router.post("/runs", response={201: RunOut}, summary="Start a clearing run (stewards)")
def start_run(request: HttpRequest, payload: RunIn) -> Status[RunOut]:
    run = services.run_start(actor=request.user, currency=_currency(payload.currency))
    return Status(201, _run_out(_run(run.pk), request.user))


def _visible_run(request: HttpRequest, pk: int) -> ClearingRun:
    run = get_object_or_404(ClearingRun.objects.select_related("currency"), pk=pk)
    if not queries.visible_run(request.user, run):
        raise NotFound(_("no such clearing run"))
    return run


@router.get("/runs/{pk}", response=RunOut)
def get_run(request: HttpRequest, pk: int) -> RunOut:
    return _run_out(_visible_run(request, pk), request.user)


class ProposeIn(Schema):
    deadline: datetime
    reason: str = ""


@router.post(
    "/runs/{pk}/propose",
    response=RunOut,
    summary="Propose a computed run to the members it touches, who answer by the deadline "
    "(stewards)",
)
def propose_run(request: HttpRequest, pk: int, payload: ProposeIn) -> RunOut:
    run = services.run_propose(
        actor=request.user, run=pk, deadline=payload.deadline, reason=payload.reason
    )
    return _run_out(_run(run.pk), request.user)


@router.post(
    "/runs/{pk}/reject",
    response=RunOut,
    summary="Reject a run or withdraw its proposal (stewards)",
)
def reject_run(request: HttpRequest, pk: int, payload: ReasonIn) -> RunOut:
    run = services.run_reject(actor=request.user, run=pk, reason=payload.reason)
    return _run_out(_run(run.pk), request.user)


class AnswerIn(Schema):
    answer: str  # "accept" or "object"
    reason: str = ""


@router.post(
    "/runs/{pk}/answer",
    response=RunOut,
    summary="Accept or object to a proposed run (the members it touches); answers the run "
    "that now stands (after an objection, the recomputed one)",
)
def answer_run(request: HttpRequest, pk: int, payload: AnswerIn) -> RunOut:
    _visible_run(request, pk)
    standing = services.run_respond(
        actor=request.user, run=pk, answer=payload.answer, reason=payload.reason
    )
    return _run_out(_run(standing.pk), request.user)


class SettleInOut(Schema):
    obligations: int


@router.post(
    "/runs/{pk}/settlement-currency",
    response=SettleInOut,
    summary="Choose the ledger currency the rest of an applied run is paid in (stewards)",
)
def run_settle_in(request: HttpRequest, pk: int, payload: RunIn) -> SettleInOut:
    count = services.run_settlement_currency_set(
        actor=request.user, run=pk, currency=_currency(payload.currency)
    )
    return SettleInOut(obligations=count)


class NoticeLineOut(Schema):
    obligation_id: int
    reference: str
    role: str
    counterparty: str
    remaining_before: int
    setoff: int
    remaining_after: int


@router.get(
    "/runs/{pk}/notice",
    response=list[NoticeLineOut],
    summary="My set-off notice",
)
def run_notice(request: HttpRequest, pk: int) -> list[NoticeLineOut]:
    run = _visible_run(request, pk)
    return [
        NoticeLineOut(
            obligation_id=x.obligation_id,
            reference=x.reference,
            role=x.role,
            counterparty=x.counterparty,
            remaining_before=x.remaining_before,
            setoff=x.setoff,
            remaining_after=x.remaining_after,
        )
        for x in queries.notice_lines(run, request.user)
    ]
