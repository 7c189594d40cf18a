"""Surplus allocation: bylaws versions, allocation runs computed by the engine (patronage
typed in, or read from the ledger over a period), and accepting a run into the ledger and
the share register: by a co-op steward, or, when the bylaws say so, by a general-assembly
poll whose passing applies the run once the poll's close has committed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from solidaria.core import audit
from solidaria.core.errors import Conflict, NotFound, ValidationFailed
from solidaria.core.permissions import SYSTEM
from solidaria.governance import patronage as ledger_patronage
from solidaria.governance import queries
from solidaria.governance.engine.allocation import AllocationError, Patronage, allocate_surplus
from solidaria.governance.engine.bylaws import BylawsError, bylaws_from_dict
from solidaria.governance.models import (
    AllocationAcceptance,
    AllocationLine,
    AllocationRun,
    BylawsVersion,
    CapitalEntry,
    Cooperative,
    Membership,
    PatronageInput,
    PatronageSource,
    Poll,
)
from solidaria.governance.services.capital import lock_coop, next_seq, register_entry
from solidaria.governance.services.permissions import acting_user, require_coop_steward
from solidaria.notifications import events


@transaction.atomic
def bylaws_create(
    *, actor: Any, coop: Cooperative, data: Mapping[str, Any], effective_from: dt.date
) -> BylawsVersion:
    """Store a new bylaws version after the engine validated it."""
    require_coop_steward(actor, coop)
    try:
        bylaws = bylaws_from_dict(data)
    except BylawsError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None
    if BylawsVersion.objects.filter(coop=coop, version=bylaws.version).exists():
        raise Conflict(
            _("bylaws version %(v)s exists already") % {"v": bylaws.version}, field="version"
        )
    stored = bylaws.as_dict()
    stored["effective_from"] = effective_from.isoformat()
    version = BylawsVersion.objects.create(
        coop=coop,
        version=bylaws.version,
        effective_from=effective_from,
        data=stored,
        created_by=acting_user(actor),
        created_at=timezone.now(),
    )
    audit.record(actor=actor, verb="governance.bylaws.create", obj=version)
    return version


def bylaws_in_force(coop: Cooperative, on: dt.date) -> BylawsVersion | None:
    return coop.bylaws.filter(effective_from__lte=on).order_by("-effective_from", "-id").first()


@dataclass(frozen=True)
class PatronageRow:
    """One member's input: minutes worked and purchases in minor units."""

    username: str
    hours_minutes: int = 0
    purchases_minor: int = 0
    hours_transfers: int = 0  # from the ledger: how many payments each figure sums
    purchases_transfers: int = 0


@transaction.atomic
def allocation_run_create(
    *,
    actor: Any,
    coop: Cooperative,
    year: int,
    surplus_minor: int,
    patronage: Sequence[PatronageRow],
    bylaws: BylawsVersion | None = None,
) -> AllocationRun:
    """Compute a year's allocation with the engine from patronage typed in, and store it
    with its bylaws version."""
    require_coop_steward(actor, coop)
    return _run_create(actor, coop, year, surplus_minor, patronage, bylaws, {})


@transaction.atomic
def allocation_run_from_ledger(
    *,
    actor: Any,
    coop: Cooperative,
    year: int,
    surplus_minor: int,
    period_start: dt.date,
    period_end: dt.date,
    hours_currency: Any = None,
    include_purchases: bool = True,
    bylaws: BylawsVersion | None = None,
) -> AllocationRun:
    """Compute a year's allocation with each member's patronage read from the ledger over
    the period (`governance.patronage`): hours paid to them in `hours_currency`, and
    purchases they paid into the co-op's account. The run keeps the period, the sources
    and how many payments each figure sums."""
    require_coop_steward(actor, coop)
    purchases_account = None
    if include_purchases:
        purchases_account = queries.coop_account(coop)
        if purchases_account is None:
            raise ValidationFailed(
                _("%(coop)s has no account in its currency, so there are no purchases to read")
                % {"coop": coop.name},
                field="source",
            )
    figures = ledger_patronage.from_ledger(
        coop,
        start=period_start,
        end=period_end,
        hours_currency=hours_currency,
        purchases_account=purchases_account,
    )
    rows = [
        PatronageRow(
            f.username, f.hours_minutes, f.purchases_minor, f.hours_transfers, f.purchases_transfers
        )
        for f in figures
    ]
    source = {
        "patronage_source": PatronageSource.LEDGER,
        "period_start": period_start,
        "period_end": period_end,
        "hours_currency": hours_currency,
        "purchases_account": purchases_account,
    }
    return _run_create(actor, coop, year, surplus_minor, rows, bylaws, source)


