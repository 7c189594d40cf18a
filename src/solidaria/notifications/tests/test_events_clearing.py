"""Clearing events: an invoice to confirm goes to the other party, its confirmation or
dispute back; a run proposed and applied reaches each member it touches with their amount."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.clearing import services
from solidaria.ledger.models import Currency
from solidaria.notifications.models import Notification
from solidaria.notifications.render import sentence

pytestmark = pytest.mark.django_db


def _told(kind: str) -> list[tuple[str, str]]:
    return sorted(
        (n.user.username, sentence(n))
        for n in Notification.objects.filter(kind=kind).select_related("user")
    )


@pytest.fixture
def sol(db: None) -> Currency:
    return Currency.objects.create(code="SOL", name="Sol", exponent=2)


def test_an_invoice_is_confirmed_and_another_disputed(member, other_member, sol):
    for _ in range(2):  # the second is a replay of the same request
        first = services.obligation_create(
            actor=member,
            currency=sol,
            debtor=member,
            creditor=other_member,
            amount_minor=7_000,
            reference="INV-1",
            key="inv-1",
        )
    assert _told("clearing.obligation.to_confirm") == [
        ("bo", "ada recorded an invoice of 70.00 SOL between you (INV-1); please confirm it.")
    ]
    services.obligation_confirm(actor=other_member, obligation=first)
    assert _told("clearing.obligation.confirmed") == [
        ("ada", "bo confirmed the invoice of 70.00 SOL between you.")
    ]
    second = services.obligation_create(
        actor=other_member,
        currency=sol,
        debtor=member,
        creditor=other_member,
        amount_minor=500,
        key="inv-2",
    )
    services.obligation_dispute(actor=member, obligation=second, reason="never ordered")
    assert _told("clearing.obligation.disputed") == [
        ("bo", "ada disputed the invoice of 5.00 SOL between you: never ordered")
    ]


def test_a_run_is_proposed_to_and_applied_for_each_member_it_touches(steward, sol):
    people = {name: make_member(name) for name in ("ann", "ben", "cat")}
    make_member("dan")  # not in the cycle
    services.obligations_import(
        actor=steward,
        currency=sol,
        text="debtor,creditor,amount\nann,ben,60\nben,cat,60\ncat,ann,40\n",
        confirm_both=True,
    )
    run = services.run_start(actor=steward, currency=sol)
    run = services.run_propose(
        actor=steward, run=run, deadline=timezone.now() + dt.timedelta(days=3)
    )
    proposed = _told("clearing.run.proposed")
    assert [name for name, _s in proposed] == ["ann", "ben", "cat"]
    assert proposed[0][1] == (
        f"Clearing run {run.pk} in SOL proposes to set off 80.00 SOL of your invoices."
    )
    for person in people.values():
        services.run_respond(actor=person, run=run, answer="accept")
    applied = _told("clearing.run.applied")
    assert [name for name, _s in applied] == ["ann", "ben", "cat"]
    assert "Your set-off notice is ready." in applied[0][1]
