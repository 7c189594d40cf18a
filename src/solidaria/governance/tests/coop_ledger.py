"""Builders for tests where a co-op holds a ledger account: its directory organisation,
the account (asked for and approved as any organisation's is) and money for members.
Plain functions so each test module states its own given."""

from __future__ import annotations

from typing import Any

from solidaria.core.permissions import SYSTEM
from solidaria.governance.models import Cooperative
from solidaria.ledger.models import Account, Currency


def give_coop_an_account(coop: Cooperative, steward: Any, *, name: str = "") -> Account:
    """The co-op's directory organisation (confirmed) and its account in the co-op's
    currency, approved by a steward; it opens at credit limit 0."""
    from solidaria.directory.importers.cleaning import name_key
    from solidaria.directory.models import Organisation
    from solidaria.ledger import services as ledger

    org_name = name or f"{coop.name} Co-operative Ltd"
    org = Organisation.objects.create(
        name=org_name,
        name_key=name_key(org_name),
        status=Organisation.Status.CONFIRMED,
        created_by=steward,
    )
    Cooperative.objects.filter(pk=coop.pk).update(organisation=org)
    coop.refresh_from_db()
    assert coop.currency is not None
    request = ledger.account_request_create(actor=steward, currency=coop.currency, organisation=org)
    approved = ledger.account_request_approve(actor=steward, request=request)
    assert approved.account is not None
    return approved.account


def member_account(user: Any, currency: Currency) -> Account:
    from solidaria.ledger import services as ledger

    return ledger.account_open(actor=SYSTEM, currency=currency, owner=user)


def pay_in(user: Any, currency: Currency, amount: int, *, key: str) -> Account:
    """Money paid in for `user` (cash at the till): from the currency's network account."""
    from solidaria.ledger import services as ledger
    from solidaria.ledger.locks import network_account

    account = member_account(user, currency)
    ledger.transfer_create(
        actor=SYSTEM,
        payer=network_account(currency),
        payee=account,
        amount_minor=amount,
        memo="paid in",
        key=key,
    )
    account.refresh_from_db()
    return account


def balance(account: Account) -> int:
    account.refresh_from_db()
    return account.balance


def snapshot() -> dict[str, Any]:
    """The governance snapshot plus share orders, payment requests and accounts."""
    from solidaria.governance.models import ShareOrder
    from solidaria.governance.tests.test_platform_factories import snapshot as governance
    from solidaria.ledger.models import PaymentRequest

    state = governance()
    for model in (ShareOrder, PaymentRequest, Account):
        state[model._meta.label] = sorted(
            tuple(sorted((k, str(v)) for k, v in row.items())) for row in model.objects.values()
        )
    return state
