"""Ledger pages show the co-op funds' accounts and transfer categories by name, not as
`coop:<slug>:reserves_divisible`, and nothing else raw."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from solidaria.accounts.models import User
from solidaria.core.tests.test_human_text import pages_under, raw_bits
from solidaria.governance import demo as governance_demo
from solidaria.ledger import demo as ledger_demo
from solidaria.ledger.models import Account, Transfer


@pytest.fixture
def demo_ledger(db: None) -> None:
    ledger_demo.load(stdout=io.StringIO())
    governance_demo.load(stdout=io.StringIO())  # pays the surplus into the co-op's funds


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["steward", "ana"])
def test_ledger_pages_show_no_raw_internals(demo_ledger: None, username: str) -> None:
    # given the demo currencies, payments and the co-op's surplus payout
    client = _client(username)
    fund = Account.objects.get(name__endswith=":social_fund")
    starts = [reverse("ledger:home")]
    if username == "steward":
        starts += [reverse("ledger:account", args=[fund.pk]), reverse("ledger:steward_accounts")]
    for start in starts:
        # when every ledger page a link leads to is read (statements, transfers, lists)
        for url, page in pages_under(client, start, "/ledger/", limit=80):
            # then nothing raw is visible
            assert raw_bits(page) == [], url


@pytest.mark.django_db
def test_a_surplus_transfer_names_the_fund_and_its_category(demo_ledger: None) -> None:
    # given the payout into the social fund
    transfer = Transfer.objects.get(category="surplus-social_fund")
    # when the steward reads it
    page = _client("steward").get(reverse("ledger:transfer", args=[transfer.pk])).content.decode()
    # then the account and the category are named
    assert "<dd>Social and education fund (bread-and-roses)</dd>" in page
    assert "<dd>Surplus: Social and education fund</dd>" in page
