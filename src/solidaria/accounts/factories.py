"""Test and demo data: people in each membership state, made the way services make them.

Tests call these instead of `User.objects.create_user`, which makes an applicant (the
safe default) and writes no admission history.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from solidaria.accounts.models import Admission, AdmissionEvent, User


def make_person(
    username: str,
    *,
    admission: str = Admission.ADMITTED,
    role: str = User.Role.MEMBER,
    email: str | None = None,
    password: str | None = None,
    **fields: Any,
) -> User:
    """A verified person in `admission` state, with the history that leads there."""
    now = timezone.now()
    user = User.objects.create_user(
        username=username,
        email=email if email is not None else f"{username}@example.org",
        password=password if password is not None else f"pw-{username}-123!",
        role=role,
        admission=admission,
        email_verified_at=now,
        **fields,
    )
    states = [Admission.APPLIED]
    if admission != Admission.APPLIED:
        if admission in (Admission.SUSPENDED, Admission.LEFT):
            states.append(Admission.ADMITTED)
        states.append(admission)
    previous = ""
    for state in states:
        AdmissionEvent(user=user, at=now, from_state=previous, to_state=state).save(
            force_insert=True
        )
        previous = state
    return user


def make_member(username: str = "ada", **kw: Any) -> User:
    return make_person(username, **kw)


def make_applicant(username: str = "newcomer", **kw: Any) -> User:
    return make_person(username, admission=Admission.APPLIED, **kw)


def make_steward(username: str = "stew", **kw: Any) -> User:
    return make_person(username, role=User.Role.STEWARD, **kw)
