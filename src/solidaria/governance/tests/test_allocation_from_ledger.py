"""Patronage read from the ledger (hours paid in a time bank, purchases paid to the
co-op's account) and allocations applied after a general-assembly poll."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.permissions import SYSTEM
from solidaria.governance import patronage, services
from solidaria.governance.engine.bylaws import BylawsError, bylaws_from_dict
from solidaria.governance.models import AllocationAcceptance, Poll
from solidaria.governance.tests.coop_ledger import (
    balance,
    give_coop_an_account,
    member_account,
    pay_in,
    snapshot,
)
from solidaria.governance.tests.test_platform_factories import (
    BYLAWS,
    World,
    in_a_week,
    make_world,
)
from solidaria.ledger import services as ledger
from solidaria.ledger.models import Account, CreditPolicy, Currency, Transfer

ASSEMBLY = {
    **BYLAWS,
    "version": "2025-assembly",
    "acceptance": "general-assembly",
    "assembly_quorum": "50",
    "assembly_threshold": "50",
}


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    return make_world(member, other_member, steward)


@pytest.fixture
def hours() -> Currency:
    return ledger.currency_create(
        actor=SYSTEM,
        code="HRS",
        name="Time bank",
        unit_kind=Currency.UnitKind.TIME,
        exponent=0,
        default_credit_limit=600,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )


def _pay(actor: Any, payer: Account, payee: Account, amount: int, key: str, **kw: Any) -> Transfer:
    return ledger.transfer_create(
        actor=actor, payer=payer, payee=payee, amount_minor=amount, key=key, **kw
    )


def _ledger_year(world: World, hours: Currency) -> Account:
    """carol pays ada 1:30 and bo 0:30 in the time bank (and ada 2:00 that she refunds);
    ada buys for 112.50 at the co-op and pays 50.00 for a share; bo buys for 30.00."""
    coop_acc = give_coop_an_account(world.coop, world.steward)
    ada, bo, carol = world.worker.user, world.consumer.user, world.stranger
    h = {u.username: member_account(u, hours) for u in (ada, bo, carol)}
    _pay(carol, h["carol"], h["ada"], 90, "h1")
    _pay(carol, h["carol"], h["bo"], 30, "h2")
    refunded = _pay(carol, h["carol"], h["ada"], 120, "h3")
    ledger.transfer_reverse(actor=ada, transfer=refunded, reason="not done", key="r1")
    cur = world.coop.currency
    ada_acc = pay_in(ada, cur, 20_000, key="in-ada")  # type: ignore[arg-type]
    bo_acc = pay_in(bo, cur, 5_000, key="in-bo")  # type: ignore[arg-type]
    _pay(ada, ada_acc, coop_acc, 1_250, "p1", category="food")
    _pay(ada, ada_acc, coop_acc, 10_000, "p2", category="food")
    _pay(bo, bo_acc, coop_acc, 3_000, "p3", category="food")
    services.shares_pay_now(
        actor=ada,
        kind="subscription",
        membership=world.worker,
        share_type=world.share,
        quantity=1,
        key="s1",
    )
    return coop_acc


def _today() -> dt.date:
    return timezone.localdate()


@pytest.mark.django_db
def test_patronage_from_the_ledger_counts_hours_and_purchases_with_their_payments(
    world: World, hours: Currency
) -> None:
    coop_acc = _ledger_year(world, hours)
    # when the figures are read for the period that holds today
    figures = patronage.from_ledger(
        world.coop, start=_today(), end=_today(), hours_currency=hours, purchases_account=coop_acc
    )
    # then: hours paid to each member (the reversed one left out), purchases paid to the
    # co-op (the share payment left out), each with its number of payments
    assert [
        (f.username, f.hours_minutes, f.hours_transfers, f.purchases_minor, f.purchases_transfers)
        for f in figures
    ] == [("ada", 90, 1, 11_250, 2), ("bo", 30, 1, 3_000, 1)]
    # and a period that ended yesterday has nothing
    yesterday = _today() - dt.timedelta(days=1)
    empty = patronage.from_ledger(
        world.coop, start=yesterday, end=yesterday, hours_currency=hours, purchases_account=coop_acc
    )
    assert [(f.hours_minutes, f.purchases_minor) for f in empty] == [(0, 0), (0, 0)]


@pytest.mark.django_db
def test_hours_must_come_from_a_time_currency(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        patronage.from_ledger(
            world.coop, start=_today(), end=_today(), hours_currency=world.coop.currency
        )
    assert "time" in refused.value.message


@pytest.mark.django_db
def test_an_allocation_run_takes_its_patronage_from_the_ledger(
    world: World, hours: Currency
) -> None:
    coop_acc = _ledger_year(world, hours)
    bylaws = services.bylaws_create(
        actor=world.steward, coop=world.coop, data=BYLAWS, effective_from=dt.date(2025, 1, 1)
    )
    run = services.allocation_run_from_ledger(
        actor=world.steward,
        coop=world.coop,
        year=2026,
        surplus_minor=10_000,
        period_start=_today(),
        period_end=_today(),
        hours_currency=hours,
        bylaws=bylaws,
    )
    assert run.patronage_source == "ledger"
    assert (run.period_start, run.period_end) == (_today(), _today())
    assert (run.hours_currency_id, run.purchases_account_id) == (hours.pk, coop_acc.pk)
    inputs = [
        (
            i.membership.user.username,
            i.hours_minutes,
            i.hours_transfers,
            i.purchases_minor,
            i.purchases_transfers,
        )
        for i in run.inputs.select_related("membership__user").order_by(
            "membership__user__username"
        )
    ]
    assert inputs == [("ada", 90, 1, 11_250, 2), ("bo", 30, 1, 3_000, 1)]
    # the members' 60 % (60.00) split 70 % by hours (ada 3/4) and 30 % by purchases
    # (ada 11250/14250): ada 31.50 + 14.21..., bo 10.50 + 3.78...
    cents = {ln.account: ln.cents for ln in run.lines.all()}
    assert sum(cents.values()) == 10_000
    assert cents["ada"] + cents["bo"] == 6_000
    assert cents["ada"] == 4_571


@pytest.mark.django_db
def test_only_stewards_compute_from_the_ledger_and_nothing_changes(
    world: World, hours: Currency
) -> None:
    _ledger_year(world, hours)
    services.bylaws_create(
        actor=world.steward, coop=world.coop, data=BYLAWS, effective_from=dt.date(2025, 1, 1)
    )
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.allocation_run_from_ledger(
            actor=world.worker.user,
            coop=world.coop,
            year=2026,
            surplus_minor=10_000,
            period_start=_today(),
            period_end=_today(),
            hours_currency=hours,
        )
    assert snapshot() == before


def test_bylaws_say_who_accepts_an_allocation() -> None:
    assert not bylaws_from_dict(BYLAWS).needs_assembly
    rules = bylaws_from_dict(ASSEMBLY)
    assert rules.needs_assembly
    assert (rules.assembly_quorum_bp, rules.assembly_threshold_bp) == (5_000, 5_000)
    assert bylaws_from_dict(rules.as_dict()) == rules
    assert "acceptance" not in bylaws_from_dict(BYLAWS).as_dict()
    with pytest.raises(BylawsError):
        bylaws_from_dict({**BYLAWS, "acceptance": "chair"})
    with pytest.raises(BylawsError):
        bylaws_from_dict({**BYLAWS, "assembly_quorum": "50"})


def _assembly_run(world: World, hours: Currency) -> Any:
    _ledger_year(world, hours)
    bylaws = services.bylaws_create(
        actor=world.steward, coop=world.coop, data=ASSEMBLY, effective_from=dt.date(2025, 1, 1)
    )
    return services.allocation_run_from_ledger(
        actor=world.steward,
        coop=world.coop,
        year=2026,
        surplus_minor=10_000,
        period_start=_today(),
        period_end=_today(),
        hours_currency=hours,
        bylaws=bylaws,
    )


@pytest.mark.django_db
def test_an_allocation_is_applied_after_the_assembly_poll_passes(
    world: World, hours: Currency, django_capture_on_commit_callbacks: Any
) -> None:
    run = _assembly_run(world, hours)
    coop_acc = Account.objects.get(kind="organisation")
    before = balance(coop_acc)
    # the steward alone may not accept it
    with pytest.raises(ValidationFailed) as refused:
        services.allocation_accept(actor=world.steward, run=run)
    assert "general assembly" in refused.value.message
    # when the steward puts it to the assembly and both members vote yes
    poll = services.allocation_poll_open(actor=world.steward, run=run, closes_at=in_a_week())
    assert poll.kind == Poll.Kind.PROPOSAL and poll.allocation_for_id == run.pk
    assert poll.settings["quorum"] == "1/2" and poll.settings["tie_rule"] == "fails"
    with pytest.raises(Conflict):
        services.allocation_poll_open(actor=world.steward, run=run, closes_at=in_a_week())
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "yes"})
    services.vote_cast(actor=world.consumer.user, poll=poll, choice={"vote": "yes"})
    # then nothing is applied until the poll's close commits
    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.poll_close(actor=world.steward, poll=poll)
    assert not AllocationAcceptance.objects.exists()
    names = [getattr(getattr(cb, "func", cb), "__name__", "") for cb in pending]
    assert "_apply_allocation_later" in names
    for callback in pending:
        callback()
    # then the run was applied, from the co-op's own account, with the poll recorded
    acceptance = AllocationAcceptance.objects.get(run=run)
    assert acceptance.poll_id == poll.pk and acceptance.accepted_by is None
    assert acceptance.ledger_batch is not None
    capital = sum(ln.capital_cents for ln in run.lines.all())
    assert balance(coop_acc) == before - (10_000 - capital)
    # and applying again changes nothing
    assert services.allocation_apply_by_poll(poll=poll) == acceptance
    assert AllocationAcceptance.objects.count() == 1


@pytest.mark.django_db
def test_a_failed_assembly_poll_applies_nothing(
    world: World, hours: Currency, django_capture_on_commit_callbacks: Any
) -> None:
    run = _assembly_run(world, hours)
    poll = services.allocation_poll_open(actor=world.steward, run=run, closes_at=in_a_week())
    services.vote_cast(actor=world.worker.user, poll=poll, choice={"vote": "no"})
    services.vote_cast(actor=world.consumer.user, poll=poll, choice={"vote": "yes"})
    with django_capture_on_commit_callbacks(execute=True):
        services.poll_close(actor=world.steward, poll=poll)
    assert not AllocationAcceptance.objects.exists()
    assert services.allocation_apply_by_poll(poll=poll) is None


@pytest.mark.django_db
def test_a_coop_without_the_money_cannot_pay_out_a_surplus(world: World) -> None:
    give_coop_an_account(world.coop, world.steward)
    bylaws = services.bylaws_create(
        actor=world.steward, coop=world.coop, data=BYLAWS, effective_from=dt.date(2025, 1, 1)
    )
    run = services.allocation_run_create(
        actor=world.steward,
        coop=world.coop,
        year=2026,
        surplus_minor=10_000,
        patronage=[services.PatronageRow("ada", 60, 100)],
        bylaws=bylaws,
    )
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.allocation_accept(actor=world.steward, run=run)
    assert "below" in refused.value.message
    assert snapshot() == before


@pytest.mark.django_db
def test_only_stewards_open_an_assembly_poll(world: World, hours: Currency) -> None:
    run = _assembly_run(world, hours)
    outsider = make_member("dee")
    before = snapshot()
    for actor in (world.worker.user, outsider):
        with pytest.raises(PermissionDenied):
            services.allocation_poll_open(actor=actor, run=run, closes_at=in_a_week())
    assert snapshot() == before
