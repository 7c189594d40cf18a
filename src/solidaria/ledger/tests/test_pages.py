from __future__ import annotations

import pytest
from django.test import Client

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.ledger import listings, services
from solidaria.ledger.models import Account, Currency, Transfer

pytestmark = pytest.mark.django_db


def test_home_shows_my_balances_and_the_nav_links_it(
    member_client: Client, ada_acc: Account, hours: Currency
) -> None:
    response = member_client.get("/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Community credits (CRED)" in html
    assert "Join a currency" in html  # HOURS is not joined yet
    assert 'href="/ledger/"' in html


def test_pay_page_pays_and_refuses_over_the_limit(
    member_client: Client, ada_acc: Account, bo_acc: Account
) -> None:
    form = {"payer": ada_acc.pk, "payee_username": "bo", "amount": "130", "idempotency_key": "p1"}
    refused = member_client.post("/ledger/pay/", form)
    assert refused.status_code == 200
    assert (
        "this payment would take your balance to -130.00, below your limit of -100.00"
        in refused.content.decode()
    )
    assert Transfer.objects.count() == 0
    paid = member_client.post("/ledger/pay/", {**form, "amount": "12.50", "idempotency_key": "p2"})
    assert paid.status_code == 302
    # a double click (same hidden key) moves nothing more
    member_client.post("/ledger/pay/", {**form, "amount": "12.50", "idempotency_key": "p2"})
    ada_acc.refresh_from_db()
    assert ada_acc.balance == -1250


def test_statement_page_and_csv_export(
    member: User, member_client: Client, ada_acc: Account, bo_acc: Account
) -> None:
    services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=450, memo="eggs", key="e"
    )
    page = member_client.get(f"/ledger/accounts/{ada_acc.pk}/")
    assert page.status_code == 200 and "eggs" in page.content.decode()
    csv = member_client.get(f"/ledger/accounts/{ada_acc.pk}/?format=csv&direction=out")
    lines = csv.content.decode().strip().splitlines()
    assert lines[0] == "date,transfer,kind,counterparty,memo,category,amount,balance"
    assert lines[1].endswith(",payment,bo,eggs,,-4.50,-4.50")


def test_a_stranger_gets_404_on_someone_elses_statement(
    member_client: Client, bo_acc: Account
) -> None:
    assert member_client.get(f"/ledger/accounts/{bo_acc.pk}/").status_code == 404
    assert member_client.get(f"/ledger/accounts/{bo_acc.pk}/?format=csv").status_code == 404
    assert Client().get(f"/ledger/accounts/{bo_acc.pk}/").status_code == 302


@pytest.mark.parametrize(
    "url",
    [
        "/ledger/steward/currencies/",
        "/ledger/steward/currencies/CRED/",
        "/ledger/steward/accounts/",
        "/ledger/steward/authorisations/",
    ],
)
def test_steward_pages_are_for_stewards(
    member_client: Client, steward_client: Client, credits: Currency, url: str
) -> None:
    assert member_client.get(url).status_code == 403
    assert steward_client.get(url).status_code == 200


def test_steward_changes_limits_with_a_reason(steward_client: Client, ada_acc: Account) -> None:
    response = steward_client.post(
        f"/ledger/steward/accounts/{ada_acc.pk}/limits/",
        {"credit_limit": "250.00", "upper_limit": "", "reason": "long-standing member"},
    )
    assert response.status_code == 302
    ada_acc.refresh_from_db()
    assert (ada_acc.credit_limit, ada_acc.upper_limit) == (25_000, None)


def test_steward_creates_a_currency_from_the_page(steward_client: Client) -> None:
    response = steward_client.post(
        "/ledger/steward/currencies/",
        {
            "code": "tb",
            "name": "Time bank",
            "unit_kind": "time",
            "exponent": 0,
            "default_credit_limit": 600,
            "starting_grant": 120,
            "levy_basis_points": 0,
            "is_active": "on",
            "credit_policy": "admitted_members_get_default",
        },
    )
    assert response.status_code == 302, response.content.decode()
    created = Currency.objects.get(code="TB")
    assert (created.starting_grant, created.credit_policy) == (120, "admitted_members_get_default")


def test_offers_and_wants_pages(
    member: User, other_member: User, member_client: Client, ada_acc: Account, bo_acc: Account
) -> None:
    listing = listings.listing_create(
        actor=other_member,
        kind="offer",
        title="Piano lessons",
        category="teaching",
        description="Beginners welcome",
        price="5",
        currency="CRED",
    )
    assert "Piano lessons" in Client().get("/ledger/offers-wants/?q=piano").content.decode()
    response = member_client.post(f"/ledger/offers-wants/{listing.pk}/", {"amount": "", "memo": ""})
    assert response.status_code == 302
    created = member_client.post(
        "/ledger/offers-wants/new/",
        {
            "kind": "want",
            "item_type": "good",
            "title": "Jars",
            "category": "kitchen",
            "description": "Glass jars for jam",
        },
    )
    assert created.status_code == 302


def test_a_stranger_gets_404_on_a_transfer_page(
    member: User, other_member: User, ada_acc: Account, bo_acc: Account
) -> None:
    transfer = services.transfer_create(
        actor=member, payer=ada_acc, payee=bo_acc, amount_minor=100, key="t"
    )
    stranger = Client()
    stranger.force_login(make_member(username="zed"))
    assert stranger.get(f"/ledger/transfers/{transfer.pk}/").status_code == 404
    payee = Client()
    payee.force_login(other_member)
    page = payee.get(f"/ledger/transfers/{transfer.pk}/")
    assert page.status_code == 200 and "Reverse this payment" in page.content.decode()
