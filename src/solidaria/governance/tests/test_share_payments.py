"""Shares paid on the ledger: paid now or through a payment request, the register entry
written with the payment, limits checked again when the payment settles, refusals that
change nothing."""

from __future__ import annotations

import pytest

from solidaria.accounts.models import User
from solidaria.core.errors import PermissionDenied, ValidationFailed
from solidaria.governance import queries, services
from solidaria.governance.models import CapitalEntry, ShareOrder
from solidaria.governance.tests.coop_ledger import (
    balance,
    give_coop_an_account,
    member_account,
    pay_in,
    snapshot,
)
from solidaria.governance.tests.test_platform_factories import World, make_world
from solidaria.ledger import payment_requests
from solidaria.ledger.models import Account, PaymentRequest, Transfer

SUB = ShareOrder.Kind.SUBSCRIPTION
RED = ShareOrder.Kind.REDEMPTION


@pytest.fixture
def world(member: User, other_member: User, steward: User) -> World:
    return make_world(member, other_member, steward)


@pytest.fixture
def coop_acc(world: World) -> Account:
    return give_coop_an_account(world.coop, world.steward)


def _currency(world: World) -> object:
    assert world.coop.currency is not None
    return world.coop.currency


@pytest.mark.django_db
def test_paying_now_enters_the_shares_with_the_payment(world: World, coop_acc: Account) -> None:
    # given ada (share A: 50.00 each) with 200.00 on her account
    ada = pay_in(world.worker.user, world.coop.currency, 20_000, key="in-1")  # type: ignore[arg-type]
    # when she subscribes 2 shares and pays now
    entry = services.shares_pay_now(
        actor=world.worker.user,
        kind=SUB,
        membership=world.worker,
        share_type=world.share,
        quantity=2,
        key="buy-1",
    )
    # then the register and the ledger both show it, linked
    assert (entry.kind, entry.quantity, entry.amount_minor) == ("subscription", 2, 10_000)
    assert entry.transfer is not None
    assert (entry.transfer.payer_id, entry.transfer.payee_id) == (ada.pk, coop_acc.pk)
    assert entry.transfer.amount_minor == 10_000
    assert entry.transfer.category == "shares"
    assert balance(ada) == 10_000
    assert balance(coop_acc) == 10_000
    assert queries.holding(world.worker, world.share) == 2
    # and the same key again moves nothing more
    again = services.shares_pay_now(
        actor=world.worker.user,
        kind=SUB,
        membership=world.worker,
        share_type=world.share,
        quantity=2,
        key="buy-1",
    )
    assert again.pk == entry.pk
    assert Transfer.objects.filter(category="shares").count() == 1
    assert balance(coop_acc) == 10_000


@pytest.mark.django_db
def test_paying_now_without_the_money_is_refused_and_changes_nothing(
    world: World, coop_acc: Account
) -> None:
    # given ada's account at limit 0 holding 30.00
    pay_in(world.worker.user, world.coop.currency, 3_000, key="in-1")  # type: ignore[arg-type]
    before = snapshot()
    # when she tries to pay 50.00 for one share
    with pytest.raises(ValidationFailed) as refused:
        services.shares_pay_now(
            actor=world.worker.user,
            kind=SUB,
            membership=world.worker,
            share_type=world.share,
            quantity=1,
            key="buy-1",
        )
    # then the ledger's reason says why, and nothing was written
    assert "below" in refused.value.message
    assert snapshot() == before


@pytest.mark.django_db
def test_a_payment_request_enters_the_shares_when_it_is_paid(
    world: World, coop_acc: Account
) -> None:
    # given ada with 500.00
    ada = pay_in(world.worker.user, world.coop.currency, 50_000, key="in-1")  # type: ignore[arg-type]
    # when a steward asks her to pay for 3 shares
    order = services.shares_request_payment(
        actor=world.steward, kind=SUB, membership=world.worker, share_type=world.share, quantity=3
    )
    # then a request for 150.00 waits in her account, and the register is unchanged
    req = order.payment_request
    assert (req.payer_id, req.payee_id, req.amount_minor) == (ada.pk, coop_acc.pk, 15_000)
    assert req.status == PaymentRequest.Status.OPEN
    assert not CapitalEntry.objects.exists()
    assert list(queries.open_share_orders(world.coop)) == [order]
    # when she accepts it
    transfer = payment_requests.request_accept(actor=world.worker.user, request=req)
    # then the register entry was written with the payment
    order.refresh_from_db()
    assert order.entry is not None and order.settled_at is not None
    assert order.entry.transfer_id == transfer.pk
    assert (order.entry.quantity, order.entry.amount_minor) == (3, 15_000)
    assert balance(coop_acc) == 15_000
    assert list(queries.open_share_orders(world.coop)) == []
    # and accepting again changes nothing
    assert payment_requests.request_accept(actor=world.worker.user, request=req).pk == transfer.pk
    assert CapitalEntry.objects.count() == 1


@pytest.mark.django_db
def test_a_declined_request_enters_nothing(world: World, coop_acc: Account) -> None:
    order = services.shares_request_payment(
        actor=world.worker.user,
        kind=SUB,
        membership=world.worker,
        share_type=world.share,
        quantity=1,
    )
    payment_requests.request_decline(actor=world.worker.user, request=order.payment_request)
    order.refresh_from_db()
    assert order.entry is None
    assert not CapitalEntry.objects.exists()
    assert list(queries.open_share_orders(world.coop)) == []


