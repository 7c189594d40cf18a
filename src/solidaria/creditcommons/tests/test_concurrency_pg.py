"""Payments racing for one link's credit line on PostgreSQL (the trunk's account for a
leaf): the holds never exceed the line, each payment ends completed or erased, and the
ledger verifies."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection

from solidaria.core.permissions import SYSTEM
from solidaria.core.tests.concurrency import race_each
from solidaria.creditcommons import services, transport
from solidaria.creditcommons.models import RemoteTransaction
from solidaria.creditcommons.tests.conftest import SECRET, currency
from solidaria.creditcommons.tests.messages import validate_message
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account

WORKERS = 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_payments_racing_for_one_links_credit_line(node: Any, neighbours: Any) -> None:
    assert connection.vendor == "postgresql"
    node("T")
    currency("TRK")
    link_a = services.link_add(
        actor=SYSTEM, role="leaf", slug="A", url="http://a.example/cc/", secret=SECRET,
        currency_code="TRK", rate="2", credit_limit=5_000,
    )  # fmt: skip
    services.link_add(
        actor=SYSTEM, role="leaf", slug="B", url="http://b.example/cc/", secret=SECRET,
        currency_code="TRK", rate="1/2",
    )  # fmt: skip
    neighbours.replies[("B", "validate")] = {"state": "completed"}
    transport.use(neighbours)

    def one(i: int) -> str:
        message = {
            **validate_message(str(uuid.uuid4())),
            "payer": f"A/m{i}",
            "amount": 1000,  # 20.00 of T each: the line of 50.00 holds two of them
            "amount_to": 2000,
        }
        return str(services.handle(link_a, "validate", message)["state"])

    answers = race_each(one, workers=WORKERS)
    assert sorted(set(answers)) == ["completed", "erased"]
    assert answers.count("completed") == 2
    account = Account.objects.get(pk=link_a.account_id)
    assert (account.balance, account.reserved) == (-4000, 0)
    assert not RemoteTransaction.objects.filter(state__in=["initiated", "validated"]).exists()
    report = verify()
    assert report.ok, [p.message for p in report.problems]
