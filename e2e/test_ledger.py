"""Given two members with accounts in a community currency, when one pays the other from
the pay page, then both statements show it; a payment past the credit limit is refused
with a message the member can read, and no balance moves."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.session import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def accounts() -> dict[str, Any]:
    from solidaria.accounts.factories import make_member
    from solidaria.core.permissions import SYSTEM
    from solidaria.ledger import services

    ada = make_member(username="ada", email="ada@example.org", password="x")
    bo = make_member(username="bo", email="bo@example.org", password="x")
    credits = services.currency_create(
        actor=SYSTEM,
        code="CRED",
        name="Community credits",
        exponent=2,
        default_credit_limit=10_000,
        default_upper_limit=50_000,
        credit_policy="admitted_members_get_default",
    )
    return {
        "ada": ada,
        "bo": bo,
        "ada_acc": services.account_open(actor=ada, currency=credits),
        "bo_acc": services.account_open(actor=bo, currency=credits),
    }


def _balances(*accounts: Any) -> list[int]:
    for account in accounts:
        account.refresh_from_db()
    return [account.balance for account in accounts]


def test_pay_a_member_and_see_it_on_both_statements(page, live_server, accounts):  # type: ignore[no-untyped-def]
    from solidaria.ledger.models import Transfer

    log_in(page, live_server, accounts["ada"])
    page.goto(f"{live_server.url}/ledger/")
    page.get_by_role("navigation", name="Ledger").get_by_role(
        "link", name="Pay", exact=True
    ).click()
    page.get_by_label(re.compile(r"^From\b")).select_option(str(accounts["ada_acc"].pk))
    page.get_by_label("To (member's user name)").fill("bo")
    page.get_by_label("Amount").fill("12.50")
    page.get_by_label("What for").fill("Eggs from the allotment")
    page.get_by_label("Category").fill("food")
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url(f"{live_server.url}/ledger/accounts/{accounts['ada_acc'].pk}/")
    expect(page.get_by_role("status").get_by_text("You paid 12.50 to")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Eggs from the allotment"))
    assert row.get_by_role("cell").nth(4).inner_text().strip() == "-12.50"
    assert row.get_by_role("cell").nth(5).inner_text().strip() == "-12.50"
    assert _balances(accounts["ada_acc"], accounts["bo_acc"]) == [-1250, 1250]
    assert Transfer.objects.count() == 1

    log_in(page, live_server, accounts["bo"])
    page.goto(f"{live_server.url}/ledger/accounts/{accounts['bo_acc'].pk}/")
    row = page.get_by_role("row", name=re.compile("Eggs from the allotment"))
    assert row.get_by_role("cell").nth(4).inner_text().strip() == "12.50"


def test_payment_over_the_credit_limit_is_refused_and_nothing_moves(  # type: ignore[no-untyped-def]
    page, live_server, accounts
):
    from solidaria.ledger.models import Entry, Transfer

    log_in(page, live_server, accounts["ada"])
    page.goto(f"{live_server.url}/ledger/pay/")
    page.get_by_label(re.compile(r"^From\b")).select_option(str(accounts["ada_acc"].pk))
    page.get_by_label("To (member's user name)").fill("bo")
    page.get_by_label("Amount").fill("130")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_load_state()

    assert page.url == f"{live_server.url}/ledger/pay/"
    message = "this payment would take your balance to -130.00, below your limit of -100.00"
    expect(page.get_by_text(message)).to_be_visible()
    assert page.get_by_label("Amount").input_value() == "130"
    assert _balances(accounts["ada_acc"], accounts["bo_acc"]) == [0, 0]
    assert (Transfer.objects.count(), Entry.objects.count()) == (0, 0)

    page.goto(f"{live_server.url}/ledger/accounts/{accounts['ada_acc'].pk}/")
    expect(page.get_by_role("cell", name="No entries.")).to_be_visible()
