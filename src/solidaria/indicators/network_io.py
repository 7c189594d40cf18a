"""The platform's rows for one period, as the network-indicator engine's plain data.

One function per source, each documented with what it counts; `gather` calls them all.
Everything is read as of the period's end (`end`, not included): a balance is the
`balance_after` of the account's last journal entry before `end`, an invoice counts
what was set off or paid on it before `end`.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, OuterRef, Q, Subquery, Sum

from solidaria.accounts.models import Admission, AdmissionEvent, User
from solidaria.budgeting.models import Ballot as BudgetBallot
from solidaria.budgeting.models import Electorate, Phase, PhaseSchedule, Result, VotingCode
from solidaria.clearing.models import Obligation, RunItem, SetOff, Settlement
from solidaria.governance.models import Participation, Poll
from solidaria.indicators.engine.network import (
    AccountBalance,
    BudgetSatisfaction,
    BudgetTurnout,
    ClearingApplied,
    CurrencyInfo,
    GenderCount,
    Invoice,
    NetworkData,
    Payment,
    PollTurnout,
)
from solidaria.ledger.models import Account, Currency, Entry, Transfer

TRADE_KINDS = (
    Transfer.Kind.PAYMENT,
    Transfer.Kind.REQUEST,
    Transfer.Kind.BULK,
    Transfer.Kind.IMPORT,
)


def currencies() -> tuple[CurrencyInfo, ...]:
    return tuple(
        CurrencyInfo(c.code, c.unit_kind == Currency.UnitKind.TIME, c.exponent)
        for c in Currency.objects.order_by("code")
    )


def payments(start: dt.datetime, end: dt.datetime) -> tuple[Payment, ...]:
    """Completed trade (see TRADE_KINDS) in the period, not reversed (by `end`)."""
    rows = (
        Transfer.objects.filter(
            status=Transfer.Status.COMPLETED,
            kind__in=TRADE_KINDS,
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .exclude(reversed_by__created_at__lt=end)
        .values_list("currency__code", "amount_minor", "payer__owner_id", "payee__owner_id")
        .order_by("pk")
    )
    return tuple(Payment(c, a, payer, payee) for c, a, payer, payee in rows)


def balances(end: dt.datetime) -> tuple[AccountBalance, ...]:
    """Members' and organisations' accounts opened before `end`, at their balance then."""
    last = Entry.objects.filter(account=OuterRef("pk"), created_at__lt=end).order_by("-seq")
    rows = (
        Account.objects.filter(created_at__lt=end)
        .exclude(kind=Account.Kind.SYSTEM)
        .annotate(at_end=Subquery(last.values("balance_after")[:1]))
        .values_list("currency__code", "at_end")
        .order_by("pk")
    )
    return tuple(AccountBalance(c, int(b or 0)) for c, b in rows)


def invoices(start: dt.datetime, end: dt.datetime) -> tuple[Invoice, ...]:
    """Obligations recorded in the period (not withdrawn): what was set off or paid by `end`."""
    set_off = (
        SetOff.objects.filter(obligation=OuterRef("pk"), applied_at__lt=end)
        .values("obligation")
        .annotate(s=Sum("amount_minor"))
        .values("s")
    )
    paid = (
        Settlement.objects.filter(obligation=OuterRef("pk"), at__lt=end)
        .values("obligation")
        .annotate(s=Sum("amount_minor"))
        .values("s")
    )
    rows = (
        Obligation.objects.filter(created_at__gte=start, created_at__lt=end)
        .exclude(status=Obligation.Status.CANCELLED)
        .annotate(set_off=Subquery(set_off[:1]), paid=Subquery(paid[:1]))
        .values_list("currency__code", "amount_minor", "set_off", "paid")
        .order_by("pk")
    )
    return tuple(Invoice(c, a, int(s or 0) + int(p or 0)) for c, a, s, p in rows)


def clearing(start: dt.datetime, end: dt.datetime) -> tuple[ClearingApplied, ...]:
    """Runs with set-offs applied in the period: the debt each looked at and what it set off."""
    runs = (
        SetOff.objects.filter(applied_at__gte=start, applied_at__lt=end)
        .values("run_id", "run__currency__code")
        .annotate(s=Sum("amount_minor"))
        .order_by("run_id")
    )
    out = []
    for r in runs:
        gross = RunItem.objects.filter(run_id=r["run_id"]).aggregate(g=Sum("remaining_before"))["g"]
        out.append(ClearingApplied(r["run__currency__code"], int(gross or 0), int(r["s"])))
    return tuple(out)


def members_at(at: dt.datetime) -> list[int]:
    """Ids of the people admitted at `at` and still members now (as electorates count them)."""
    last = AdmissionEvent.objects.filter(user=OuterRef("pk"), at__lte=at).order_by("-at", "-id")
    rows = (
        User.objects.filter(is_active=True, admission=Admission.ADMITTED, date_joined__lte=at)
        .annotate(state=Subquery(last.values("to_state")[:1]))
        .filter(Q(state=Admission.ADMITTED) | Q(role=User.Role.STEWARD) | Q(is_superuser=True))
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    return list(rows)


def budgets(start: dt.datetime, end: dt.datetime) -> tuple[BudgetTurnout, ...]:
    """Processes whose voting opened in the period: ballots over the electorate."""
    opened = PhaseSchedule.objects.filter(
        phase=Phase.VOTING, opened_at__gte=start, opened_at__lt=end
    ).select_related("process")
    out = []
    for schedule in opened.order_by("opened_at", "pk"):
        process = schedule.process
        assert schedule.opened_at is not None
        if process.electorate == Electorate.MEMBERS:
            electorate = len(members_at(schedule.opened_at))
        else:
            electorate = VotingCode.objects.filter(process=process).count()
        ballots = BudgetBallot.objects.filter(process=process).count()
        out.append(BudgetTurnout(process.slug, process.title, electorate, ballots))
    return tuple(out)


def budget_counts(start: dt.datetime, end: dt.datetime) -> tuple[BudgetSatisfaction, ...]:
    """Counts made in the period (the newest of each process and engine rule, completion
    included): the ballots that name at least one project the rule funded, over all the
    process's ballots."""
    newest: dict[tuple[int, str], Result] = {}
    rows = Result.objects.filter(counted_at__gte=start, counted_at__lt=end).select_related(
        "process"
    )
    for result in rows.order_by("counted_at", "pk"):
        newest[(result.process_id, result.engine_rule or result.rule)] = result
    ballots: dict[int, list[set[str]]] = {}
    out = []
    for (process_id, rule), result in sorted(newest.items()):
        if process_id not in ballots:
            ballots[process_id] = [
                set(p) for p in BudgetBallot.objects.filter(process_id=process_id)
                .values_list("projects", flat=True)
                .iterator()
            ]  # fmt: skip
        funded = set(result.selected)
        satisfied = sum(1 for b in ballots[process_id] if b & funded)
        process = result.process
        out.append(
            BudgetSatisfaction(
                process.slug, process.title, rule, len(ballots[process_id]), satisfied
            )
        )
    return tuple(out)


