"""Property: no sequence of calls by members and applicants — through the services, the
API or the pages: opening accounts of every kind, asking for organisation accounts,
approving them, changing currencies, policies and limits, paying — raises a credit line
or issues a grant beyond what the currencies' standing policies give admitted members.

Two currencies with the same defaults (a 100.00 line, a 5.00 grant): POL with the policy
`admitted_members_get_default`, STW with `steward_decides`. Whatever the sequence, every
account's line is the one its opening recorded, that is the policy's (POL member accounts
of admitted people) or 0; there is one grant per POL member account and none elsewhere;
no steward-only event is written; applicants hold nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solidaria.accounts.factories import make_applicant, make_member
from solidaria.core.errors import DomainError
from solidaria.core.models import AuditEvent
from solidaria.core.permissions import SYSTEM
from solidaria.directory.factories import make_organisation
from solidaria.ledger import services
from solidaria.ledger.models import Account, AccountRequest, CreditPolicy, Currency, Transfer

pytestmark = pytest.mark.django_db

LINE, GRANT = 10_000, 500
PEOPLE = ["ada", "bo", "newcomer"]  # two admitted members and an applicant
STEWARD_ONLY = (
    "ledger.account.limits",
    "ledger.currency.update",
    "ledger.currency.policy.set",
    "ledger.currency.steward.add",
    "ledger.account_request.approve",
    "ledger.account_request.decline",
)
ACTIONS = [
    "open",
    "open_api",
    "open_web",
    "open_for_other",
    "open_organisation",
    "open_organisation_api",
    "request",
    "request_api",
    "approve",
    "approve_api",
    "decline",
    "update_currency",
    "update_currency_api",
    "set_policy",
    "set_policy_api",
    "set_limits",
    "set_limits_api",
    "set_limits_web",
    "add_steward",
    "pay",
]

calls = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.integers(0, len(PEOPLE) - 1),  # who calls
        st.integers(0, 1),  # which currency
        st.integers(0, len(PEOPLE) - 1),  # whom or whose organisation it concerns
    ),
    min_size=1,
    max_size=20,
)


class _Rollback(Exception):
    pass


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=calls)
def test_no_member_or_applicant_call_issues_credit(
    db: None, sequence: list[tuple[str, int, int, int]]
) -> None:
    try:
        with transaction.atomic():
            _run(sequence)
            raise _Rollback
    except _Rollback:
        pass


def _world() -> dict[str, Any]:
    currencies = [
        services.currency_create(
            actor=SYSTEM,
            code=code,
            name=code,
            default_credit_limit=LINE,
            starting_grant=GRANT,
            credit_policy=policy,
        )
        for code, policy in (
            ("POL", CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT),
            ("STW", CreditPolicy.STEWARD_DECIDES),
        )
    ]
    people = [make_member("ada"), make_member("bo"), make_applicant("newcomer")]
    orgs = []
    for person in people:
        name = f"{person.username.title()} Workshop"
        orgs.append(make_organisation(name, created_by=person, operators=(person,)))
    clients = []
    for person in people:
        client = Client()
        client.force_login(person)
        clients.append(client)
    return {"currencies": currencies, "people": people, "orgs": orgs, "clients": clients}


def _json(client: Client, method: str, url: str, body: dict[str, Any]) -> int:
    send = getattr(client, method)
    return int(send(url, json.dumps(body), content_type="application/json").status_code)


def _call(world: dict[str, Any], action: str, who: int, cur: int, whom: int) -> None:
    actor, client = world["people"][who], world["clients"][who]
    currency: Currency = world["currencies"][cur]
    other, org = world["people"][whom], world["orgs"][whom]
    accounts = list(Account.objects.exclude(kind=Account.Kind.SYSTEM).order_by("pk"))
    target = accounts[whom % len(accounts)] if accounts else None
    request = AccountRequest.objects.order_by("-pk").first()
    raise_by = {"credit_limit": 10**9, "upper_limit": None, "reason": "more"}
    if action == "open":
        services.account_open(actor=actor, currency=currency)
    elif action == "open_api":
        _json(client, "post", "/api/ledger/accounts", {"currency": currency.code})
    elif action == "open_web":
        client.post("/ledger/join/", {"currency": currency.pk})
    elif action == "open_for_other":
        services.account_open(actor=actor, currency=currency, owner=other)
    elif action == "open_organisation":
        services.account_open(actor=actor, currency=currency, kind=Account.Kind.ORGANISATION)
    elif action == "open_organisation_api":
        body = {"currency": currency.code, "kind": "organisation", "name": org.name}
        _json(client, "post", "/api/ledger/accounts", body)
    elif action == "request":
        services.account_request_create(actor=actor, currency=currency, organisation=org)
    elif action == "request_api":
        body = {"currency": currency.code, "kind": "organisation", "organisation": org.pk}
        _json(client, "post", "/api/ledger/accounts", body)
    elif action == "approve" and request is not None:
        services.account_request_approve(actor=actor, request=request, reason="mine")
    elif action == "approve_api" and request is not None:
        _json(client, "post", f"/api/ledger/account-requests/{request.pk}/approve", {})
    elif action == "decline" and request is not None:
        services.account_request_decline(actor=actor, request=request, reason="no")
    elif action == "update_currency":
        services.currency_update(
            actor=actor, currency=currency, reason="more", default_credit_limit=10**9
        )
    elif action == "update_currency_api":
        body = {"reason": "more", "default_credit_limit": 10**9, "starting_grant": 10**6}
        _json(client, "patch", f"/api/ledger/currencies/{currency.code}", body)
    elif action == "set_policy":
        services.currency_credit_policy_set(
            actor=actor,
            currency=currency,
            policy=CreditPolicy.ADMITTED_MEMBERS_GET_DEFAULT,
            reason="more",
        )
    elif action == "set_policy_api":
        body = {"credit_policy": "admitted_members_get_default", "reason": "more"}
        _json(client, "put", f"/api/ledger/currencies/{currency.code}/credit-policy", body)
    elif action == "set_limits" and target is not None:
        services.account_limits_set(actor=actor, account=target, **raise_by)
    elif action == "set_limits_api" and target is not None:
        _json(client, "put", f"/api/ledger/accounts/{target.pk}/limits", raise_by)
    elif action == "set_limits_web" and target is not None:
        client.post(
            f"/ledger/steward/accounts/{target.pk}/limits/",
            {"credit_limit": "10000000", "upper_limit": "", "reason": "more"},
        )
    elif action == "add_steward":
        services.currency_steward_add(actor=actor, currency=currency, user=actor)
    elif action == "pay" and target is not None:
        own = Account.objects.filter(owner=actor).exclude(pk=target.pk).first()
        if own is not None and own.currency_id == target.currency_id:
            services.transfer_create(
                actor=actor, payer=own, payee=target, amount_minor=700, key=f"k{own.pk}"
            )


def _run(sequence: list[tuple[str, int, int, int]]) -> None:
    world = _world()
    pol, stw = world["currencies"]
    for action, who, cur, whom in sequence:
        try:
            with transaction.atomic():
                _call(world, action, who, cur, whom)
        except DomainError:
            pass
        _check(pol, stw, world["people"])


def _check(pol: Currency, stw: Currency, people: list[Any]) -> None:
    # the currencies are as their stewards left them
    for currency in (pol, stw):
        fresh = Currency.objects.get(pk=currency.pk)
        assert (fresh.credit_policy, fresh.credit_policy_version) == (currency.credit_policy, 1)
        assert (fresh.default_credit_limit, fresh.starting_grant) == (LINE, GRANT)
    assert not AuditEvent.objects.filter(verb__in=STEWARD_ONLY).exists()
    # every line is the one its opening recorded, and that is the policy's or 0
    accounts = Account.objects.exclude(kind=Account.Kind.SYSTEM)
    for account in accounts:
        opened = AuditEvent.objects.get(verb="ledger.account.open", object_id=str(account.pk))
        expected = LINE if account.currency_id == pol.pk else 0
        assert account.kind == Account.Kind.MEMBER
        assert account.credit_limit == opened.data["credit_limit"] == expected
        assert (
            opened.data["basis"]["policy"]
            == Currency.objects.get(pk=account.currency_id).credit_policy
        )
    # one grant per POL member account, none elsewhere; applicants hold nothing
    grants = Transfer.objects.filter(kind=Transfer.Kind.GRANT)
    pol_accounts = accounts.filter(currency=pol).count()
    assert sorted(grants.values_list("amount_minor", flat=True)) == [GRANT] * pol_accounts
    assert not grants.filter(currency=stw).exists()
    assert not Account.objects.filter(owner=people[2]).exists()
    assert sum(a.credit_limit or 0 for a in accounts) <= LINE * 2
