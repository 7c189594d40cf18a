"""What clearing left is paid on the mutual-credit ledger: the debtor pays the creditor in
the chosen currency within their credit line; the obligation records it in the same
transaction; a repeated key pays once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.clearing import queries, services
from solidaria.clearing.models import ClearingRun, Obligation, Settlement
from solidaria.core.errors import Conflict, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.ledger import services as ledger
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, CreditPolicy, Currency, Transfer

pytestmark = pytest.mark.django_db


def _currency(steward: User, code: str, **kw: object) -> Currency:
    return ledger.currency_create(
        actor=steward,
        code=code,
        name=code,
        default_credit_limit=kw.pop("limit", 50_000),  # type: ignore[arg-type]
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
        **kw,
    )


@pytest.fixture
def sol(steward: User, member: User, other_member: User) -> Currency:
    cur = _currency(steward, "SOL")
    for user in (member, other_member):
        ledger.account_open(actor=user, currency=cur)
    return cur


@pytest.fixture
def owed(member: User, other_member: User, sol: Currency) -> Obligation:
    """ada owes bo 100.00, confirmed by both."""
    ob = services.obligation_create(
        actor=member,
        currency=sol,
        debtor=member,
        creditor=other_member,
        amount_minor=10_000,
        key="o",
    )
    return services.obligation_confirm(actor=other_member, obligation=ob)


def _balance(user: User, currency: Currency) -> int:
    return Account.objects.get(owner=user, currency=currency).balance


def test_the_debtor_pays_part_then_the_rest_and_the_obligation_is_settled(
    member: User, other_member: User, sol: Currency, owed: Obligation
) -> None:
    first = services.obligation_settle(actor=member, obligation=owed, amount_minor=4_000, key="a")
    owed.refresh_from_db()
    assert (owed.remaining_minor, owed.status) == (6_000, "confirmed")
    assert (_balance(member, sol), _balance(other_member, sol)) == (-4_000, 4_000)
    transfer = Transfer.objects.get(pk=first.transfer_id)
    assert (transfer.payer.owner, transfer.payee.owner, transfer.amount_minor) == (
        member,
        other_member,
        4_000,
    )
    assert transfer.category == "clearing"
    services.obligation_settle(actor=member, obligation=owed, amount_minor=6_000, key="b")
    owed.refresh_from_db()
    assert (owed.remaining_minor, owed.status, owed.settlement_currency) == (0, "settled", sol)
    assert owed.remaining_minor == owed.amount_minor - sum(
        s.amount_minor for s in owed.settlements.all()
    )
    assert AuditEvent.objects.filter(verb="clearing.obligation.settle").count() == 2
    assert verify().ok


def test_a_repeated_key_pays_once(
    member: User, other_member: User, sol: Currency, owed: Obligation
) -> None:
    one = services.obligation_settle(actor=member, obligation=owed, amount_minor=2_500, key="k")
    two = services.obligation_settle(actor=member, obligation=owed, amount_minor=2_500, key="k")
    assert one.pk == two.pk
    assert Settlement.objects.count() == 1
    assert _balance(other_member, sol) == 2_500
    with pytest.raises(Conflict, match="different request"):
        services.obligation_settle(actor=member, obligation=owed, amount_minor=1, key="k")


def test_refusals_change_nothing(
    steward: User, member: User, other_member: User, sol: Currency, owed: Obligation
) -> None:
    before = (_balance(member, sol), Settlement.objects.count(), Transfer.objects.count())
    with pytest.raises(PermissionDenied, match="Only the debtor"):
        services.obligation_settle(actor=other_member, obligation=owed, amount_minor=1, key="x")
    with pytest.raises(PermissionDenied):
        services.obligation_settle(actor=steward, obligation=owed, amount_minor=1, key="x")
    with pytest.raises(ValidationFailed, match="only 100.00 is left"):
        services.obligation_settle(actor=member, obligation=owed, amount_minor=10_001, key="x")
    with pytest.raises(ValidationFailed, match="idempotency key"):
        services.obligation_settle(actor=member, obligation=owed, amount_minor=1, key=" ")
    assert (_balance(member, sol), Settlement.objects.count(), Transfer.objects.count()) == before
    owed.refresh_from_db()
    assert owed.remaining_minor == 10_000


def test_the_debtor_pays_within_their_credit_line(
    steward: User, member: User, other_member: User
) -> None:
    # given a currency whose credit line is 30.00
    tight = _currency(steward, "TGT", limit=3_000)
    for user in (member, other_member):
        ledger.account_open(actor=user, currency=tight)
    ob = services.obligation_create(
        actor=member,
        currency=tight,
        debtor=member,
        creditor=other_member,
        amount_minor=5_000,
        key="t",
    )
    services.obligation_confirm(actor=other_member, obligation=ob)
    # when ada pays 50.00, beyond her line, nothing moves; 30.00 goes through
    with pytest.raises(ValidationFailed):
        services.obligation_settle(actor=member, obligation=ob, amount_minor=5_000, key="t1")
    assert Settlement.objects.count() == 0 and _balance(member, tight) == 0
    services.obligation_settle(actor=member, obligation=ob, amount_minor=3_000, key="t2")
    ob.refresh_from_db()
    assert (ob.remaining_minor, _balance(member, tight)) == (2_000, -3_000)


def test_the_currency_must_count_in_the_same_units_and_both_need_an_account(
    steward: User, member: User, other_member: User, sol: Currency, owed: Obligation
) -> None:
    hours = _currency(steward, "HRS", unit_kind="time", exponent=0)
    with pytest.raises(ValidationFailed, match="same units"):
        services.obligation_settle(
            actor=member, obligation=owed, amount_minor=1, key="h", currency=hours
        )
    coop = _currency(steward, "EUR-COOP")
    ledger.account_open(actor=member, currency=coop)
    with pytest.raises(ValidationFailed, match="bo has no EUR-COOP account"):
        services.obligation_settle(
            actor=member, obligation=owed, amount_minor=1, key="c", currency=coop
        )
    ledger.account_open(actor=other_member, currency=coop)
    # a steward chooses EUR-COOP for it: paying in SOL is then refused, EUR-COOP works
    services.obligation_settlement_currency_set(actor=steward, obligation=owed, currency=coop)
    with pytest.raises(ValidationFailed, match="settled in EUR-COOP"):
        services.obligation_settle(
            actor=member, obligation=owed, amount_minor=1, key="s", currency=sol
        )
    services.obligation_settle(actor=member, obligation=owed, amount_minor=700, key="e")
    assert (_balance(other_member, coop), _balance(other_member, sol)) == (700, 0)


def test_only_a_steward_or_the_debtor_chooses_the_currency(
    steward: User, member: User, other_member: User, sol: Currency, owed: Obligation
) -> None:
    with pytest.raises(PermissionDenied, match="steward or the debtor"):
        services.obligation_settlement_currency_set(
            actor=other_member, obligation=owed, currency=sol
        )
    ob = services.obligation_settlement_currency_set(actor=member, obligation=owed, currency=sol)
    assert ob.settlement_currency == sol


def test_a_payment_waiting_for_authorisation_is_not_a_settlement(
    steward: User, member: User, other_member: User
) -> None:
    held = _currency(steward, "HLD", authorisation_threshold=1_000)
    for user in (member, other_member):
        ledger.account_open(actor=user, currency=held)
    ob = services.obligation_create(
        actor=member,
        currency=held,
        debtor=member,
        creditor=other_member,
        amount_minor=5_000,
        key="h",
    )
    services.obligation_confirm(actor=other_member, obligation=ob)
    with pytest.raises(Conflict, match="wait for a steward's approval"):
        services.obligation_settle(actor=member, obligation=ob, amount_minor=5_000, key="h1")
    assert Transfer.objects.filter(status=Transfer.Status.PENDING).count() == 0
    assert Account.objects.get(owner=member, currency=held).reserved == 0
    services.obligation_settle(actor=member, obligation=ob, amount_minor=1_000, key="h2")
    ob.refresh_from_db()
    assert ob.remaining_minor == 4_000


def test_after_a_run_a_steward_chooses_the_currency_for_its_rest(
    steward: User, member: User, other_member: User, sol: Currency
) -> None:
    carla = make_member("carla")
    ledger.account_open(actor=carla, currency=sol)
    services.obligations_import(
        actor=steward,
        currency=sol,
        text="debtor,creditor,amount\nada,bo,100\nbo,carla,60\ncarla,ada,80.50\n",
        confirm_both=True,
    )
    run = services.run_start(actor=steward, currency=sol)
    with pytest.raises(Conflict, match="once the run is applied"):
        services.run_settlement_currency_set(actor=steward, run=run, currency=sol)
    services.run_propose(actor=steward, run=run, deadline=timezone.now() + dt.timedelta(days=1))
    # while the run awaits answers, its obligations are not paid on the ledger
    ob = Obligation.objects.get(debtor=member)
    with pytest.raises(Conflict, match="awaits its members' answers"):
        services.obligation_settle(actor=member, obligation=ob, amount_minor=100, key="p")
    for user in User.objects.filter(pk__in=queries.affected_member_ids(run)):
        services.run_respond(actor=user, run=run, answer="accept")
    assert ClearingRun.objects.get(pk=run.pk).status == ClearingRun.Status.ACCEPTED
    with pytest.raises(PermissionDenied):
        services.run_settlement_currency_set(actor=member, run=run, currency=sol)
    assert services.run_settlement_currency_set(actor=steward, run=run, currency=sol) == 2
    rest = dict(
        Obligation.objects.filter(settlement_currency=sol).values_list(
            "debtor__username", "remaining_minor"
        )
    )
    assert rest == {"ada": 4_000, "carla": 2_050}
    for ob in queries.to_settle_by_any(run):
        services.obligation_settle(
            actor=ob.debtor, obligation=ob, amount_minor=ob.remaining_minor, key=f"r{ob.pk}"
        )
    assert set(Obligation.objects.values_list("status", flat=True)) == {"settled"}
    assert Account.objects.filter(currency=sol).aggregate(s=Sum("balance"))["s"] == 0
    assert verify().ok


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(payments=st.lists(st.integers(min_value=1, max_value=4_000), min_size=1, max_size=6))
def test_remaining_is_always_amount_less_what_was_set_off_and_paid(
    sol: Currency, payments: list[int]
) -> None:
    # given two new members and a confirmed 100.00 obligation, when the debtor tries each
    # payment in turn
    n = User.objects.count()
    member, other_member = make_member(f"d{n}"), make_member(f"c{n}")
    for user in (member, other_member):
        ledger.account_open(actor=user, currency=sol)
    ob = services.obligation_create(
        actor=member,
        currency=sol,
        debtor=member,
        creditor=other_member,
        amount_minor=10_000,
        key="p",
    )
    services.obligation_confirm(actor=other_member, obligation=ob)
    paid = 0
    for n, amount in enumerate(payments):
        try:
            services.obligation_settle(
                actor=member, obligation=ob, amount_minor=amount, key=f"{ob.pk}-{n}"
            )
            paid += amount
        except (ValidationFailed, Conflict):
            assert amount > 10_000 - paid or paid == 10_000
    # then the cached rest equals amount - settlements, never below zero, and the ledger agrees
    ob.refresh_from_db()
    settled = sum(ob.settlements.values_list("amount_minor", flat=True))
    assert settled == paid <= 10_000
    assert ob.remaining_minor == ob.amount_minor - settled
    assert (ob.status == "settled") == (ob.remaining_minor == 0)
    transfers = Transfer.objects.filter(pk__in=ob.settlements.values("transfer_id"))
    assert sum(transfers.values_list("amount_minor", flat=True)) == settled
