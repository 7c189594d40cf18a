"""Reads shared by the clearing pages, API and notices."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from solidaria.accounts.models import User
from solidaria.clearing.models import ClearingRun, Obligation, RunItem
from solidaria.core.permissions import is_steward


def obligations_for(user: User) -> QuerySet[Obligation]:
    return (
        Obligation.objects.filter(Q(debtor=user) | Q(creditor=user))
        .select_related("currency", "debtor", "creditor")
        .order_by("-created_at", "-id")
    )


def awaiting_my_confirmation(user: User) -> QuerySet[Obligation]:
    return obligations_for(user).filter(
        Q(debtor=user, debtor_confirmed_at__isnull=True)
        | Q(creditor=user, creditor_confirmed_at__isnull=True),
        status__in=[Obligation.Status.PENDING, Obligation.Status.DISPUTED],
    )


def visible_run(user: Any, run: ClearingRun) -> bool:
    """Stewards see every run; a member sees runs that touch one of their obligations."""
    if is_steward(user):
        return True
    return bool(
        user.is_authenticated
        and run.items.filter(Q(obligation__debtor=user) | Q(obligation__creditor=user)).exists()
    )


@dataclass(frozen=True)
class NoticeLine:
    obligation_id: int
    reference: str
    role: str  # "debtor" or "creditor"
    counterparty: str
    remaining_before: int
    setoff: int

    @property
    def remaining_after(self) -> int:
        return self.remaining_before - self.setoff


def notice_lines(run: ClearingRun, user: User) -> list[NoticeLine]:
    """A member's set-off notice: every obligation of theirs in the run."""
    items = (
        RunItem.objects.filter(run=run)
        .filter(Q(obligation__debtor=user) | Q(obligation__creditor=user))
        .select_related("obligation__debtor", "obligation__creditor")
        .order_by("obligation_id")
    )
    lines = []
    for item in items:
        ob = item.obligation
        is_debtor = ob.debtor_id == user.pk
        lines.append(
            NoticeLine(
                obligation_id=ob.pk,
                reference=ob.reference,
                role="debtor" if is_debtor else "creditor",
                counterparty=str(ob.creditor if is_debtor else ob.debtor),
                remaining_before=item.remaining_before,
                setoff=item.setoff_minor,
            )
        )
    return lines


@dataclass(frozen=True)
class MemberPosition:
    member: str
    owes_before: int
    owed_before: int
    owes_after: int
    owed_after: int
    setoff: int


def member_positions(run: ClearingRun, *, limit: int = 20) -> list[MemberPosition]:
    """Gross debt per member before and after the run's set-off (the chart's data),
    the `limit` members with the most debt first."""
    owes_b: dict[int, int] = defaultdict(int)
    owed_b: dict[int, int] = defaultdict(int)
    setoff: dict[int, int] = defaultdict(int)
    owes_s: dict[int, int] = defaultdict(int)
    owed_s: dict[int, int] = defaultdict(int)
    rows = RunItem.objects.filter(run=run).values_list(
        "obligation__debtor_id", "obligation__creditor_id", "remaining_before", "setoff_minor"
    )
    for debtor, creditor, before, off in rows.iterator(chunk_size=5000):
        owes_b[debtor] += before
        owed_b[creditor] += before
        owes_s[debtor] += off
        owed_s[creditor] += off
        setoff[debtor] += off
    members = set(owes_b) | set(owed_b)
    top = sorted(members, key=lambda m: -(owes_b[m] + owed_b[m]))[:limit]
    names = dict(User.objects.filter(pk__in=top).values_list("pk", "username"))
    return [
        MemberPosition(
            member=names.get(m, str(m)),
            owes_before=owes_b[m],
            owed_before=owed_b[m],
            owes_after=owes_b[m] - owes_s[m],
            owed_after=owed_b[m] - owed_s[m],
            setoff=setoff[m],
        )
        for m in top
    ]


def usernames(ids: list[int]) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