def _run_create(
    actor: Any,
    coop: Cooperative,
    year: int,
    surplus_minor: int,
    patronage: Sequence[PatronageRow],
    bylaws: BylawsVersion | None,
    source: dict[str, Any],
) -> AllocationRun:
    if isinstance(surplus_minor, bool) or not isinstance(surplus_minor, int) or surplus_minor < 0:
        raise ValidationFailed(
            _("the surplus is a whole number of cents, 0 or more"), field="surplus"
        )
    if not 1900 <= year <= 3000:
        raise ValidationFailed(_("give a calendar year"), field="year")
    if bylaws is None:
        bylaws = bylaws_in_force(coop, dt.date(year, 12, 31))
    if bylaws is None or bylaws.coop_id != coop.pk:
        raise ValidationFailed(_("the co-op has no bylaws in force for that year"), field="bylaws")
    if not patronage:
        raise ValidationFailed(_("give at least one member's patronage"), field="patronage")
    memberships: list[Membership] = []
    for row in patronage:
        if row.hours_minutes < 0 or row.purchases_minor < 0:
            raise ValidationFailed(
                _("member %(u)s: patronage cannot be negative") % {"u": row.username},
                field="patronage",
            )
        memberships.append(queries.find_member(coop, row.username, field="patronage"))
    try:
        rules = bylaws_from_dict(bylaws.data)
        allocation = allocate_surplus(
            surplus_minor,
            rules,
            [
                Patronage(r.username, Fraction(r.hours_minutes, 60), Fraction(r.purchases_minor))
                for r in patronage
            ],
        )
    except BylawsError as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None
    except AllocationError as exc:
        raise ValidationFailed(str(exc), field="patronage") from None
    result = {
        "surplus_cents": allocation.surplus_cents,
        "residue_cents": allocation.residue_cents,
        "bylaws": rules.as_dict(),
        "members": [
            {
                "member": m.member,
                "patronage_share": str(m.patronage_share),
                "cents": m.cents,
                "cash_cents": m.cash_cents,
                "capital_cents": m.capital_cents,
            }
            for m in allocation.members
        ],
        "funds": [{"account": f.account, "cents": f.cents} for f in allocation.funds],
    }
    run = AllocationRun.objects.create(
        coop=coop,
        year=year,
        surplus_minor=surplus_minor,
        bylaws=bylaws,
        result=result,
        engine_version=allocation.engine_version,
        created_by=acting_user(actor),
        created_at=timezone.now(),
        **source,
    )
    PatronageInput.objects.bulk_create(
        PatronageInput(
            run=run,
            membership=m,
            hours_minutes=r.hours_minutes,
            purchases_minor=r.purchases_minor,
            hours_transfers=r.hours_transfers,
            purchases_transfers=r.purchases_transfers,
        )
        for m, r in zip(memberships, patronage, strict=True)
    )
    AllocationLine.objects.bulk_create(
        [
            AllocationLine(
                run=run,
                membership=m,
                account=share.member,
                cents=share.cents,
                cash_cents=share.cash_cents,
                capital_cents=share.capital_cents,
                exact=str(share.exact_cents),
            )
            for m, share in zip(memberships, allocation.members, strict=True)
        ]
        + [
            AllocationLine(
                run=run,
                account=f.account,
                cents=f.cents,
                cash_cents=f.cents,  # a fund's share is paid into its ledger account
                exact=str(f.exact_cents),
            )
            for f in allocation.funds
        ]
    )
    audit.record(
        actor=actor,
        verb="governance.allocation.create",
        obj=run,
        data={
            "year": year,
            "surplus": surplus_minor,
            "bylaws": bylaws.version,
            "patronage": str(source.get("patronage_source", PatronageSource.TYPED)),
        },
    )
    return run


