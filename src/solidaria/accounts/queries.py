"""Reads about people shared by pages, API and other apps' electorates."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from solidaria.accounts.models import Admission, AdmissionEvent, User


def was_member_at(user: User, at: dt.datetime) -> bool:
    """A member at `at` and still one now (a suspended member does not vote)."""
    if not user.is_authenticated or not user.is_admitted:
        return False
    if user.is_steward:
        return True
    last = AdmissionEvent.objects.filter(user=user, at__lte=at).order_by("-at", "-id").first()
    return last is not None and last.to_state == Admission.ADMITTED


def applicants() -> QuerySet[User]:
    return User.objects.filter(admission=Admission.APPLIED, is_active=True).order_by("date_joined")


def history(user: User) -> QuerySet[AdmissionEvent]:
    return user.admission_events.select_related("actor").order_by("at", "id")
