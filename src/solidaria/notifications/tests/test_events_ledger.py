"""Ledger events: the right people get one notification each, and none after a replay."""

from __future__ import annotations

from typing import Any

import pytest

from solidaria.core.permissions import SYSTEM
from solidaria.ledger import services as ledger
from solidaria.ledger.payment_requests import request_accept, request_create, request_decline
from solidaria.notifications.events import payment_recorded
from solidaria.notifications.models import Notification
from solidaria.notifications.render import sentence

pytestmark = pytest.mark.django_db


@pytest.fixture
def sol(steward: Any) -> Any:
    return ledger.currency_create(
        actor=steward,
        code="SOL",
        name="Sol",
        exponent=2,
        default_credit_limit=10_000,
        authorisation_threshold=5_000,
    )


@pytest.fixture
def accounts(sol: Any, member: Any, other_member: Any, steward: Any) -> dict[str, Any]:
    found = {}
    for person in (member, other_member):
        account = ledger.account_open(actor=SYSTEM, currency=sol, owner=person)
        found[person.username] = ledger.account_limits_set(
            actor=steward, account=account, credit_limit=10_000, upper_limit=None, reason="t"
        )
    Notification.objects.all().delete()  # the limits set above told each of them
    return found


def _told(kind: str) -> list[tuple[str, str]]:
    return [
        (n.user.username, sentence(n))
        for n in Notification.objects.filter(kind=kind).select_related("user").order_by("id")
    ]


def test_payment_received_once_and_not_after_a_replay(
    member, accounts, django_capture_on_commit_callbacks
):
    # (on PostgreSQL the one-statement payment tells the payee from a task after commit)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            transfer = ledger.transfer_create(
                actor=member,
                payer=accounts["ada"],
                payee=accounts["bo"],
                amount_minor=1_250,
                memo="Bread",
                key="pay-1",
            )
    assert _told("ledger.payment.received") == [("bo", "ada paid you 12.50 SOL: Bread.")]
    # a retried task tells nobody again
    payment_recorded(transfer_id=transfer.pk, actor_id=member.pk)
    assert Notification.objects.count() == 1


def test_held_payment_tells_the_stewards_and_its_decision_the_payer(member, accounts, steward):
    transfer = ledger.transfer_create(
        actor=member, payer=accounts["ada"], payee=accounts["bo"], amount_minor=6_000, key="k"
    )
    assert _told("ledger.transfer.held") == [
        ("stew", "A payment of 60.00 SOL from ada to bo waits for your authorisation.")
    ]
    assert _told("ledger.payment.received") == []
    ledger.transfer_approve(actor=steward, transfer=transfer)
    ledger.transfer_approve(actor=steward, transfer=transfer)  # approving twice
    assert _told("ledger.transfer.decided") == [
        ("ada", "Your payment of 60.00 SOL to bo was authorised.")
    ]
    assert _told("ledger.payment.received") == [("bo", "ada paid you 60.00 SOL.")]


def test_a_refused_payment_tells_the_payer_why(member, accounts, steward):
    transfer = ledger.transfer_create(
        actor=member, payer=accounts["ada"], payee=accounts["bo"], amount_minor=6_000, key="k"
    )
    ledger.transfer_reject(actor=steward, transfer=transfer, reason="too much at once")
    assert _told("ledger.transfer.decided") == [
        ("ada", "Your payment of 60.00 SOL to bo was refused: too much at once")
    ]
    assert _told("ledger.payment.received") == []


def test_limits_changed_tells_the_holder(accounts, steward):
    ledger.account_limits_set(
        actor=steward, account=accounts["ada"], credit_limit=20_000, upper_limit=None, reason="x"
    )
    assert _told("ledger.limits.changed") == [
        ("ada", "The credit limit of your SOL account is now 200.00 SOL.")
    ]


def test_payment_request_to_pay_then_paid(member, other_member, accounts):
    request = request_create(
        actor=other_member, payee=accounts["bo"], payer=accounts["ada"], amount_minor=300
    )
    assert _told("ledger.request.to_pay") == [("ada", "bo asks you to pay 3.00 SOL.")]
    request_accept(actor=member, request=request)
    request_accept(actor=member, request=request)  # a replayed acceptance
    assert _told("ledger.request.decided") == [("bo", "ada paid your request for 3.00 SOL.")]
    assert _told("ledger.payment.received") == []  # the request's answer says it


def test_payment_request_declined(member, other_member, accounts):
    request = request_create(
        actor=other_member, payee=accounts["bo"], payer=accounts["ada"], amount_minor=300
    )
    request_decline(actor=member, request=request, reason="already paid in cash")
    assert _told("ledger.request.decided") == [
        ("bo", "ada declined your request for 3.00 SOL: already paid in cash")
    ]
