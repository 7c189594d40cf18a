"""The seams of the new flows (issues #12 and #13): co-op applications and shares,
organisation accounts, reversed payments, claims to run an organisation, and the
clearing run and invoice events. Each: the right people told, once each, nobody again
after a replay, in one translated sentence."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.clearing import services as clearing
from solidaria.clearing.models import ClearingRun, Obligation
from solidaria.core.errors import Conflict
from solidaria.core.permissions import SYSTEM
from solidaria.directory import operators
from solidaria.directory.factories import make_organisation
from solidaria.governance import services as governance
from solidaria.governance.models import Poll, ShareOrder
from solidaria.governance.services import setup
from solidaria.governance.tests.coop_ledger import give_coop_an_account, pay_in
from solidaria.governance.tests.test_platform_factories import BYLAWS, in_a_week, make_world
from solidaria.ledger import credit, payment_requests
from solidaria.ledger import services as ledger
from solidaria.ledger.locks import network_account
from solidaria.ledger.models import CreditPolicy, Currency
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


# ---------------------------------------------------------------- governance


def test_a_coop_application_reaches_its_stewards_and_the_decision_the_applicant(
    member: User, other_member: User, steward: User
) -> None:
    # given the co-op Bread & Roses, with bo made one of its stewards
    world = make_world(member, other_member, steward)
    setup.coop_steward_set(
        actor=steward, membership=world.consumer, is_steward=True, reason="bakes on Mondays"
    )
    # when carol applies
    applied = governance.membership_apply(
        actor=world.stranger, coop=world.coop, member_class=world.consumers
    )
    # then the co-op's stewards hear it, once each
    assert _told("governance.membership.applied") == [
        ("bo", "carol applied to join Bread & Roses.")
    ]
    # when a steward declines it, and declines again (a replay is refused)
    governance.membership_decide(
        actor=steward, membership=applied, is_approved=False, reason="apply as a worker"
    )
    with pytest.raises(Conflict):
        governance.membership_decide(actor=steward, membership=applied, is_approved=False)
    # then carol hears the decision once, with the reason
    assert _told("governance.membership.decided") == [
        ("carol", "Your application to Bread & Roses was not accepted: apply as a worker")
    ]
    # and an approved application tells her so
    again = governance.membership_apply(
        actor=world.stranger, coop=world.coop, member_class=world.workers
    )
    governance.membership_decide(actor=other_member, membership=again, is_approved=True)
    assert ("carol", "Welcome: you are now a member of Bread & Roses.") in _told(
        "governance.membership.decided"
    )
    assert len(_told("governance.membership.decided")) == 2


def test_an_application_decided_by_the_members_poll_tells_the_applicant(
    member: User, other_member: User, steward: User
) -> None:
    # given carol's application put to the co-op's members
    world = make_world(member, other_member, steward)
    applied = governance.membership_apply(
        actor=world.stranger, coop=world.coop, member_class=world.consumers
    )
    poll = governance.poll_create(
        actor=steward,
        coop=world.coop,
        kind=Poll.Kind.PROPOSAL,
        title="Admit carol",
        closes_at=in_a_week(),
        admission_for=applied,
    )
    # when both members vote yes and the poll closes (closing again is refused)
    governance.vote_cast(actor=member, poll=poll, choice={"vote": "yes"})
    governance.vote_cast(actor=other_member, poll=poll, choice={"vote": "yes"})
    governance.poll_close(actor=steward, poll=poll)
    with pytest.raises(Conflict):
        governance.poll_close(actor=steward, poll=poll)
    # then carol hears she is a member, once
    assert _told("governance.membership.decided") == [
        ("carol", "Welcome: you are now a member of Bread & Roses.")
    ]


def test_shares_paid_on_the_ledger_tell_the_member_once(
    member: User, other_member: User, steward: User
) -> None:
    # given ada, a worker of the co-op, with 500.00 on her account
    world = make_world(member, other_member, steward)
    give_coop_an_account(world.coop, steward)
    assert world.coop.currency is not None
    pay_in(member, world.coop.currency, 50_000, key="in-1")
    # when she pays 2 shares now, twice with the same key
    for _ in range(2):
        governance.shares_pay_now(
            actor=member,
            kind=ShareOrder.Kind.SUBSCRIPTION,
            membership=world.worker,
            share_type=world.share,
            quantity=2,
            key="buy-1",
        )
    # and pays a request for 1 more, accepting it twice
    order = governance.shares_request_payment(
        actor=steward,
        kind=ShareOrder.Kind.SUBSCRIPTION,
        membership=world.worker,
        share_type=world.share,
        quantity=1,
    )
    for _ in range(2):
        payment_requests.request_accept(actor=member, request=order.payment_request)
    # then she is told of each register entry once
    code = world.coop.currency.code
    assert _told("governance.shares.entered") == [
        (
            "ada",
            f"1 A shares of Bread & Roses, paid 50.00 {code}, are in the register in your name.",
        ),
        (
            "ada",
            f"2 A shares of Bread & Roses, paid 100.00 {code}, are in the register in your name.",
        ),
    ]


ROWS = [
    governance.PatronageRow("ada", hours_minutes=1200 * 60, purchases_minor=50_000),
    governance.PatronageRow("bo", hours_minutes=0, purchases_minor=250_000),
]


def test_an_allocation_applied_by_the_stewards_tells_each_member_their_part(
    member: User, other_member: User, steward: User
) -> None:
    # given a run sharing 10000.01 (ada 4500.01, bo 1500.00; 30 % of each paid in cash)
    world = make_world(member, other_member, steward)
    governance.bylaws_create(
        actor=steward, coop=world.coop, data=BYLAWS, effective_from=dt.date(2025, 1, 1)
    )
    run = governance.allocation_run_create(
        actor=steward, coop=world.coop, year=2025, surplus_minor=1_000_001, patronage=ROWS
    )
    # when a steward accepts it, twice
    for _ in range(2):
        governance.allocation_accept(actor=steward, run=run)
    # then each member hears their part once
    assert _told("governance.allocation.applied") == [
        (
            "ada",
            "The stewards of Bread & Roses applied the 2025 surplus allocation: your part is "
            "4500.01 TST (1350.01 TST paid to your account, 3150.00 TST credited to your "
            "capital).",
        ),
        (
            "bo",
            "The stewards of Bread & Roses applied the 2025 surplus allocation: your part is "
            "1500.00 TST (450.00 TST paid to your account, 1050.00 TST credited to your "
            "capital).",
        ),
    ]


def test_an_allocation_accepted_by_the_assembly_says_so(
    member: User, other_member: User, steward: User, django_capture_on_commit_callbacks: Any
) -> None:
    # given a run the bylaws leave to the general assembly
    world = make_world(member, other_member, steward)
    bylaws = governance.bylaws_create(
        actor=steward,
        coop=world.coop,
        data={
            **BYLAWS,
            "version": "2025-assembly",
            "acceptance": "general-assembly",
            "assembly_quorum": "50",
            "assembly_threshold": "50",
        },
        effective_from=dt.date(2025, 1, 1),
    )
    run = governance.allocation_run_create(
        actor=steward,
        coop=world.coop,
        year=2025,
        surplus_minor=1_000_001,
        patronage=ROWS,
        bylaws=bylaws,
    )
    # when both members vote for it and the poll closes
    poll = governance.allocation_poll_open(actor=steward, run=run, closes_at=in_a_week())
    governance.vote_cast(actor=member, poll=poll, choice={"vote": "yes"})
    governance.vote_cast(actor=other_member, poll=poll, choice={"vote": "yes"})
    with django_capture_on_commit_callbacks(execute=True):
        governance.poll_close(actor=steward, poll=poll)
    assert governance.allocation_apply_by_poll(poll=poll) is not None  # a retry
    # then each member hears it was the assembly's decision, once
    told = _told("governance.allocation.applied")
    assert [name for name, _s in told] == ["ada", "bo"]
    assert told[0][1].startswith(
        "The general assembly of Bread & Roses accepted the 2025 surplus allocation: your "
        "part is 4500.01 TST"
    )


# ---------------------------------------------------------------- ledger


def _operator_of(name: str, person: User, steward: User):  # type: ignore[no-untyped-def]
    org = make_organisation(name)
    claim = operators.operator_claim(actor=person, org_id=org.pk, reason="I work there")
    operators.operator_decide(actor=steward, operator_id=claim.pk, decision="confirm")
    return org


def test_an_account_request_reaches_the_stewards_and_its_decision_the_requester(
    member: User, steward: User, sol: Currency
) -> None:
    # given ada runs two organisations
    bakery = _operator_of("Hill Bakery", member, steward)
    mill = _operator_of("Old Mill", member, steward)
    # when she asks for an account for each (the first twice)
    first = credit.account_request_create(actor=member, currency=sol, organisation=bakery)
    assert credit.account_request_create(actor=member, currency=sol, organisation=bakery) == first
    second = credit.account_request_create(actor=member, currency=sol, organisation=mill)
    # then the currency's stewards hear of each once
    assert _told("ledger.account_request.received") == [
        ("stew", "ada asks for a SOL account for Hill Bakery."),
        ("stew", "ada asks for a SOL account for Old Mill."),
    ]
    # when a steward approves one (twice) and declines the other (twice)
    for _ in range(2):
        credit.account_request_approve(actor=steward, request=first)
        credit.account_request_decline(actor=steward, request=second, reason="same address")
    # then ada hears each decision once
    assert _told("ledger.account_request.decided") == [
        ("ada", "The SOL account of Hill Bakery is open."),
        ("ada", "The SOL account request for Old Mill was declined: same address"),
    ]


def test_a_reversed_payment_tells_payer_and_payee(
    member: User, other_member: User, steward: User, sol: Currency
) -> None:
    # given ada paid bo 20.00
    ada = ledger.account_open(actor=SYSTEM, currency=sol, owner=member)
    bo = ledger.account_open(actor=SYSTEM, currency=sol, owner=other_member)
    ledger.transfer_create(
        actor=SYSTEM, payer=network_account(sol), payee=ada, amount_minor=5_000, key="in"
    )
    paid = ledger.transfer_create(
        actor=member, payer=ada, payee=bo, amount_minor=2_000, memo="bread", key="pay"
    )
    # when a steward reverses it, and the request is replayed
    for _ in range(2):
        ledger.transfer_reverse(actor=steward, transfer=paid, reason="paid twice", key="rev")
    # then both hear it once
    said = f"The payment of 20.00 SOL from {ada.name or ada} to {bo.name or bo} was reversed: "
    assert _told("ledger.payment.reversed") == [
        ("ada", said + "paid twice"),
        ("bo", said + "paid twice"),
    ]


def test_a_payee_refunding_is_not_told_of_their_own_act(
    member: User, other_member: User, sol: Currency
) -> None:
    ada = ledger.account_open(actor=SYSTEM, currency=sol, owner=member)
    bo = ledger.account_open(actor=SYSTEM, currency=sol, owner=other_member)
    ledger.transfer_create(
        actor=SYSTEM, payer=network_account(sol), payee=ada, amount_minor=5_000, key="in"
    )
    paid = ledger.transfer_create(actor=member, payer=ada, payee=bo, amount_minor=2_000, key="p")
    ledger.transfer_reverse(actor=other_member, transfer=paid, reason="refund", key="rev")
    assert [name for name, _s in _told("ledger.payment.reversed")] == ["ada"]


# ---------------------------------------------------------------- directory


def test_a_claim_reaches_the_network_stewards_and_its_decision_the_claimant(
    member: User, other_member: User, steward: User
) -> None:
    # given two confirmed organisations
    bakery = make_organisation("Hill Bakery")
    mill = make_organisation("Old Mill")
    # when ada claims one and bo the other
    ada_claim = operators.operator_claim(actor=member, org_id=bakery.pk, reason="I bake")
    bo_claim = operators.operator_claim(actor=other_member, org_id=mill.pk, reason="I mill")
    # then the network stewards hear of each
    assert _told("directory.operator.claimed") == [
        ("stew", "ada says they run Hill Bakery."),
        ("stew", "bo says they run Old Mill."),
    ]
    # when a steward confirms one and declines the other, each twice
    for _ in range(2):
        operators.operator_decide(actor=steward, operator_id=ada_claim.pk, decision="confirm")
        operators.operator_decide(
            actor=steward, operator_id=bo_claim.pk, decision="decline", reason="not on the list"
        )
    # then each claimant hears once
    assert _told("directory.operator.decided") == [
        ("ada", "You are confirmed as running Hill Bakery."),
        ("bo", "Your claim to run Old Mill was declined: not on the list"),
    ]


# ---------------------------------------------------------------- clearing

DAY = dt.timedelta(days=1)


def _cycle_proposed(steward: User, sol: Currency, *, rule: str = "no_objection"):  # type: ignore[no-untyped-def]
    """ada→bo→carla→ada, 60.00 each, confirmed by both, proposed by the steward."""
    people = {n: make_member(n) for n in ("ada", "bo", "carla")}
    clearing.obligations_import(
        actor=steward,
        currency=sol,
        text="debtor,creditor,amount\nada,bo,60\nbo,carla,60\ncarla,ada,60\n",
        confirm_both=True,
    )
    with override_settings(SOLIDARIA={**settings.SOLIDARIA, "CLEARING_ACCEPTANCE": rule}):
        run = clearing.run_start(actor=steward, currency=sol)
        run = clearing.run_propose(actor=steward, run=run, deadline=timezone.now() + 2 * DAY)
    return people, run


def test_an_objection_tells_the_steward_who_started_the_run(
    steward: User, sol: Currency, django_capture_on_commit_callbacks: Any
) -> None:
    people, run = _cycle_proposed(steward, sol)
    # when carla objects, and her answer is replayed
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            standing = clearing.run_respond(
                actor=people["carla"], run=run, answer="object", reason="INV-7 is wrong"
            )
    # then the steward hears it once, and which run replaces it
    assert _told("clearing.run.changed") == [
        (
            "stew",
            f"carla objected to clearing run {run.pk} in SOL: INV-7 is wrong. "
            f"Run {standing.pk} replaces it without them.",
        )
    ]


def test_a_run_that_lapses_tells_the_steward_once(steward: User, sol: Currency) -> None:
    people, run = _cycle_proposed(steward, sol, rule="all_accept")
    clearing.run_respond(actor=people["ada"], run=run, answer="accept")
    # when the deadline passes (apply-due runs twice)
    for _ in range(2):
        clearing.runs_apply_due(now=timezone.now() + 3 * DAY)
    assert _told("clearing.run.changed") == [
        (
            "stew",
            f"Clearing run {run.pk} in SOL lapsed: not every member accepted it by the deadline.",
        )
    ]


def test_a_run_recomputed_because_an_invoice_changed_tells_the_steward(
    steward: User, sol: Currency
) -> None:
    people, run = _cycle_proposed(steward, sol)
    # given bo disputes an invoice of the run before it is applied
    first = Obligation.objects.get(debtor=people["ada"])
    clearing.obligation_dispute(actor=people["bo"], obligation=first, reason="short")
    # when the deadline passes (apply-due runs twice)
    report = clearing.runs_apply_due(now=timezone.now() + 3 * DAY)
    clearing.runs_apply_due(now=timezone.now() + 3 * DAY)
    # then the run was replaced, and the steward hears it once, naming its successor
    assert report.recomputed == [run.pk]
    successor = ClearingRun.objects.get(previous=run)
    assert _told("clearing.run.changed") == [
        (
            "stew",
            f"An invoice in clearing run {run.pk} in SOL changed before it could be applied: "
            f"run {successor.pk} replaces it.",
        )
    ]


def test_a_correction_and_a_withdrawal_reach_the_other_side(
    member: User, other_member: User, sol: Currency
) -> None:
    # given ada owes bo 100.00, which bo disputes
    ob = clearing.obligation_create(
        actor=member,
        currency=sol,
        debtor=member,
        creditor=other_member,
        amount_minor=10_000,
        key="k",
    )
    clearing.obligation_confirm(actor=other_member, obligation=ob)
    clearing.obligation_dispute(actor=other_member, obligation=ob, reason="it was 120")
    # when bo proposes 120.00 and ada confirms it
    clearing.obligation_correction_propose(
        actor=other_member, obligation=ob, amount_minor=12_000, reason="delivery note"
    )
    clearing.obligation_correction_confirm(actor=member, obligation=ob)
    with pytest.raises(Conflict):  # a replay of the confirmation
        clearing.obligation_correction_confirm(actor=member, obligation=ob)
    # then each hears the other's step once
    assert _told("clearing.obligation.corrected") == [
        (
            "ada",
            "bo proposes to correct the invoice between you to 120.00 SOL (delivery note); "
            "please confirm it.",
        ),
        ("bo", "ada confirmed the corrected amount of 120.00 SOL of the invoice between you."),
    ]
    # when bo disputes again and withdraws it, twice
    clearing.obligation_dispute(actor=other_member, obligation=ob, reason="returned")
    for _ in range(2):
        clearing.obligation_withdraw(actor=other_member, obligation=ob, reason="goods returned")
    assert _told("clearing.obligation.withdrawn") == [
        ("ada", "bo withdrew the invoice of 120.00 SOL between you: goods returned")
    ]


def test_an_invoice_paid_on_the_ledger_tells_the_creditor(
    member: User, other_member: User, steward: User
) -> None:
    # given ada owes bo 100.00 in a currency where both have a credit line
    sol = ledger.currency_create(
        actor=steward,
        code="SOL",
        name="Sol",
        default_credit_limit=50_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    for user in (member, other_member):
        ledger.account_open(actor=user, currency=sol)
    ob = clearing.obligation_create(
        actor=member,
        currency=sol,
        debtor=member,
        creditor=other_member,
        amount_minor=10_000,
        key="o",
    )
    clearing.obligation_confirm(actor=other_member, obligation=ob)
    # when ada pays 40.00 (the request replayed) and then the rest
    for _ in range(2):
        clearing.obligation_settle(actor=member, obligation=ob, amount_minor=4_000, key="a")
    clearing.obligation_settle(actor=member, obligation=ob, amount_minor=6_000, key="b")
    # then bo hears of each payment once
    assert _told("clearing.obligation.settled") == [
        (
            "bo",
            "ada paid 40.00 SOL on the ledger of the invoice of 100.00 SOL; 60.00 SOL is left to pay.",
        ),
        ("bo", "ada paid 60.00 SOL on the ledger: the invoice of 100.00 SOL is paid."),
    ]
