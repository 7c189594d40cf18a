"""Reads shared by the clearing pages, API and notices."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from solidaria.accounts.models import User
from solidaria.clearing.models import ClearingRun, Obligation, RunItem, RunResponse
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


def to_settle_by(user: User) -> QuerySet[Obligation]:
    """The debtor's confirmed obligations with something left to pay."""
    return (
        Obligation.objects.filter(
            debtor=user, status=Obligation.Status.CONFIRMED, remaining_minor__gt=0
        )
        .select_related("currency", "creditor", "settlement_currency")
        .order_by("pk")
    )


def to_settle_by_any(run: ClearingRun) -> QuerySet[Obligation]:
    """The obligations a run left open (something left to pay), oldest first."""
    return (
        Obligation.objects.filter(
            pk__in=RunItem.objects.filter(run=run).values("obligation_id"),
            status=Obligation.Status.CONFIRMED,
            remaining_minor__gt=0,
        )
        .select_related("currency", "debtor", "creditor")
        .order_by("pk")
    )


def disputed_for(user: User) -> QuerySet[Obligation]:
    return (
        obligations_for(user)
        .filter(status=Obligation.Status.DISPUTED)
        .select_related("proposed_by")
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


def affected_member_ids(run: ClearingRun) -> set[int]:
    """The members a run touches: debtor or creditor of an obligation it sets off."""
    rows = RunItem.objects.filter(run=run, setoff_minor__gt=0).values_list(
        "obligation__debtor_id", "obligation__creditor_id"
    )
    return {m for pair in rows for m in pair}


def setoff_by_member(run: ClearingRun) -> dict[int, int]:
    """Each member a run touches, with how much of their obligations it sets off."""
    amounts: dict[int, int] = defaultdict(int)
    rows = RunItem.objects.filter(run=run, setoff_minor__gt=0).values_list(
        "obligation__debtor_id", "obligation__creditor_id", "setoff_minor"
    )
    for debtor, creditor, amount in rows:
        amounts[debtor] += amount
        amounts[creditor] += amount
    return dict(amounts)


def responses(run: ClearingRun) -> dict[int, RunResponse]:
    return {r.member_id: r for r in RunResponse.objects.filter(run=run)}


@dataclass(frozen=True)
class Answers:
    """Who a proposed run touches and how they answered (counts only: no names)."""

    touched: int
    accepted: int
    objected: int

    @property
    def waiting(self) -> int:
        return self.touched - self.accepted - self.objected


def answers(run: ClearingRun) -> Answers:
    touched = affected_member_ids(run)
    given = [r.answer for m, r in responses(run).items() if m in touched]
    return Answers(
        touched=len(touched),
        accepted=given.count(RunResponse.Answer.ACCEPT),
        objected=given.count(RunResponse.Answer.OBJECT),
    )


@dataclass(frozen=True)
class Position:
    """One member's debt in a run: before, set off, after."""

    owes_before: int
    owed_before: int
    owes_setoff: int
    owed_setoff: int

    @property
    def owes_after(self) -> int:
        return self.owes_before - self.owes_setoff

    @property
    def owed_after(self) -> int:
        return self.owed_before - self.owed_setoff


def position(run: ClearingRun, user: User) -> Position:
    owes_b = owed_b = owes_s = owed_s = 0
    for item in notice_lines(run, user):
        if item.role == "debtor":
            owes_b, owes_s = owes_b + item.remaining_before, owes_s + item.setoff
        else:
            owed_b, owed_s = owed_b + item.remaining_before, owed_s + item.setoff
    return Position(owes_b, owed_b, owes_s, owed_s)


A_MEMBER = None  # a counterparty the viewer is not directly linked to


@dataclass(frozen=True)
class CycleView:
    """A cycle as one reader may see it: names, None for "a member", and the amount."""

    members: list[str | None]
    amount: int
    includes_me: bool


def linked_member_ids(run: ClearingRun, user: User) -> set[int]:
    """The members with whom `user` has an obligation in the run (either direction)."""
    rows = (
        RunItem.objects.filter(run=run)
        .filter(Q(obligation__debtor=user) | Q(obligation__creditor=user))
        .values_list("obligation__debtor_id", "obligation__creditor_id")
    )
    return {m for pair in rows for m in pair} - {user.pk}


def cycles_for(run: ClearingRun, user: Any) -> list[CycleView]:
    """The run's cycles a reader may see. Stewards: every stored cycle, every name. A
    member: the cycles they are in, naming themselves and the members they have an
    obligation with in this run; anyone else in the cycle is "a member" (None)."""
    stored = [c for c in run.cycles if c.get("members")]
    if is_steward(user):
        names = usernames(sorted({int(m) for c in stored for m in c["members"]}))
        return [
            CycleView([names.get(int(m), str(m)) for m in c["members"]], c["amount"], False)
            for c in stored
        ]
    mine = [c for c in stored if user.pk in {int(m) for m in c["members"]}]
    linked = linked_member_ids(run, user)
    names = usernames(sorted(linked | {user.pk}))
    views = []
    for c in mine:
        ring = [int(m) for m in c["members"]]
        at = ring.index(user.pk)
        ring = ring[at:] + ring[:at]  # the reader first
        views.append(
            CycleView(
                [names[m] if m in linked or m == user.pk else A_MEMBER for m in ring],
                c["amount"],
                True,
            )
        )
    return views
