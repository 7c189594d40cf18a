"""Ledger fixtures: a cents currency with a 100.00 credit limit, a minutes time bank
(both with the policy that admitted members get the default line and grant), and
accounts for ada (member) and bo (other_member)."""

from __future__ import annotations

from typing import Any

import pytest

from solidaria.accounts.models import User
from solidaria.core.permissions import SYSTEM
from solidaria.ledger import services
from solidaria.ledger.models import Account, CreditPolicy, Currency


@pytest.fixture
def credits(db: None) -> Currency:
    return services.currency_create(
        actor=SYSTEM,
        code="CRED",
        name="Community credits",
        exponent=2,
        default_credit_limit=10_000,
        default_upper_limit=50_000,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )


@pytest.fixture
def hours(db: None) -> Currency:
    return services.currency_create(
        actor=SYSTEM,
        code="HOURS",
        name="Time bank",
        unit_kind=Currency.UnitKind.TIME,
        exponent=0,
        default_credit_limit=600,
        starting_grant=120,
        credit_policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
    )


@pytest.fixture
def ada_acc(member: User, credits: Currency) -> Account:
    return services.account_open(actor=member, currency=credits)


@pytest.fixture
def bo_acc(other_member: User, credits: Currency) -> Account:
    return services.account_open(actor=other_member, currency=credits)


@pytest.fixture
def make_org(db: None) -> Any:
    """A directory organisation, confirmed unless told otherwise; the person who put it
    in the directory (`created_by`) is its confirmed operator."""
    from solidaria.directory.factories import make_organisation
    from solidaria.directory.models import Organisation

    def make(name: str, *, created_by: User | None = None, **fields: Any) -> Organisation:
        operators = (created_by,) if created_by is not None else ()
        return make_organisation(name, created_by=created_by, operators=operators, **fields)

    return make
