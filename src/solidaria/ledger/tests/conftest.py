"""Ledger fixtures: a cents currency with a 100.00 credit limit, a minutes time bank,
and accounts for ada (member) and bo (other_member)."""

from __future__ import annotations

import pytest

from solidaria.accounts.models import User
from solidaria.ledger import services
from solidaria.ledger.models import Account, Currency


@pytest.fixture
def credits(db: None) -> Currency:
    return services.currency_create(
        actor=None,
        code="CRED",
        name="Community credits",
        exponent=2,
        default_credit_limit=10_000,
        default_upper_limit=50_000,
    )


@pytest.fixture
def hours(db: None) -> Currency:
    return services.currency_create(
        actor=None,
        code="HOURS",
        name="Time bank",
        unit_kind=Currency.UnitKind.TIME,
        exponent=0,
        default_credit_limit=600,
        starting_grant=120,
    )


@pytest.fixture
def ada_acc(member: User, credits: Currency) -> Account:
    return services.account_open(actor=member, currency=credits)


@pytest.fixture
def bo_acc(other_member: User, credits: Currency) -> Account:
    return services.account_open(actor=other_member, currency=credits)
