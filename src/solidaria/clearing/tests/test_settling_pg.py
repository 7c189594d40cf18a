"""Settlements racing on PostgreSQL: the obligation's row lock and the ledger's account
locks keep the obligation, the settlements and the ledger in step."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.models import Sum

from solidaria.accounts.factories import make_member, make_steward
from solidaria.clearing import services
from solidaria.clearing.models import Obligation, Settlement
from solidaria.core.errors import DomainError
from solidaria.core.tests.concurrency import race_each
from solidaria.ledger import services as ledger
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, CreditPolicy, Transfer

WORKERS = 8


def _race(work: Callable[[int], object]) -> tuple[Counter[str], list[object]]:
    """How many calls succeeded ("ok") or were refused with each error, and the results."""
    outcomes = race_each(work, workers=WORKERS)
    results = [o for o in outcomes if not isinstance(o, DomainError)]
    refused = Counter(type(o).__name__ for o in outcomes if isinstance(o, DomainError))
    return Counter({"ok": len(results)}) + refused, results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_settlements_never_pay_more_than_is_left() -> None:
    assert connection.vendor == "postgresql"
    # given ada owes bo 100.00 and has a 500.00 credit line
    stew = make_steward("stew")
    ada, bo = make_member("ada"), make_member("bo")
    sol = ledger.currency_create(
        actor=stew,
        code="SOL",
        name="Sol",
        default_credit_limit=50_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )
    for user in (ada, bo):
        ledger.account_open(actor=user, currency=sol)
    ob = services.obligation_create(
        actor=ada, currency=sol, debtor=ada, creditor=bo, amount_minor=10_000, key="o"
    )
    services.obligation_confirm(actor=bo, obligation=ob)

    # when 8 clients each pay 30.00 of it at once, with their own keys
    outcomes, _ = _race(
        lambda n: services.obligation_settle(
            actor=ada, obligation=ob.pk, amount_minor=3_000, key=f"w{n}"
        )
    )
    # then exactly three fit (90.00), the others are refused, and everything agrees
    assert outcomes == Counter({"ok": 3, "ValidationFailed": 5}), outcomes
    ob.refresh_from_db()
    assert ob.remaining_minor == 1_000
    assert Settlement.objects.aggregate(s=Sum("amount_minor"))["s"] == 9_000
    assert Transfer.objects.filter(category="clearing").count() == 3
    assert Account.objects.get(owner=bo).balance == 9_000
    assert Account.objects.filter(currency=sol).aggregate(s=Sum("balance"))["s"] == 0

    # when 8 clients retry one request with the same key at once
    outcomes, results = _race(
        lambda n: services.obligation_settle(
            actor=ada, obligation=ob.pk, amount_minor=1_000, key="same"
        )
    )
    # then it is paid once and every client gets that one settlement
    assert outcomes == Counter({"ok": WORKERS}), outcomes
    assert len({r.pk for r in results}) == 1  # type: ignore[attr-defined]
    ob.refresh_from_db()
    assert (ob.remaining_minor, ob.status) == (0, Obligation.Status.SETTLED)
    assert Transfer.objects.filter(category="clearing").count() == 4
    assert Account.objects.get(owner=bo).balance == 10_000
    assert verify().ok
