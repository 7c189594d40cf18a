"""Directory API for the people who run an organisation: claim it, a steward's decision,
leaving or removing, and the public list of who runs it. Registered on the directory's
router (`directory.api` imports this module)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Status

from solidaria.core.apischema import Schema
from solidaria.core.errors import NotFound
from solidaria.directory import operators
from solidaria.directory.api import router
from solidaria.directory.models import Operator, Organisation


class OperatorError(Schema):
    detail: str
    field: str | None = None


ERRORS = {
    401: OperatorError,
    403: OperatorError,
    404: OperatorError,
    409: OperatorError,
    422: OperatorError,
}


class OperatorOut(Schema):
    id: int
    organisation: int
    username: str
    status: str
    claimed_at: dt.datetime
    decided_at: dt.datetime | None = None


class ClaimIn(Schema):
    reason: str


class ClaimDecisionIn(Schema):
    decision: Literal["confirm", "decline"]
    reason: str = ""


class OperatorEndIn(Schema):
    reason: str = ""


def operator_out(op: Operator) -> dict[str, object]:
    return {
        "id": op.pk,
        "organisation": op.organisation_id,
        "username": op.user.username,
        "status": op.status,
        "claimed_at": op.claimed_at,
        "decided_at": op.decided_at,
    }


@router.get(
    "/organisations/{org_id}/operators",
    response={200: list[OperatorOut], 404: OperatorError},
    auth=None,
    summary="Who runs an organisation (confirmed operators)",
)
def list_operators(request: HttpRequest, org_id: int) -> list[dict[str, object]]:
    org = Organisation.objects.filter(pk=org_id, status=Organisation.Status.CONFIRMED).first()
    if org is None:
        raise NotFound("no such organisation")
    return [operator_out(op) for op in operators.operators_of(org)]


@router.post(
    "/organisations/{org_id}/operators",
    response={201: OperatorOut, **ERRORS},
    summary="Say that you run an organisation (a steward confirms)",
)
def claim_organisation(request: HttpRequest, org_id: int, payload: ClaimIn) -> Status:
    claim = operators.operator_claim(actor=request.user, org_id=org_id, reason=payload.reason)
    return Status(201, operator_out(claim))


@router.post(
    "/operators/{operator_id}/decision",
    response={200: OperatorOut, **ERRORS},
    summary="Confirm or decline a claim to run an organisation (network stewards)",
)
def decide_claim(
    request: HttpRequest, operator_id: int, payload: ClaimDecisionIn
) -> dict[str, object]:
    claim = operators.operator_decide(
        actor=request.user,
        operator_id=operator_id,
        decision=payload.decision,
        reason=payload.reason,
    )
    return operator_out(claim)


@router.post(
    "/operators/{operator_id}/end",
    response={200: OperatorOut, **ERRORS},
    summary="Stop running an organisation (the operator) or remove an operator (stewards)",
)
def end_operator(
    request: HttpRequest, operator_id: int, payload: OperatorEndIn
) -> dict[str, object]:
    claim = operators.operator_end(
        actor=request.user, operator_id=operator_id, reason=payload.reason
    )
    return operator_out(claim)
