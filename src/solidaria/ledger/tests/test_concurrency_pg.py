"""10,000 random payments from 16 threads on a few hot accounts, on PostgreSQL.

Afterwards: every currency sums to zero, every account is within its limits, every
balance equals the sum of its entries, and `verify` recomputes the chain without a fault.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from django.db import connection, connections
from django.db.models import Sum

from solidaria.accounts.factories import make_member
from solidaria.accounts.models import User
from solidaria.core.errors import DomainError
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, CreditPolicy, Entry, Transfer

TRANSFERS = 10_000
WORKERS = 16
HOT_ACCOUNTS = 6


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ten_thousand_concurrent_payments_keep_every_invariant() -> None:
    assert connection.vendor == "postgresql"
    # given two currencies with a few hot accounts each, tight limits so many payments fail
    currencies = [
        services.currency_create(
            actor=SYSTEM,
            code="HOT",
            name="Hot",
            exponent=2,
            default_credit_limit=3000,
            default_upper_limit=6000,
            levy_basis_points=100,
            credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
        ),
        services.currency_create(
            actor=SYSTEM,
            code="MIN",
            name="Minutes",
            exponent=0,
            unit_kind="time",
            default_credit_limit=300,
            starting_grant=60,
            credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
        ),
    ]
    users = [make_member(username=f"hot{i}") for i in range(HOT_ACCOUNTS)]
    pairs: list[tuple[User, Account, Account]] = []
    accounts = {
        cur.pk: [services.account_open(actor=u, currency=cur) for u in users] for cur in currencies
    }
    for accs in accounts.values():
        for a in accs:
            for b in accs:
                if a.pk != b.pk:
                    pairs.append((users[accs.index(a)], a, b))
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    per_worker = TRANSFERS // WORKERS

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        local: Counter[str] = Counter()
        try:
            for n in range(per_worker + (1 if seed < TRANSFERS % WORKERS else 0)):
                actor, payer, payee = rng.choice(pairs)
                key, amount = f"w{seed}-{n}", rng.randint(1, 2500)
                try:
                    first = services.transfer_create(
                        actor=actor, payer=payer, payee=payee, amount_minor=amount, key=key
                    )
                    local["ok"] += 1
                except DomainError as exc:
                    local[type(exc).__name__] += 1
                    continue
                if n % 50 == 0:  # a client retrying: must move nothing
                    again = services.transfer_create(
                        actor=actor, payer=payer, payee=payee, amount_minor=amount, key=key
                    )
                    assert again.pk == first.pk and again.replayed
                    local["replayed"] += 1
        finally:
            connections.close_all()
            with lock:
                outcomes.update(local)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started

    attempted = outcomes["ok"] + outcomes["ValidationFailed"]
    assert attempted == TRANSFERS, outcomes
    assert outcomes["ok"] > 1000 and outcomes["ValidationFailed"] > 100, outcomes
    payments = Transfer.objects.exclude(kind__in=["levy", "grant"]).count()
    assert payments == outcomes["ok"]
    for cur in currencies:
        assert Account.objects.filter(currency=cur).aggregate(s=Sum("balance"))["s"] == 0
    for acc in Account.objects.all():
        assert acc.credit_limit is None or acc.balance - acc.reserved >= -acc.credit_limit
        assert acc.upper_limit is None or acc.balance <= acc.upper_limit
        assert acc.balance == (
            Entry.objects.filter(account=acc).aggregate(s=Sum("amount"))["s"] or 0
        )
    report = verify()
    assert report.ok, report.problems[:5]
    print(f"{TRANSFERS} payments from {WORKERS} threads in {elapsed:.1f} s: {dict(outcomes)}")
