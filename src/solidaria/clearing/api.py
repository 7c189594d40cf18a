"""Clearing API: obligations (members), runs (stewards), set-off notices (members)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Header, Router, Schema, Status

from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import ClearingRun, Obligation
from solidaria.core.errors import NotFound, ValidationFailed
from solidaria.ledger.models import Currency

router = Router(tags=["clearing"])


class ObligationIn(Schema):
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
        created_at=ob.created_at,
    )


def _member(username: str, field: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(f"unknown member '{username}'", field=field)
    return user


def _currency(code: str) -> Currency:
    currency = Currency.objects.filter(code=code, is_active=True).first()
    if currency is None:
        raise ValidationFailed(f"unknown currency '{code}'", field="currency")
    return currency


@router.get("/obligations", response=list[ObligationOut], summary="My obligations")
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
        raise NotFound("no such obligation")
    return ob


@router.post("/obligations/{pk}/confirm", response=ObligationOut)
def confirm_obligation(request: HttpRequest, pk: int) -> ObligationOut:
    ob = services.obligation_confirm(actor=request.user, obligation=_my_obligation(request, pk))
    return _obligation_out(
        Obligation.objects.select_related("currency", "debtor", "creditor").get(pk=ob.pk)
    )


class ReasonIn(Schema):
    reason: str = ""


@router.post("/obligations/{pk}/dispute", response=ObligationOut)
def dispute_obligation(request: HttpRequest, pk: int, payload: ReasonIn) -> ObligationOut:
    ob = services.obligation_dispute(
        actor=request.user, obligation=_my_obligation(request, pk), reason=payload.reason
    )
    return _obligation_out(
        Obligation.objects.select_related("currency", "debtor", "creditor").get(pk=ob.pk)
    )


class RunIn(Schema):
    currency: str


class RunOut(Schema):
    id: int
    currency: str
    status: str
    progress: int
    obligation_count: int
    engine_version: str
    summary: dict[str, Any]
    cycles: list[dict[str, Any]]
    error: str


def _run_out(run: ClearingRun) -> RunOut:
    return RunOut(
        id=run.pk,
        currency=run.currency.code,
        status=run.status,
        progress=run.progress,
        obligation_count=run.obligation_count,
        engine_version=run.engine_version,
        summary=run.summary,
        cycles=run.cycles,
        error=run.error,
    )


@router.post("/runs", response={201: RunOut}, summary="Start a clearing run (stewards)")
def start_run(request: HttpRequest, payload: RunIn) -> Status[RunOut]:
    run = services.run_start(actor=request.user, currency=_currency(payload.currency))
    return Status(201, _run_out(run))


def _visible_run(request: HttpRequest, pk: int) -> ClearingRun:
    run = get_object_or_404(ClearingRun.objects.select_related("currency"), pk=pk)
    if not queries.visible_run(request.user, run):
        raise NotFound("no such clearing run")
    return run


@router.get("/runs/{pk}", response=RunOut)
def get_run(request: HttpRequest, pk: int) -> RunOut:
    return _run_out(_visible_run(request, pk))


@router.post("/runs/{pk}/accept", response=RunOut, summary="Apply every set-off (stewards)")
def accept_run(request: HttpRequest, pk: int, payload: ReasonIn) -> RunOut:
    run = services.run_accept(actor=request.user, run=pk, reason=payload.reason)
    return _run_out(ClearingRun.objects.select_related("currency").get(pk=run.pk))


@router.post("/runs/{pk}/reject", response=RunOut, summary="Reject a run (stewards)")
def reject_run(request: HttpRequest, pk: int, payload: ReasonIn) -> RunOut:
    run = services.run_reject(actor=request.user, run=pk, reason=payload.reason)
    return _run_out(ClearingRun.objects.select_related("currency").get(pk=run.pk))


class NoticeLineOut(Schema):
    obligation_id: int
    reference: str
    role: str
    counterparty: str
    remaining_before: int
    setoff: int
    remaining_after: int


@router.get("/runs/{pk}/notice", response=list[NoticeLineOut], summary="My set-off notice")
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
