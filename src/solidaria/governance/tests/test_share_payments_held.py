"""A share payment through a payment request that is held for a steward's authorisation:
the register entry is written when the steward approves the payment (once), and never
when the steward refuses it."""

from __future__ import annotations

import pytest
from django.db import connection

from solidaria.accounts.factories import make_member, make_steward
from solidaria.accounts.models import User
from solidaria.core.tests.concurrency import race
from solidaria.governance import services
from solidaria.governance.models import CapitalEntry, ShareOrder
from solidaria.governance.tests.coop_ledger import balance, give_coop_an_account, pay_in
from solidaria.governance.tests.test_platform_factories import World, make_world
from solidaria.ledger import payment_requests
from solidaria.ledger import services as ledger
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Currency, Transfer

SUB = ShareOrder.Kind.SUBSCRIPTION


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    return make_world(member, other_member, steward)


@pytest.fixture
def coop_acc(world: World) -> Account:
    return give_coop_an_account(world.coop, world.steward)


def _held_order(world: World) -> tuple[ShareOrder, Transfer]:
    """ada has 500.00; payments above 100.00 wait for a steward; she accepts a request
    for 3 shares (150.00)."""
    currency = world.coop.currency
    assert currency is not None
    pay_in(world.worker.user, currency, 50_000, key="in-1")
    Currency.objects.filter(pk=currency.pk).update(authorisation_threshold=10_000)
    order = services.shares_request_payment(
        actor=world.steward, kind=SUB, membership=world.worker, share_type=world.share, quantity=3
    )
    transfer = payment_requests.request_accept(
        actor=world.worker.user, request=order.payment_request
    )
    assert transfer.status == Transfer.Status.PENDING
    order.refresh_from_db()
    assert order.entry is None
    assert not CapitalEntry.objects.exists()
    return order, transfer


@pytest.mark.django_db
def test_the_register_entry_is_written_when_the_steward_approves(
    world: World, coop_acc: Account
) -> None:
    # given ada's share payment held for authorisation
    order, transfer = _held_order(world)
    # when a steward approves it
    approved = ledger.transfer_approve(actor=world.steward, transfer=transfer)
    # then the shares are in the register, with the payment
    assert approved.status == Transfer.Status.COMPLETED
    order.refresh_from_db()
    assert order.entry is not None and order.settled_at is not None
    assert order.entry.transfer_id == transfer.pk
    assert (order.entry.kind, order.entry.quantity, order.entry.amount_minor) == (SUB, 3, 15_000)
    assert balance(coop_acc) == 15_000
    # and approving again writes nothing more
    ledger.transfer_approve(actor=world.steward, transfer=transfer)
    assert CapitalEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_refused_payment_enters_nothing(world: World, coop_acc: Account) -> None:
    # given ada's share payment held for authorisation
    order, transfer = _held_order(world)
    # when a steward refuses it
    ledger.transfer_reject(actor=world.steward, transfer=transfer, reason="ask the assembly")
    # then the register and the co-op's account are unchanged
    order.refresh_from_db()
    assert order.entry is None
    assert not CapitalEntry.objects.exists()
    assert balance(coop_acc) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("other", ["approve", "reject"])
def test_two_stewards_deciding_at_once_enter_the_shares_at_most_once(other: str) -> None:
    assert connection.vendor == "postgresql"
    # given ada's share payment held, and two stewards deciding on it at once
    world = make_world(make_member("ada"), make_member("bo"), make_steward("stew"))
    coop_acc = give_coop_an_account(world.coop, world.steward)
    second = make_steward("sam")
    order, transfer = _held_order(world)
    work = [
        lambda: ledger.transfer_approve(actor=world.steward, transfer=transfer.pk),
        (lambda: ledger.transfer_approve(actor=second, transfer=transfer.pk))
        if other == "approve"
        else (lambda: ledger.transfer_reject(actor=second, transfer=transfer.pk, reason="no")),
    ]
    _results, errors = race(*work)
    # then the payment was decided once, and the register agrees with the ledger
    transfer.refresh_from_db()
    order.refresh_from_db()
    if transfer.status == Transfer.Status.COMPLETED:
        assert CapitalEntry.objects.count() == 1
        assert order.entry is not None and order.entry.transfer_id == transfer.pk
        assert balance(coop_acc) == 15_000
    else:
        assert transfer.status == Transfer.Status.REJECTED
        assert not CapitalEntry.objects.exists()
        assert balance(coop_acc) == 0
    assert len(errors) == (0 if other == "approve" else 1)
    assert verify().ok