def polls(start: dt.datetime, end: dt.datetime) -> tuple[PollTurnout, ...]:
    """Polls closed in the period: who took part over the electorate when it opened."""
    rows = (
        Poll.objects.filter(closed_at__gte=start, closed_at__lt=end)
        .annotate(voters=Count("participations"))
        .order_by("closed_at", "pk")
    )
    return tuple(PollTurnout(str(p.pk), p.title, p.electorate_count, p.voters) for p in rows)


def stewards_at(end: dt.datetime, members: set[int]) -> set[int]:
    """Of `members`, who held a steward role at `end`: network steward, currency steward
    or process manager granted before it, or an active co-op steward who started before
    it (roles keep no history of withdrawals: a withdrawn role no longer counts)."""
    from solidaria.budgeting.models import ProcessManager
    from solidaria.governance.models import Membership
    from solidaria.ledger.models import CurrencySteward

    found: set[int] = set(
        User.objects.filter(pk__in=members)
        .filter(Q(role=User.Role.STEWARD) | Q(is_superuser=True))
        .values_list("pk", flat=True)
    )
    found.update(
        CurrencySteward.objects.filter(user_id__in=members, granted_at__lt=end).values_list(
            "user_id", flat=True
        )
    )
    found.update(
        ProcessManager.objects.filter(user_id__in=members, granted_at__lt=end).values_list(
            "user_id", flat=True
        )
    )
    found.update(
        Membership.objects.filter(
            user_id__in=members,
            is_steward=True,
            status=Membership.Status.ACTIVE,
            started_at__lt=end,
        ).values_list("user_id", flat=True)
    )
    return found


def genders(members: set[int], stewards: set[int]) -> tuple[GenderCount, ...]:
    """How many members and stewards declared each gender (only counts leave this
    function; "another identity" is counted without the person's own words)."""
    out = []
    for group, people in (("members", members), ("stewards", stewards)):
        rows = (
            User.objects.filter(pk__in=people)
            .values("gender")
            .annotate(n=Count("pk"))
            .order_by("gender")
        )
        for row in rows:
            out.append(GenderCount(group, row["gender"] or "not_declared", row["n"]))
    return tuple(out)


def gather(start: dt.datetime, end: dt.datetime) -> NetworkData:
    members = set(members_at(end))
    voters = set(
        Participation.objects.filter(poll__closed_at__gte=start, poll__closed_at__lt=end)
        .values_list("user_id", flat=True)
        .distinct()
    )
    return NetworkData(
        currencies=currencies(),
        payments=payments(start, end),
        balances=balances(end),
        invoices=invoices(start, end),
        clearing=clearing(start, end),
        budgets=budgets(start, end),
        budget_counts=budget_counts(start, end),
        polls=polls(start, end),
        members=len(members),
        members_who_voted=len(members & voters),
        genders=genders(members, stewards_at(end, members)),
    )
