"""Reads about people shared by pages, API and other apps' electorates."""

from __future__ import annotations

import datetime as dt

from django.db.models import OuterRef, Q, QuerySet, Subquery

from solidaria.accounts.models import Admission, AdmissionEvent, User


def members() -> QuerySet[User]:
    """People who are members now: admitted (or stewards), not deactivated."""
    return User.objects.filter(is_active=True).filter(
        Q(admission=Admission.ADMITTED) | Q(role=User.Role.STEWARD) | Q(is_superuser=True)
    )


def member_ids_as_of(at: dt.datetime) -> set[int]:
    """Who was an admitted member at `at`, from the admission history (stewards included).

    Electorates are fixed when voting opens: people admitted later do not join it.
    """
    last_state = Subquery(
        AdmissionEvent.objects.filter(user=OuterRef("pk"), at__lte=at)
        .order_by("-at", "-id")
        .values("to_state")[:1]
    )
    admitted = set(
        User.objects.filter(is_active=True, date_joined__lte=at)
        .annotate(state_then=last_state)
        .filter(state_then=Admission.ADMITTED)
        .values_list("pk", flat=True)
    )
    stewards = set(
        User.objects.filter(is_active=True, date_joined__lte=at)
        .filter(Q(role=User.Role.STEWARD) | Q(is_superuser=True))
        .values_list("pk", flat=True)
    )
    return admitted | stewards


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
