"""People in the API: who am I, the stewards' admission queue and decisions, invitations."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router

from solidaria.accounts import queries, services
from solidaria.accounts.models import User
from solidaria.core.apischema import Schema
from solidaria.core.permissions import require

router = Router(tags=["accounts"])

ERRORS = {403: dict, 404: dict, 409: dict, 422: dict}


class MeOut(Schema):
    id: int
    username: str
    role: str
    is_steward: bool
    admission: str = Field(description="applied, admitted, declined, suspended or left")
    is_member: bool
    email_verified: bool
    gender: str = Field(
        description=(
            "self-declared: '' (not declared), woman, man, non_binary, another or "
            "prefer_not_to_say; only the person sees it, indicators count it anonymously"
        )
    )
    gender_other: str = Field(description="for 'another': the person's own words")


class PersonOut(Schema):
    id: int
    username: str
    email: str
    admission: str
    email_verified: bool
    date_joined: dt.datetime


class AdmissionDecisionIn(Schema):
    decision: Literal["admit", "decline", "suspend"]
    reason: str = Field("", max_length=2000)


class InvitationIn(Schema):
    note: str = Field("", max_length=200)


class InvitationOut(Schema):
    id: int
    link_code: str = Field(description="shown only once; the link is /accounts/invite/{code}/")
    expires_at: dt.datetime


def _person(user: User) -> PersonOut:
    return PersonOut(
        id=user.pk,
        username=user.username,
        email=user.email,
        admission=user.admission,
        email_verified=user.email_verified_at is not None,
        date_joined=user.date_joined,
    )


@router.get("/me", response=MeOut, summary="The authenticated person")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    return MeOut(
        id=user.pk,
        username=user.username,
        role=user.role,
        is_steward=user.is_steward,
        admission=user.admission,
        is_member=user.is_admitted,
        email_verified=user.email_verified_at is not None,
        gender=user.gender,
        gender_other=user.gender_other,
    )


@router.get(
    "/applications",
    response={200: list[PersonOut], 403: dict},
    summary="People waiting for admission (network stewards)",
)
def applications(request: HttpRequest) -> list[PersonOut]:
    require(request.user, "accounts.application.decide")
    return [_person(u) for u in queries.applicants()[:1000]]


@router.post(
    "/people/{user_id}/admission",
    response={200: PersonOut, **ERRORS},
    summary="Admit, decline or suspend a person, with a reason (network stewards)",
)
def decide(request: HttpRequest, user_id: int, body: AdmissionDecisionIn) -> PersonOut:
    user = services.admission_decide(
        actor=request.user, user_id=user_id, decision=body.decision, reason=body.reason
    )
    return _person(user)


@router.post(
    "/invitations",
    response={201: InvitationOut, **ERRORS},
    summary="Create an invitation link that admits whoever signs up with it",
)
def invitation_create(request: HttpRequest, body: InvitationIn) -> tuple[int, InvitationOut]:
    invitation, raw = services.invitation_create(actor=request.user, note=body.note)
    return 201, InvitationOut(id=invitation.pk, link_code=raw, expires_at=invitation.expires_at)
