"""Property: any sequence of payments keeps every currency at zero sum, every account
within its limits, every balance equal to its entries, and the chain verifiable; a payment
is refused exactly when a simple model says it breaks a limit."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidaria.accounts.factories import make_member
from solidaria.core.errors import ValidationFailed
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import services
from solidaria.ledger.journal import verify
from solidaria.ledger.models import Account, Entry

pytestmark = pytest.mark.django_db

LIMITS = [(0, None), (1000, None), (500, 2000), (3000, 1500)]  # (credit, upper) per account


class _Rollback(Exception):
    pass


payments = st.lists(
    st.tuples(
        st.integers(0, len(LIMITS) - 1),
        st.integers(0, len(LIMITS) - 1),
        st.integers(1, 2500),
        st.integers(0, 100),  # levy basis points when the payment is made
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=payments)
def test_random_payments_keep_the_invariants(
    db: None, sequence: list[tuple[int, int, int, int]]
) -> None:
    try:
        with transaction.atomic():
            _run(sequence)
            raise _Rollback
    except _Rollback:
        pass


def _run(sequence: list[tuple[int, int, int, int]]) -> None:
    currency = services.currency_create(actor=SYSTEM, code="PROP", name="Property", exponent=2)
    users = [make_member(username=f"p{i}") for i in range(len(LIMITS))]
    accounts = []
    for user, (credit, upper) in zip(users, LIMITS, strict=True):
        acc = services.account_open(actor=user, currency=currency)
        Account.objects.filter(pk=acc.pk).update(credit_limit=credit, upper_limit=upper)
        accounts.append(acc)
    model = [0] * len(LIMITS)
    network = 0
    for step, (i, j, amount, levy_bp) in enumerate(sequence):
        currency.levy_basis_points = levy_bp
        currency.save(update_fields=["levy_basis_points"])
        levy = amount * levy_bp // 10000
        allowed = (
            i != j
            and model[i] - amount - levy >= -LIMITS[i][0]
            and (LIMITS[j][1] is None or model[j] + amount <= LIMITS[j][1])
        )
        try:
            services.transfer_create(
                actor=users[i],
                payer=accounts[i].pk,
                payee=accounts[j].pk,
                amount_minor=amount,
                key=f"s{step}",
            )
        except ValidationFailed:
            assert not allowed
        else:
            assert allowed
            model[i] -= amount + levy
            model[j] += amount
            network += levy
    balances = dict(Account.objects.values_list("pk", "balance"))
    assert [balances[a.pk] for a in accounts] == model
    assert balances[services.network_account(currency).pk] == network
    assert sum(balances.values()) == 0
    for acc in Account.objects.filter(currency=currency):
        assert acc.credit_limit is None or acc.balance - acc.reserved >= -acc.credit_limit
        assert acc.upper_limit is None or acc.balance <= acc.upper_limit
        assert acc.balance == (acc.entries.aggregate(s=Sum("amount"))["s"] or 0)
    assert Entry.objects.aggregate(s=Sum("amount"))["s"] in (0, None)
    report = verify(currency=currency)
    assert report.ok, report.problems
