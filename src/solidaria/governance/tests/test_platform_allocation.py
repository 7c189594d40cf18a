"""Allocation runs: stored with their bylaws version, refused on bad input, applied
exactly once as ledger transfers plus capital credits summing to the surplus."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from solidaria.accounts.models import User
from solidaria.core.errors import PermissionDenied, ValidationFailed
from solidaria.governance import queries, services
from solidaria.governance.models import AllocationAcceptance, CapitalEntry
from solidaria.governance.tests.test_platform_factories import (
    BYLAWS,
    World,
    make_world,
    snapshot,
)


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    w = make_world(member, other_member, steward)
    services.bylaws_create(
        actor=steward, coop=w.coop, data=BYLAWS, effective_from=dt.date(2025, 1, 1)
    )
    return w


ROWS = [
    services.PatronageRow("ada", hours_minutes=1200 * 60, purchases_minor=50_000),
    services.PatronageRow("bo", hours_minutes=0, purchases_minor=250_000),
]


@pytest.mark.django_db
def test_run_sums_exactly_and_records_its_bylaws(world: World) -> None:
    run = services.allocation_run_create(
        actor=world.steward, coop=world.coop, year=2025, surplus_minor=1_000_001, patronage=ROWS
    )
    assert run.bylaws.version == "2025-1"
    assert run.lines.aggregate(s=Sum("cents"))["s"] == 1_000_001
    members = {ln.account: ln for ln in run.lines.filter(membership__isnull=False)}
    # members' pool 600000.6: ada 0.7 + 0.3 x 1/6 = 0.75 (450000.45, the largest remainder
    # gets the last cent), bo 0.25 (150000.15); cash is 30 % rounded up
    assert members["ada"].cents == 450_001
    assert members["bo"].cents == 150_000
    assert members["ada"].cash_cents == 135_001 and members["ada"].capital_cents == 315_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"social_fund": "15"},
            "shares: reserves 30 % + social_fund 15 % + members 60 % = 105 %, not 100 %",
        ),
        ({"version": "2025-2", "cash": "10"}, "cash: 10 % is below the minimum of 20 %"),
        ({"version": "2025-3", "colour": "red"}, "colour: unknown key"),
    ],
)
def test_bylaws_that_do_not_add_up_are_refused(world: World, change: dict, message: str) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.bylaws_create(
            actor=world.steward,
            coop=world.coop,
            data={**BYLAWS, **change},
            effective_from=dt.date(2026, 1, 1),
        )
    assert exc.value.message == message
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rows", "surplus", "message"),
    [
        ([services.PatronageRow("ada", hours_minutes=-60)], 100, "patronage cannot be negative"),
        ([services.PatronageRow("ada", purchases_minor=-1)], 100, "patronage cannot be negative"),
        ([services.PatronageRow("carol", hours_minutes=60)], 100, "carol is not a member"),
        ([services.PatronageRow("ada", hours_minutes=60)], -5, "the surplus is a whole number"),
    ],
)
def test_bad_allocation_input_is_refused_and_nothing_stored(
    world: World, rows: list, surplus: int, message: str
) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        services.allocation_run_create(
            actor=world.steward, coop=world.coop, year=2025, surplus_minor=surplus, patronage=rows
        )
    assert message in exc.value.message
    assert snapshot() == before


@pytest.mark.django_db
def test_accepting_applies_ledger_and_register_exactly_once(world: World) -> None:
    from solidaria.ledger.models import Account, Transfer

    run = services.allocation_run_create(
        actor=world.steward, coop=world.coop, year=2025, surplus_minor=1_000_001, patronage=ROWS
    )
    # a member may not accept it
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.allocation_accept(actor=world.worker.user, run=run)
    assert snapshot() == before
    # when a steward accepts it twice
    first = services.allocation_accept(actor=world.steward, run=run)
    again = services.allocation_accept(actor=world.steward, run=run)
    assert first.pk == again.pk
    assert AllocationAcceptance.objects.count() == 1
    # then ledger transfers + capital credits add up to the surplus exactly
    paid = Transfer.objects.filter(batch=first.ledger_batch).aggregate(s=Sum("amount_minor"))["s"]
    credited = CapitalEntry.objects.filter(allocation_run=run).aggregate(s=Sum("amount_minor"))["s"]
    assert paid + credited == 1_000_001
    ada = Account.objects.get(owner=world.worker.user, kind=Account.Kind.MEMBER)
    assert ada.balance == 135_001
    source = Account.objects.get(kind=Account.Kind.SYSTEM, name="coop:bread")
    assert source.balance == -paid
    assert queries.member_capital(world.worker).capital_credit_minor == 315_000


@pytest.mark.django_db
def test_only_one_run_per_year_can_be_accepted(world: World) -> None:
    runs = [
        services.allocation_run_create(
            actor=world.steward, coop=world.coop, year=2025, surplus_minor=s, patronage=ROWS
        )
        for s in (1000, 2000)
    ]
    services.allocation_accept(actor=world.steward, run=runs[0])
    before = snapshot()
    with pytest.raises(Exception, match="accepted already"):
        services.allocation_accept(actor=world.steward, run=runs[1])
    assert snapshot() == before
