"""Surplus allocation: bylaws versions, allocation runs computed by the engine, and
accepting a run into the ledger and the share register."""

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
)
from solidaria.governance.services.capital import lock_coop, next_seq, register_entry
from solidaria.governance.services.permissions import acting_user, require_coop_steward


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
    """Compute a year's allocation with the engine and store it with its bylaws version."""
    require_coop_steward(actor, coop)
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
    )
    PatronageInput.objects.bulk_create(
        PatronageInput(
            run=run,
            membership=m,
            hours_minutes=r.hours_minutes,
            purchases_minor=r.purchases_minor,
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
        data={"year": year, "surplus": surplus_minor, "bylaws": bylaws.version},
    )
    return run


def coop_account_name(coop: Cooperative, fund: str = "") -> str:
    return f"coop:{coop.slug}" + (f":{fund}" if fund else "")


def _system_account(currency: Any, name: str) -> Any:
    """The co-op's own system account (no owner, no limit), got or made by the ledger."""
    from solidaria.ledger import services as ledger

    return ledger.system_account(currency=currency, name=name)


def allocation_accept(*, actor: Any, run: AllocationRun | int) -> AllocationAcceptance:
    """Apply a run: cash parts and fund parts as one ledger batch from the co-op's system
    account, capital credits as register entries; all in one transaction. Accepting again
    returns the first acceptance and moves nothing."""
    from solidaria.ledger import services as ledger
    from solidaria.ledger.models import TransferBatch

    pk = run.pk if isinstance(run, AllocationRun) else run
    found = AllocationRun.objects.select_related("coop").filter(pk=pk).first()
    if found is None:
        raise NotFound(_("there is no such allocation run"))
    coop = found.coop
    require_coop_steward(actor, coop)
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
        source = _system_account(currency, coop_account_name(coop))
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
        )
        audit.record(
            actor=actor,
            verb="governance.allocation.accept",
            obj=found,
            data={"batch": batch.pk if batch else None},
        )
        return acceptance