def coop_account_name(coop: Cooperative, fund: str = "") -> str:
    return f"coop:{coop.slug}" + (f":{fund}" if fund else "")


def _system_account(currency: Any, name: str) -> Any:
    """The co-op's own system account (no owner, no limit), got or made by the ledger."""
    from solidaria.ledger import services as ledger

    return ledger.system_account(currency=currency, name=name)


def _run_of(run: AllocationRun | int) -> AllocationRun:
    pk = run.pk if isinstance(run, AllocationRun) else run
    found = AllocationRun.objects.select_related("coop", "bylaws").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no such allocation run"))
    return found


def needs_assembly(run: AllocationRun) -> bool:
    """The run's bylaws ask a general-assembly poll to accept it."""
    return bool(bylaws_from_dict(run.bylaws.data).needs_assembly)


def allocation_accept(*, actor: Any, run: AllocationRun | int) -> AllocationAcceptance:
    """A steward applies a run: cash parts and fund parts as one ledger batch, capital
    credits as register entries; all in one transaction. Accepting again returns the
    first acceptance and moves nothing. Refused when the bylaws leave it to the general
    assembly (`allocation_poll_open`)."""
    found = _run_of(run)
    require_coop_steward(actor, found.coop)
    existing = AllocationAcceptance.objects.filter(run=found).first()
    if existing is not None:
        return existing
    if needs_assembly(found):
        raise ValidationFailed(
            _(
                "The bylaws ask the general assembly to accept an allocation: open a poll "
                "on it, and it is applied when the poll passes."
            )
        )
    return _apply(actor, found, poll=None)


@transaction.atomic
def allocation_poll_open(*, actor: Any, run: AllocationRun | int, closes_at: dt.datetime) -> Poll:
    """A steward puts the run to the general assembly: a proposal poll with the quorum and
    threshold the bylaws set (a tie fails). When it closes having passed, the run is
    applied after the close commits (`allocation_apply_by_poll`, as a task)."""
    from solidaria.governance.services.polls import poll_create

    found = _run_of(run)
    require_coop_steward(actor, found.coop)
    rules = bylaws_from_dict(found.bylaws.data)
    if not rules.needs_assembly:
        raise ValidationFailed(_("The bylaws leave accepting this allocation to the stewards."))
    lock_coop(found.coop)
    if AllocationAcceptance.objects.filter(run=found).exists():
        raise Conflict(_("This allocation was applied already."))
    if Poll.objects.filter(allocation_for=found).exists():
        raise Conflict(_("The general assembly has a poll on this allocation already."))
    currency = found.coop.currency
    surplus = currency.format(found.surplus_minor) if currency else str(found.surplus_minor)
    poll = poll_create(
        actor=actor,
        coop=found.coop,
        kind=Poll.Kind.PROPOSAL,
        title=_("Accept the surplus allocation for %(y)s") % {"y": found.year},
        body=_(
            "Share a surplus of %(s)s by bylaws version %(v)s, as the allocation page shows. "
            "If this passes, it is applied to the ledger and the capital register."
        )
        % {"s": surplus, "v": found.bylaws.version},
        closes_at=closes_at,
        settings={
            "quorum": str(Fraction(rules.assembly_quorum_bp, 10_000)),
            "quorum_base": "electorate",
            "threshold": str(Fraction(rules.assembly_threshold_bp, 10_000)),
            "threshold_base": "votes-cast",
            "comparison": ">",
            "tie_rule": "fails",
        },
    )
    poll.allocation_for = found
    poll.save(update_fields=["allocation_for"])
    audit.record(actor=actor, verb="governance.allocation.poll", obj=found, data={"poll": poll.pk})
    return poll


