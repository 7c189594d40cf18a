"""Two subscriptions racing over a maximum holding, on PostgreSQL: one is paid and
entered, the other is refused and pays nothing; the ledger still verifies."""

from __future__ import annotations

import pytest
from django.db import connection

from solidaria.accounts.factories import make_member, make_steward
from solidaria.core.tests.concurrency import race
from solidaria.governance import queries, services
from solidaria.governance.models import CapitalEntry, ShareOrder
from solidaria.governance.tests.coop_ledger import balance, give_coop_an_account, pay_in
from solidaria.governance.tests.test_platform_factories import make_world
from solidaria.ledger import payment_requests
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Transfer


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["pay-now", "requests"])
def test_two_subscriptions_racing_over_the_maximum_holding(path: str) -> None:
    assert connection.vendor == "postgresql"
    # given a co-op with an account, ada allowed at most 20 shares of 50.00, and money
    # for 24 shares
    world = make_world(make_member("ada"), make_member("bo"), make_steward("stew"))
    coop_acc = give_coop_an_account(world.coop, world.steward)
    ada = pay_in(world.worker.user, world.coop.currency, 24 * 5_000, key="in")  # type: ignore[arg-type]
    sub = ShareOrder.Kind.SUBSCRIPTION
    if path == "pay-now":
        work = [
            lambda n=n: services.shares_pay_now(
                actor=world.worker.user,
                kind=sub,
                membership=world.worker,
                share_type=world.share,
                quantity=12,
                key=f"race-{n}",
            )
            for n in range(2)
        ]
    else:
        # a request for 12 accepted while 12 more are paid now
        first = services.shares_request_payment(
            actor=world.worker.user,
            kind=sub,
            membership=world.worker,
            share_type=world.share,
            quantity=12,
        )
        work = [
            lambda: payment_requests.request_accept(
                actor=world.worker.user, request=first.payment_request
            ),
            lambda: services.shares_pay_now(
                actor=world.worker.user,
                kind=sub,
                membership=world.worker,
                share_type=world.share,
                quantity=12,
                key="race-now",
            ),
        ]
    # when both run at once
    results, errors = race(*work)
    # then exactly one was paid and entered; the other was refused with the reason
    assert len(results) == 1, errors
    assert len(errors) == 1 and "at most 20" in errors[0]
    assert queries.holding(world.worker, world.share) == 12
    assert CapitalEntry.objects.filter(transfer__isnull=False).count() == 1
    assert Transfer.objects.filter(category="shares").count() == 1
    assert balance(coop_acc) == 12 * 5_000
    assert balance(ada) == 12 * 5_000
    assert verify().ok
