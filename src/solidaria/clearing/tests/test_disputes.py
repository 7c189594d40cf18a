"""A disputed obligation is resolved: a corrected amount one side proposes and the other
confirms, or the creditor withdraws it. Each step is audited as clearing.obligation.*."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import Obligation
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.ledger.models import Currency

pytestmark = pytest.mark.django_db


@pytest.fixture
def sol(db: None) -> Currency:
    return Currency.objects.create(code="SOL", name="Sol", exponent=2)


@pytest.fixture
def disputed(member: User, other_member: User, sol: Currency) -> Obligation:
    """ada owes bo 100.00, both confirmed, then bo disputes it."""
    ob = services.obligation_create(
        actor=member,
        currency=sol,
        debtor=member,
        creditor=other_member,
        amount_minor=10_000,
        key="k",
    )
    services.obligation_confirm(actor=other_member, obligation=ob)
    return services.obligation_dispute(actor=other_member, obligation=ob, reason="it was 120")


def _verbs(ob: Obligation) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="clearing.obligation", object_id=str(ob.pk))
        .order_by("pk")
        .values_list("verb", flat=True)
    )


def test_a_corrected_amount_confirmed_by_the_other_side_replaces_the_amount(
    member: User, other_member: User, disputed: Obligation
) -> None:
    # when bo proposes 120.00 and ada confirms it
    services.obligation_correction_propose(
        actor=other_member, obligation=disputed, amount_minor=12_000, reason="delivery note"
    )
    ob = services.obligation_correction_confirm(actor=member, obligation=disputed)
    # then the obligation is confirmed again at the corrected amount and takes part in clearing
    assert (ob.amount_minor, ob.remaining_minor, ob.status) == (12_000, 12_000, "confirmed")
    assert ob.proposed_amount_minor is None and ob.is_confirmed_by_both
    assert _verbs(ob)[-2:] == ["clearing.obligation.amend", "clearing.obligation.correct"]
    event = AuditEvent.objects.get(verb="clearing.obligation.correct")
    assert event.data == {"amount_before": 10_000, "amount": 12_000}


def test_the_proposer_cannot_confirm_their_own_correction(
    member: User, other_member: User, disputed: Obligation
) -> None:
    services.obligation_correction_propose(actor=member, obligation=disputed, amount_minor=9_000)
    with pytest.raises(Conflict, match="other side"):
        services.obligation_correction_confirm(actor=member, obligation=disputed)
    ob = Obligation.objects.get(pk=disputed.pk)
    assert (ob.amount_minor, ob.status, ob.proposed_amount_minor) == (10_000, "disputed", 9_000)


def test_a_correction_needs_a_disputed_obligation_a_party_and_a_new_amount(
    member: User, other_member: User, sol: Currency, disputed: Obligation
) -> None:
    carla = make_member("carla")
    with pytest.raises(PermissionDenied):
        services.obligation_correction_propose(actor=carla, obligation=disputed, amount_minor=1)
    with pytest.raises(ValidationFailed, match="already has"):
        services.obligation_correction_propose(
            actor=member, obligation=disputed, amount_minor=10_000
        )
    with pytest.raises(ValidationFailed, match="more than zero"):
        services.obligation_correction_propose(actor=member, obligation=disputed, amount_minor=0)
    with pytest.raises(Conflict, match="no corrected amount"):
        services.obligation_correction_confirm(actor=member, obligation=disputed)
    fresh = services.obligation_create(
        actor=member, currency=sol, debtor=member, creditor=other_member, amount_minor=5, key="f"
    )
    with pytest.raises(Conflict, match="only a disputed"):
        services.obligation_correction_propose(actor=member, obligation=fresh, amount_minor=7)


def test_a_correction_cannot_go_below_what_was_already_set_off(
    steward: User, member: User, other_member: User, sol: Currency
) -> None:
    # given ada owes bo 100, bo owes ada 30: a run sets off 30 of each
    services.obligations_import(
        actor=steward,
        currency=sol,
        text="debtor,creditor,amount\nada,bo,100\nbo,ada,30\n",
        confirm_both=True,
    )
    run = services.run_start(actor=steward, currency=sol)
    services.run_propose(actor=steward, run=run, deadline=timezone.now() + dt.timedelta(days=1))
    for user in User.objects.filter(pk__in=queries.affected_member_ids(run)):
        services.run_respond(actor=user, run=run, answer="accept")
    ob = Obligation.objects.get(debtor=member)
    assert ob.remaining_minor == 7_000
    services.obligation_dispute(actor=member, obligation=ob, reason="only 50")
    # when ada proposes 20.00 (less than the 30.00 set off), it is refused; 50.00 is fine
    with pytest.raises(ValidationFailed, match="30.00 of it was already set off"):
        services.obligation_correction_propose(actor=member, obligation=ob, amount_minor=2_000)
    services.obligation_correction_propose(actor=member, obligation=ob, amount_minor=5_000)
    ob = services.obligation_correction_confirm(actor=other_member, obligation=ob)
    # then what is left is the corrected amount less what was set off
    assert (ob.amount_minor, ob.remaining_minor) == (5_000, 2_000)
    assert ob.remaining_minor == ob.amount_minor - sum(s.amount_minor for s in ob.setoffs.all())


def test_only_the_creditor_withdraws_and_a_withdrawn_obligation_leaves_clearing(
    steward: User, member: User, other_member: User, sol: Currency, disputed: Obligation
) -> None:
    with pytest.raises(PermissionDenied, match="Only the creditor"):
        services.obligation_withdraw(actor=member, obligation=disputed, reason="I never got it")
    with pytest.raises(ValidationFailed, match="why"):
        services.obligation_withdraw(actor=other_member, obligation=disputed, reason="")
    ob = services.obligation_withdraw(actor=other_member, obligation=disputed, reason="settled")
    again = services.obligation_withdraw(actor=other_member, obligation=disputed, reason="again")
    assert ob.status == again.status == Obligation.Status.CANCELLED
    assert _verbs(ob).count("clearing.obligation.withdraw") == 1
    with pytest.raises(Conflict):
        services.obligation_dispute(actor=member, obligation=ob, reason="x")
    run = services.run_start(actor=steward, currency=sol)
    assert run.obligation_count == 0


def test_confirming_as_it_is_also_resolves_a_dispute_and_drops_a_pending_correction(
    member: User, other_member: User, disputed: Obligation
) -> None:
    services.obligation_correction_propose(actor=member, obligation=disputed, amount_minor=9_000)
    services.obligation_confirm(actor=member, obligation=disputed)
    ob = services.obligation_confirm(actor=other_member, obligation=disputed)
    assert (ob.status, ob.amount_minor, ob.proposed_amount_minor) == ("confirmed", 10_000, None)