def allocation_apply_by_poll(*, poll: Poll | int) -> AllocationAcceptance | None:
    """Apply the run a closed general-assembly poll passed (the platform acts; the poll is
    recorded on the acceptance). Nothing for a poll that did not pass or is on no run;
    applying again returns the first acceptance."""
    pk = poll.pk if isinstance(poll, Poll) else poll
    found = Poll.objects.select_related("result").filter(pk=pk).first()
    if found is None or found.allocation_for_id is None or not found.is_closed:
        return None
    result = getattr(found, "result", None)
    if result is None or result.outcome != "passed":
        return None
    run = _run_of(found.allocation_for_id)
    existing = AllocationAcceptance.objects.filter(run=run).first()
    return existing or _apply(SYSTEM, run, poll=found)


def _apply(actor: Any, found: AllocationRun, *, poll: Poll | None) -> AllocationAcceptance:
    """Pay the run out: from the co-op's own account when it holds one (its limits apply:
    a co-op cannot pay out money it does not hold), else from its `coop:<slug>` system
    account, as before co-ops held accounts."""
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import TransferBatch

    coop = found.coop
    with transaction.atomic():
        locked = lock_coop(coop)
        existing = AllocationAcceptance.objects.filter(run=found).first()
        if existing is not None:
            return existing
        if AllocationAcceptance.objects.filter(coop=coop, year=found.year).exists():
            raise Conflict(
                _("another allocation for %(y)s was accepted already") % {"y": found.year}
            )
        if locked.currency is None:
            raise ValidationFailed(_("set the co-op's currency before paying out a surplus"))
        currency = locked.currency
        source = queries.coop_account(locked) or _system_account(currency, coop_account_name(coop))
        lines: list[tuple[int, int, str, str]] = []
        memo = _("surplus %(y)s") % {"y": found.year}
        now = timezone.now()
        seq = next_seq(locked)
        for line in found.lines.select_related("membership__user").order_by("pk"):
            if line.membership is not None:
                if line.cash_cents > 0:
                    account = ledger.account_open(
                        actor=SYSTEM, currency=currency, owner=line.membership.user
                    )
                    lines.append((account.pk, line.cash_cents, memo, "surplus-cash"))
                if line.capital_cents > 0:
                    register_entry(
                        locked,
                        seq,
                        line.membership,
                        CapitalEntry.Kind.CAPITAL_CREDIT,
                        None,
                        0,
                        line.capital_cents,
                        actor,
                        now,
                        allocation_run=found,
                        memo=memo,
                    )
                    seq += 1
            elif line.cents > 0:
                fund = _system_account(currency, coop_account_name(coop, line.account))
                lines.append((fund.pk, line.cents, memo, f"surplus-{line.account}"[:64]))
        batch: TransferBatch | None = None
        if lines:
            batch = ledger.bulk_transfer(
                actor=SYSTEM,
                kind=TransferBatch.Kind.ONE_TO_MANY,
                counterparty=source,
                lines=lines,
                memo=memo,
                key=f"governance-allocation-{found.pk}",
            )
        acceptance = AllocationAcceptance.objects.create(
            run=found,
            coop=coop,
            year=found.year,
            accepted_by=acting_user(actor),
            accepted_at=now,
            ledger_batch=batch,
            poll=poll,
        )
        audit.record(
            actor=actor,
            verb="governance.allocation.accept",
            obj=found,
            data={"batch": batch.pk if batch else None, "poll": poll.pk if poll else None},
        )
        events.allocation_applied(actor=actor, run=found, poll=poll)
        return acceptance