@pytest.mark.django_db
def test_limits_are_checked_again_when_the_payment_settles(world: World, coop_acc: Account) -> None:
    # given ada (at most 20 shares) asked to pay for 15, and with money for 21
    pay_in(world.worker.user, world.coop.currency, 21 * 5_000, key="in-1")  # type: ignore[arg-type]
    order = services.shares_request_payment(
        actor=world.worker.user,
        kind=SUB,
        membership=world.worker,
        share_type=world.share,
        quantity=15,
    )
    # when asking for 6 more while 15 are open
    with pytest.raises(ValidationFailed) as too_many:
        services.shares_request_payment(
            actor=world.worker.user,
            kind=SUB,
            membership=world.worker,
            share_type=world.share,
            quantity=6,
        )
    # then the open order counts
    assert "21" in too_many.value.message
    # when she pays 6 now, and then accepts the request for 15
    services.shares_pay_now(
        actor=world.worker.user,
        kind=SUB,
        membership=world.worker,
        share_type=world.share,
        quantity=6,
        key="buy-6",
    )
    before = snapshot()
    with pytest.raises(ValidationFailed):
        payment_requests.request_accept(actor=world.worker.user, request=order.payment_request)
    # then the payment is refused with the register's reason: nothing moved
    assert snapshot() == before
    order.payment_request.refresh_from_db()
    assert order.payment_request.status == PaymentRequest.Status.OPEN
    assert queries.holding(world.worker, world.share) == 6


def _bo_buys_two_shares(world: World) -> None:
    """bo pays 10 000 in and buys 2 shares: the co-op account then holds 10 000."""
    pay_in(world.consumer.user, world.coop.currency, 10_000, key="in-bo")  # type: ignore[arg-type]
    services.shares_pay_now(
        actor=world.consumer.user,
        kind=SUB,
        membership=world.consumer,
        share_type=world.share,
        quantity=2,
        key="bo-2",
    )


@pytest.mark.django_db
def test_a_coop_without_money_cannot_pay_shares_back(world: World) -> None:
    # given ada's 4 shares recorded before the co-op had an account
    services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=4
    )
    coop_acc = give_coop_an_account(world.coop, world.steward)
    before = snapshot()
    # when a steward pays one back now from the empty co-op account (limit 0)
    with pytest.raises(ValidationFailed) as refused:
        services.shares_pay_now(
            actor=world.steward,
            kind=RED,
            membership=world.worker,
            share_type=world.share,
            quantity=1,
            key="back-1",
        )
    # then the ledger refuses with its reason, and nothing changed
    assert "below" in refused.value.message
    assert snapshot() == before
    # when bo pays for 2 shares, the co-op can pay ada's one back
    _bo_buys_two_shares(world)
    entry = services.shares_pay_now(
        actor=world.steward,
        kind=RED,
        membership=world.worker,
        share_type=world.share,
        quantity=1,
        key="back-1",
    )
    assert (entry.kind, entry.quantity, entry.amount_minor) == ("redemption", -1, -5_000)
    assert balance(coop_acc) == 5_000
    assert balance(member_account(world.worker.user, world.coop.currency)) == 5_000  # type: ignore[arg-type]
    assert queries.holding(world.worker, world.share) == 3


@pytest.mark.django_db
def test_a_member_asks_to_redeem_and_the_coop_pays_when_it_accepts(world: World) -> None:
    services.shares_subscribe(
        actor=world.steward, membership=world.worker, share_type=world.share, quantity=4
    )
    coop_acc = give_coop_an_account(world.coop, world.steward)
    _bo_buys_two_shares(world)
    # when ada asks for 2 shares back
    order = services.shares_request_payment(
        actor=world.worker.user,
        kind=RED,
        membership=world.worker,
        share_type=world.share,
        quantity=2,
    )
    assert order.payment_request.payer_id == coop_acc.pk
    # and the co-op's operator (who asked for its account) accepts
    payment_requests.request_accept(actor=world.steward, request=order.payment_request)
    order.refresh_from_db()
    assert order.entry is not None and order.entry.quantity == -2
    assert balance(coop_acc) == 0
    assert queries.holding(world.worker, world.share) == 2


@pytest.mark.django_db
def test_others_cannot_order_a_members_shares_and_nothing_changes(
    world: World, coop_acc: Account
) -> None:
    pay_in(world.worker.user, world.coop.currency, 20_000, key="in-1")  # type: ignore[arg-type]
    before = snapshot()
    # bo, a member of the co-op, for ada's membership
    with pytest.raises(PermissionDenied):
        services.shares_request_payment(
            actor=world.consumer.user,
            kind=SUB,
            membership=world.worker,
            share_type=world.share,
            quantity=1,
        )
    # a member paying a redemption now (a steward's decision)
    with pytest.raises(PermissionDenied):
        services.shares_pay_now(
            actor=world.worker.user,
            kind=RED,
            membership=world.worker,
            share_type=world.share,
            quantity=1,
            key="x",
        )
    # a steward paying now from ada's account: the ledger refuses
    with pytest.raises(PermissionDenied):
        services.shares_pay_now(
            actor=world.steward,
            kind=SUB,
            membership=world.worker,
            share_type=world.share,
            quantity=1,
            key="y",
        )
    assert snapshot() == before


@pytest.mark.django_db
def test_recording_without_payment_is_refused_once_the_coop_has_an_account(
    world: World, coop_acc: Account
) -> None:
    before = snapshot()
    with pytest.raises(ValidationFailed) as refused:
        services.shares_subscribe(
            actor=world.steward, membership=world.worker, share_type=world.share, quantity=1
        )
    assert "ledger" in refused.value.message
    assert snapshot() == before


@pytest.mark.django_db
def test_a_coop_without_an_account_says_so(world: World) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.shares_request_payment(
            actor=world.worker.user,
            kind=SUB,
            membership=world.worker,
            share_type=world.share,
            quantity=1,
        )
    assert "account" in refused.value.message
