"""Organisation accounts operated by people: rights to see, pay (up to a cap per payment)
and ask; payments record the operator who acted; the pages offer "as organisation X"."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test import Client

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import DomainError, PermissionDenied, ValidationFailed
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import SYSTEM
from solidaria.core.tests.concurrency import race_each
from solidaria.directory.factories import make_organisation
from solidaria.ledger import operators, payment_requests, queries, services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, AccountOperator, CreditPolicy, Currency, Transfer

pytestmark = pytest.mark.django_db


def _org_account(currency: Currency, runner: User, steward: User, *, limit: int = 5_000) -> Account:
    """A confirmed organisation run by `runner`, its account requested and approved, with
    a credit line a steward set."""
    org = make_organisation("Hill Bakery", operators=(runner,))
    request = services.account_request_create(actor=runner, currency=currency, organisation=org)
    approved = services.account_request_approve(actor=steward, request=request)
    account = approved.account
    assert account is not None
    return services.account_limits_set(
        actor=steward, account=account, credit_limit=limit, upper_limit=None, reason="bakery"
    )


def test_the_requester_gets_every_right_and_pays_as_the_organisation(
    member: User, steward: User, credits: Currency, bo_acc: Account
) -> None:
    # given the bakery's account, approved on ada's request
    account = _org_account(credits, member, steward)
    right = AccountOperator.objects.get(account=account, user=member)
    assert (right.can_view, right.can_pay, right.can_request, right.pay_limit_minor) == (
        True,
        True,
        True,
        None,
    )
    # when ada pays bo from it
    transfer = services.transfer_create(
        actor=member, payer=account, payee=bo_acc, amount_minor=1_250, key="bake-1"
    )
    # then the bakery paid, and the payment says ada acted
    assert transfer.payer_id == account.pk and transfer.created_by_id == member.pk
    account.refresh_from_db()
    assert account.balance == -1_250
    assert verify().ok


def test_an_operator_pays_up_to_their_cap_and_no_more(
    member: User, other_member: User, steward: User, credits: Currency, bo_acc: Account
) -> None:
    account = _org_account(credits, member, steward)
    cy = make_member("cy")
    cy_acc = services.account_open(actor=cy, currency=credits)
    operators.account_operator_set(
        actor=member, account=account, user=cy, can_pay=True, pay_limit_minor=1_000, reason="till"
    )
    services.transfer_create(actor=cy, payer=account, payee=bo_acc, amount_minor=1_000, key="c1")
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_create(
            actor=cy, payer=account, payee=bo_acc, amount_minor=1_001, key="c2"
        )
    assert exc.value.field == "amount"
    assert "at most 10.00" in exc.value.message
    # bo, with no right, may not pay from it at all; nor may its operator by owning nothing
    with pytest.raises(PermissionDenied):
        services.transfer_create(
            actor=other_member, payer=account, payee=cy_acc, amount_minor=1, key="b1"
        )
    assert Transfer.objects.filter(payer=account).count() == 1


def test_rights_are_given_by_the_organisations_operators_and_withdrawn_with_a_reason(
    member: User, other_member: User, steward: User, credits: Currency, bo_acc: Account
) -> None:
    account = _org_account(credits, member, steward)
    cy = make_member("cy")
    with pytest.raises(PermissionDenied):
        operators.account_operator_set(actor=other_member, account=account, user=cy, can_pay=True)
    with pytest.raises(ValidationFailed):
        operators.account_operator_set(
            actor=member, account=account, user=cy, can_pay=True, pay_limit_minor=0
        )
    operators.account_operator_set(actor=member, account=account, user=cy, can_pay=True)
    with pytest.raises(ValidationFailed):
        operators.account_operator_remove(actor=member, account=account, user=cy, reason=" ")
    operators.account_operator_remove(actor=member, account=account, user=cy, reason="left")
    with pytest.raises(PermissionDenied):
        services.transfer_create(actor=cy, payer=account, payee=bo_acc, amount_minor=1, key="x")
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="ledger.account.operator").values_list(
            "verb", flat=True
        )
    )
    assert sorted(verbs) == ["ledger.account.operator.remove", "ledger.account.operator.set"]


def test_an_operator_asks_for_payment_into_the_organisation_and_pays_its_requests(
    member: User, other_member: User, steward: User, credits: Currency, bo_acc: Account
) -> None:
    account = _org_account(credits, member, steward)
    # the bakery asks bo; bo pays; bo asks the bakery; ada pays as the bakery
    asked = payment_requests.request_create(
        actor=member, payee=account, payer=bo_acc, amount_minor=300
    )
    payment_requests.request_accept(actor=other_member, request=asked)
    theirs = payment_requests.request_create(
        actor=other_member, payee=bo_acc, payer=account, amount_minor=200
    )
    assert list(queries.requests_to_pay(member)) == [theirs]
    transfer = payment_requests.request_accept(actor=member, request=theirs)
    assert transfer.created_by_id == member.pk
    account.refresh_from_db()
    assert account.balance == 100
    # someone without a request right cannot ask in its name
    cy = make_member("cy")
    operators.account_operator_set(actor=member, account=account, user=cy, can_view=True)
    with pytest.raises(PermissionDenied):
        payment_requests.request_create(actor=cy, payee=account, payer=bo_acc, amount_minor=1)


def test_the_statement_and_pay_page_act_as_the_organisation(
    member: User, steward: User, credits: Currency, bo_acc: Account, member_client: Client
) -> None:
    account = _org_account(credits, member, steward)
    page = member_client.get("/ledger/pay/").content.decode()
    assert "as Hill Bakery" in page
    response = member_client.post(
        "/ledger/pay/",
        {
            "payer": account.pk,
            "payee_username": "bo",
            "amount": "4.50",
            "memo": "flour",
            "idempotency_key": "page-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    statement = member_client.get(f"/ledger/accounts/{account.pk}/").content.decode()
    assert "Made by" in statement and "ada" in statement and "-4.50" in statement
    transfer = Transfer.objects.get(payer=account)
    assert (
        "ada, for Hill Bakery"
        in member_client.get(f"/ledger/transfers/{transfer.pk}/").content.decode()
    )


def test_the_operators_page_gives_rights(
    member: User, other_member: User, steward: User, credits: Currency, member_client: Client
) -> None:
    account = _org_account(credits, member, steward)
    url = f"/ledger/accounts/{account.pk}/operators/"
    response = member_client.post(
        url,
        {"username": "bo", "can_pay": "on", "pay_limit": "20.00", "reason": "shop"},
    )
    assert response.status_code == 302
    right = AccountOperator.objects.get(account=account, user=other_member)
    assert (right.can_pay, right.pay_limit_minor) == (True, 2_000)
    assert "20.00" in member_client.get(url).content.decode()
    # bo may pay but may not say who acts: the page is not there for him
    client = Client()
    client.force_login(other_member)
    assert client.get(url).status_code == 404


# ---------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_operator_payments_keep_the_cap_and_the_limit() -> None:
    """Eight operators with a cap of 10.00 pay from one organisation account at once,
    each twice under the cap and once above it, while the account's line allows 50.00:
    no payment is above the cap, the line holds, and the journal verifies."""
    assert connection.vendor == "postgresql"
    stew = make_member("stew", role="steward")
    cur = services.currency_create(
        actor=SYSTEM,
        code="ORG",
        name="Org",
        default_credit_limit=100_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    runner = make_member("runner")
    account = _org_account(cur, runner, stew, limit=5_000)
    payee = services.account_open(actor=make_member("shop"), currency=cur)
    people = [make_member(f"op{i}") for i in range(8)]
    for person in people:
        operators.account_operator_set(
            actor=runner, account=account, user=person, can_pay=True, pay_limit_minor=1_000
        )

    def pay(person: User) -> list[str]:
        results: list[str] = []
        for n, amount in enumerate((900, 1_001, 1_000)):
            try:
                services.transfer_create(
                    actor=person,
                    payer=account.pk,
                    payee=payee.pk,
                    amount_minor=amount,
                    key=f"{person.username}-{n}",
                )
                results.append("ok")
            except DomainError as exc:
                results.append("cap" if "in one payment" in exc.message else "limit")
        return results

    each = race_each(lambda i: pay(people[i]), workers=len(people))
    outcomes = Counter(result for results in each for result in results)
    account.refresh_from_db()
    paid = list(Transfer.objects.filter(payer=account).values_list("amount_minor", flat=True))
    assert outcomes["cap"] == len(people)  # every 10.01 was refused
    assert all(a <= 1_000 for a in paid)
    assert sum(paid) == -account.balance <= 5_000
    assert outcomes["ok"] == len(paid)
    assert len(paid) >= 5  # 5 x 9.00/10.00 fit in the line whatever the order
    assert set(
        Transfer.objects.filter(payer=account).values_list("created_by__username", flat=True)
    ) <= {p.username for p in people}
    assert verify().ok


def test_an_operator_posts_offers_for_the_organisation(
    member: User, other_member: User, member_client: Client
) -> None:
    from solidaria.ledger.listings import listing_create
    from solidaria.ledger.models import Listing

    org = make_organisation("Hill Bakery", operators=(member,))
    assert "On behalf of" in member_client.get("/ledger/offers-wants/new/").content.decode()
    response = member_client.post(
        "/ledger/offers-wants/new/",
        {
            "kind": "offer",
            "item_type": "good",
            "title": "Rye loaves",
            "category": "food",
            "description": "Baked this morning",
            "organisation": org.pk,
        },
    )
    assert response.status_code == 302
    listing = Listing.objects.get()
    assert (listing.owner, listing.organisation) == (member, org)
    assert (
        "ada, for Hill Bakery"
        in member_client.get(f"/ledger/offers-wants/{listing.pk}/").content.decode()
    )
    assert "Rye loaves" in Client().get(f"/directory/organisations/{org.pk}/").content.decode()
    with pytest.raises(PermissionDenied):
        listing_create(
            actor=other_member,
            kind="offer",
            title="Fake",
            category="food",
            description="x",
            organisation=org,
        )
